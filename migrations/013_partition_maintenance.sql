-- 013: activity_log partition maintenance: partitions created ahead, old ones dropped, the default partition
-- pruned. The daily maintenance job (src/maintenance) calls these; each also works from psql.
--
-- Every function takes p_now (NULL or omitted: now()) so that tests can run them at another moment, and
-- dry_run, which reports what would be done without doing it.
--
-- Locks (measured on PostgreSQL 15 and 17 with pg_locks): CREATE TABLE … PARTITION OF, DETACH PARTITION and
-- DROP TABLE of a partition all take ACCESS EXCLUSIVE on activity_log itself and on activity_log_default
-- (whose implicit constraint changes), so every reader and writer of activity_log waits while they run.
-- DETACH … CONCURRENTLY would take only SHARE UPDATE EXCLUSIVE, but PostgreSQL refuses it on a table with a
-- default partition (and it cannot run in a transaction block, so not in a function either); activity_log
-- keeps its default partition so that an insert never fails. So the DDL here is a plain DETACH + DROP, which
-- touches only the catalog and takes milliseconds; the risk is the wait for the lock, during which the
-- queue behind it stalls too. The caller bounds that wait with lock_timeout (the job uses 2 s and retries
-- later), and on an ordinary day nothing is created or dropped, so no strong lock is taken at all.
--
-- Concurrency: the functions that change the partitions take one transaction-level advisory lock, so two
-- hosts running maintenance at once serialise, and the second finds nothing left to do.
-- Key: pg_advisory_xact_lock(int, int) with 'sovi' in ASCII and 13 (this migration's number).
--
-- Ownership: DDL needs the table owner. With a separate owner (SOVI_MIGRATION_DATABASE_URL), the application
-- role runs the daily job, so the functions that create and drop partitions are SECURITY DEFINER, with a
-- pinned search_path, and refuse callers without INSERT (create) or DELETE (drop) on activity_log: they let
-- the application do to whole partitions only what it may already do to their rows.

-- Every partition of activity_log with its range, read from the catalog. Bounds are printed and parsed back
-- in UTC and ISO style (pinned here), whatever the session's settings. A bound that is not a plain
-- timestamp (MINVALUE, MAXVALUE) leaves the range NULL, and such a partition is never dropped.
CREATE FUNCTION activity_log_partitions()
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, is_default boolean,
               row_estimate bigint, total_bytes bigint)
LANGUAGE sql STABLE
SET TimeZone = 'UTC' SET DateStyle = 'ISO, YMD' SET search_path = public, pg_temp
AS $$
  SELECT c.oid::regclass::text,
         b.bound[1]::timestamptz,
         b.bound[2]::timestamptz,
         pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT',
         -- reltuples is -1 until the partition is first analyzed.
         CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END,
         pg_total_relation_size(c.oid)
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  CROSS JOIN LATERAL (
    SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$')
  ) AS b (bound)
  WHERE i.inhparent = 'activity_log'::regclass
  ORDER BY 2 NULLS FIRST, 1
$$;

-- Replaces 001's version with one that takes p_now and dry_run, holds the advisory lock, and runs as the
-- owner. What it does is unchanged: the monthly partitions from p_now's UTC month through months_ahead
-- months later, moving any rows the default partition already holds for a new month into it.
DROP FUNCTION activity_log_ensure_partitions(integer);

