-- 008: what the warming scheduler keeps beside the spec's tables.
--
-- devices.host               the machine a phone is plugged into; a worker runs sessions only for its host
-- devices.session_failures   consecutive failed sessions (device lost, timeout, error); K of them mark it failed
-- devices.current_session_key / session_lease_until
--                            the session holding the device, and until when: a lease renewed while the
--                            session runs, so a device is never used by two sessions at once and never stays
--                            blocked by a crashed worker for longer than the lease
-- warming_progress.session_key
--                            the planned session's id: at most one warming_progress row per session, however
--                            often the job behind it is retried
-- warming_queue              sessions planned and not finished: one per account (the planner's dedupe) and the
--                            per-device queue depth the planner balances on

ALTER TABLE devices
  ADD COLUMN host                text NOT NULL DEFAULT 'local' CHECK (host ~ '^[A-Za-z0-9_.-]{1,100}$'),
  ADD COLUMN session_failures    integer NOT NULL DEFAULT 0 CHECK (session_failures >= 0),
  ADD COLUMN current_session_key uuid,
  ADD COLUMN session_lease_until timestamptz,
  ADD CHECK ((current_session_key IS NULL) = (session_lease_until IS NULL));
CREATE INDEX devices_host_status_idx ON devices (host, status);

ALTER TABLE warming_progress ADD COLUMN session_key uuid UNIQUE;
CREATE INDEX warming_progress_started_idx ON warming_progress (started_at);

CREATE TABLE warming_queue (
  session_key uuid PRIMARY KEY,
  account_id  uuid NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
  device_id   uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  host        text NOT NULL,
  planned_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz
);
CREATE INDEX warming_queue_device_idx ON warming_queue (device_id);
CREATE INDEX warming_queue_host_idx ON warming_queue (host, planned_at);

-- Every session rewrites accounts.last_warmed_at, an indexed column, so no update is HOT and dead entries
-- pile up at the head of idx_accounts_needs_warming, where the planner reads. Vacuum accounts far sooner
-- than the global defaults (20% of the table) would.
ALTER TABLE accounts SET (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_threshold = 500,
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_vacuum_cost_delay = 1
);
