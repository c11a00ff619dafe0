-- 007: what the health monitor knows about a device beyond the spec's columns, kept in the database so that
-- it survives restarts and is shared by every process that checks the fleet (sovi up, sovi devices check,
-- and monitors on other hosts).
--   health_failures  unhealthy WebDriverAgent polls in a row (0 after a healthy one)
--   last_seen_at     when WebDriverAgent last answered healthy

ALTER TABLE devices
  ADD COLUMN health_failures integer NOT NULL DEFAULT 0 CHECK (health_failures >= 0),
  ADD COLUMN last_seen_at    timestamptz;