CREATE FUNCTION activity_log_ensure_partitions(months_ahead integer DEFAULT 2, p_now timestamptz DEFAULT NULL,
                                               dry_run boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  this_month  timestamp := date_trunc('month', coalesce(p_now, now()) AT TIME ZONE 'UTC');
  month_start timestamptz;
  month_end   timestamptz;
  part_name   text;
  i           integer;
BEGIN
  IF months_ahead IS NULL OR months_ahead < 0 THEN
    RAISE EXCEPTION 'months_ahead must be >= 0, got %', months_ahead USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT has_table_privilege(session_user, 'activity_log', 'INSERT') THEN
    RAISE EXCEPTION 'creating activity_log partitions needs INSERT on activity_log'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT dry_run THEN
    PERFORM pg_advisory_xact_lock(1936684649, 13);
  END IF;
  FOR i IN 0..months_ahead LOOP
    month_start := (this_month + make_interval(months => i)) AT TIME ZONE 'UTC';
    month_end := (this_month + make_interval(months => i + 1)) AT TIME ZONE 'UTC';
    part_name := 'activity_log_' || to_char(month_start AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
    CONTINUE WHEN to_regclass(quote_ident(part_name)) IS NOT NULL;

    IF dry_run THEN
      NULL;
    ELSIF EXISTS (SELECT 1 FROM activity_log_default WHERE "timestamp" >= month_start AND "timestamp" < month_end) THEN
      ALTER TABLE activity_log DETACH PARTITION activity_log_default;
      EXECUTE format('CREATE TABLE %I PARTITION OF activity_log FOR VALUES FROM (%L) TO (%L)',
                     part_name, month_start, month_end);
      EXECUTE format('WITH moved AS (DELETE FROM activity_log_default WHERE "timestamp" >= %L AND "timestamp" < %L RETURNING *)
                      INSERT INTO %I SELECT * FROM moved', month_start, month_end, part_name);
      ALTER TABLE activity_log ATTACH PARTITION activity_log_default DEFAULT;
    ELSE
      EXECUTE format('CREATE TABLE %I PARTITION OF activity_log FOR VALUES FROM (%L) TO (%L)',
                     part_name, month_start, month_end);
    END IF;
    RETURN NEXT part_name;
  END LOOP;
END;
$$;

-- Detaches and drops every partition whose whole range ends at or before p_now - retention (the range's end
-- is exclusive, so none of its rows is within retention); returns their names, oldest first. Never the
-- default partition, never one with an open bound. Rows the default partition holds from before the cutoff
-- are activity_log_prune_default's.
CREATE FUNCTION activity_log_drop_partitions(retention interval, p_now timestamptz DEFAULT NULL,
                                             dry_run boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  cutoff timestamptz := coalesce(p_now, now()) - retention;
  part   text;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'retention must be a positive interval, got %', retention
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT has_table_privilege(session_user, 'activity_log', 'DELETE') THEN
    RAISE EXCEPTION 'dropping activity_log partitions needs DELETE on activity_log'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT dry_run THEN
    PERFORM pg_advisory_xact_lock(1936684649, 13);
  END IF;
  FOR part IN
    SELECT p.partition_name FROM activity_log_partitions() p
    WHERE NOT p.is_default AND p.range_end <= cutoff
    ORDER BY p.range_end
  LOOP
    IF NOT dry_run THEN
      -- The same locks as a DROP in place (measured); the table is no partition when it goes.
      EXECUTE format('ALTER TABLE activity_log DETACH PARTITION %s', part);
      EXECUTE format('DROP TABLE %s', part);
    END IF;
    RETURN NEXT part;
  END LOOP;
END;
$$;

-- Deletes (or, dry, counts) the rows of the default partition older than p_now - retention: rows that
-- arrived for a month with no partition of its own (late, or backfilled). It runs as the caller, whose DELETE
-- privilege is what it needs, and takes only row locks. The default partition holds few rows (the monthly
-- partitions are made ahead), and activity_log has no index leading with "timestamp", so this is one scan.
CREATE FUNCTION activity_log_prune_default(retention interval, p_now timestamptz DEFAULT NULL,
                                           dry_run boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
  cutoff timestamptz := coalesce(p_now, now()) - retention;
  n      bigint;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'retention must be a positive interval, got %', retention
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF dry_run THEN
    SELECT count(*) INTO n FROM activity_log_default WHERE "timestamp" < cutoff;
  ELSE
    DELETE FROM activity_log_default WHERE "timestamp" < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
  END IF;
  RETURN n;
END;
$$;
