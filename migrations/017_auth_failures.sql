-- 017: failed token attempts per client address, in the database so that every sovi process serving the API
-- counts against one budget (SOVI_AUTH_FAILURES_PER_MINUTE). In a process's memory, each instance behind a
-- load balancer allowed the whole budget again.
--
-- One row per address: the window began at its first failure and lasts a minute; a failure after the window
-- starts a new one. Only failures are counted: a valid token passes whatever its address sent before. Rows
-- whose window ended long ago are pruned by the API (window_start is indexed for that).
CREATE TABLE auth_failures (
  address      text PRIMARY KEY CHECK (length(address) BETWEEN 1 AND 100),
  window_start timestamptz NOT NULL,
  failures     integer NOT NULL CHECK (failures > 0)
);
CREATE INDEX auth_failures_window_start_idx ON auth_failures (window_start);
