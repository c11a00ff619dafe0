-- 003: the structured event log, the account columns the warming scheduler needs, and two more niches.

CREATE TABLE system_events (
  id          bigserial PRIMARY KEY,
  "timestamp" timestamptz NOT NULL DEFAULT now(),
  category    text NOT NULL CHECK (category ~ '^[a-z][a-z_]*$'),
  severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
  event_type  text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]*$'),
  device_id   uuid REFERENCES devices (id) ON DELETE SET NULL,
  account_id  uuid REFERENCES accounts (id) ON DELETE SET NULL,
  message     text NOT NULL,
  context     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(context) = 'object'),
  resolved    boolean NOT NULL DEFAULT false,
  resolved_by text CHECK (resolved_by IN ('human', 'llm_agent', 'auto')),
  resolved_at timestamptz,
  -- A resolved event always says who resolved it and when; an open one says neither.
  CHECK ((resolved AND resolved_by IS NOT NULL AND resolved_at IS NOT NULL)
         OR (NOT resolved AND resolved_by IS NULL AND resolved_at IS NULL))
);
CREATE INDEX idx_events_unresolved ON system_events (severity, "timestamp") WHERE resolved = false;
CREATE INDEX idx_events_device ON system_events (device_id, "timestamp");
CREATE INDEX idx_events_account ON system_events (account_id, "timestamp");
CREATE INDEX idx_events_type_time ON system_events (event_type, "timestamp");

ALTER TABLE accounts
  ADD COLUMN last_warmed_at timestamptz,
  ADD COLUMN last_post_at   timestamptz,
  ADD COLUMN deleted_at     timestamptz;

-- The warming planner's pick: due accounts, least recently warmed first. Column order and predicate are the
-- spec's, so the planner can read the head of this index instead of sorting the table.
CREATE INDEX idx_accounts_needs_warming ON accounts (last_warmed_at ASC NULLS FIRST)
  WHERE current_state IN ('created', 'warming_p1', 'warming_p2', 'warming_p3', 'active')
    AND platform IN ('tiktok', 'instagram')
    AND deleted_at IS NULL;

-- A username is unique per platform among live accounts (platforms treat usernames case-insensitively);
-- a soft-deleted account frees its name.
CREATE UNIQUE INDEX accounts_platform_username_live_key ON accounts (platform, lower(username))
  WHERE deleted_at IS NULL;

INSERT INTO niches (name, slug, tier, status) VALUES
  ('Motivation', 'motivation', '2', 'active'),
  ('True Crime', 'true_crime', '2', 'active')
ON CONFLICT (slug) DO NOTHING;
