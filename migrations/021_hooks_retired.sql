-- Retiring a hook: it stays (content made with it keeps its hook_id, and its scores stay readable), but the
-- selector no longer picks it. Deleting would set content.hook_id to NULL and lose which hook a post used.
ALTER TABLE hooks ADD COLUMN retired_at timestamptz;
