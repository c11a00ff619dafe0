-- 002: metric rollups.
--
-- With TimescaleDB (metric_snapshots is a hypertable), metrics_hourly and metrics_daily are continuous
-- aggregates. Without it (the normal case) they are plain tables with the same names and columns, filled by
-- refresh_metric_rollups() (migration 004) and, later, by the incremental refresh job.
--
-- Snapshot counts are cumulative totals, so a bucket holds the values of its LAST snapshot; rates are the
-- average over the bucket's snapshots. Buckets are UTC hours and UTC days.
--
-- account_health_daily joins warming sessions, events and account state, which a continuous aggregate cannot,
-- so it is a plain table on both paths.

DO $$
DECLARE
  is_hypertable boolean := false;
  rollup        text;
  stride        text;
  start_offset  text;
  schedule      text;
BEGIN
  -- timescaledb_information exists only with the extension, so it is looked at only then (EXECUTE defers the
  -- name lookup to that moment).
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                            WHERE hypertable_schema = current_schema() AND hypertable_name = ''metric_snapshots'')'
      INTO is_hypertable;
  END IF;

  IF is_hypertable THEN
    FOR rollup, stride, start_offset, schedule IN
      VALUES ('metrics_hourly', '1 hour', '3 days', '5 minutes'), ('metrics_daily', '1 day', '7 days', '1 hour')
    LOOP
      EXECUTE format($cagg$
        CREATE MATERIALIZED VIEW %I WITH (timescaledb.continuous) AS
        SELECT time_bucket(%L, time) AS bucket,
               distribution_id,
               last(account_id, time)        AS account_id,
               count(*)::integer             AS samples,
               last(views, time)             AS views,
               last(likes, time)             AS likes,
               last(comments, time)          AS comments,
               last(shares, time)            AS shares,
               last(saves, time)             AS saves,
               avg(completion_rate)          AS completion_rate,
               avg(engagement_rate)          AS engagement_rate,
               last(follower_count_at, time) AS follower_count_at
        FROM metric_snapshots
        GROUP BY time_bucket(%L, time), distribution_id
        WITH NO DATA$cagg$, rollup, stride, stride);
      EXECUTE format('SELECT add_continuous_aggregate_policy(%L, start_offset => %L::interval,
                        end_offset => INTERVAL ''1 hour'', schedule_interval => %L::interval)',
                     rollup, start_offset, schedule);
      EXECUTE format('CREATE INDEX %I ON %I (account_id, bucket)', rollup || '_account_idx', rollup);
    END LOOP;
  ELSE
    FOREACH rollup IN ARRAY ARRAY['metrics_hourly', 'metrics_daily'] LOOP
      EXECUTE format($table$
        CREATE TABLE %I (
          bucket            timestamptz NOT NULL,
          distribution_id   uuid NOT NULL,
          account_id        uuid,
          samples           integer NOT NULL,
          views             integer,
          likes             integer,
          comments          integer,
          shares            integer,
          saves             integer,
          completion_rate   double precision,
          engagement_rate   double precision,
          follower_count_at integer,
          PRIMARY KEY (distribution_id, bucket)
        )$table$, rollup);
      EXECUTE format('CREATE INDEX %I ON %I (account_id, bucket)', rollup || '_account_idx', rollup);
      EXECUTE format('CREATE INDEX %I ON %I (bucket)', rollup || '_bucket_idx', rollup);
    END LOOP;
  END IF;
END;
$$;

CREATE TABLE account_health_daily (
  day                 date NOT NULL,
  account_id          uuid NOT NULL REFERENCES accounts (id),
  followers           integer,
  follower_delta      integer,
  posts               integer NOT NULL DEFAULT 0,
  views               bigint NOT NULL DEFAULT 0,
  avg_engagement_rate double precision,
  warming_sessions    integer NOT NULL DEFAULT 0,
  events_info         integer NOT NULL DEFAULT 0,
  events_warning      integer NOT NULL DEFAULT 0,
  events_error        integer NOT NULL DEFAULT 0,
  events_critical     integer NOT NULL DEFAULT 0,
  end_state           text,
  refreshed_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, day)
);
CREATE INDEX account_health_daily_day_idx ON account_health_daily (day);
