-- 016: live accounts by state, the dashboard overview's count (GET /api/v1/overview) and the accounts list's
-- state filter, without reading the whole table.
CREATE INDEX accounts_live_state_idx ON accounts (current_state) WHERE deleted_at IS NULL;
