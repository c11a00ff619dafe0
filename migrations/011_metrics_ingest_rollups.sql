-- 011: metrics ingestion and incremental rollups.
--
-- metric_snapshots (distribution_id, time) unique   one snapshot per distribution and instant: a replayed
--                                                   batch inserts nothing (ON CONFLICT DO NOTHING)
-- metric_rollup_changes                             the hours that received snapshots since the last refresh,
--                                                   written by a statement trigger, so every writer (the
--                                                   importer, the API, plain SQL) is seen
-- metric_rollup_state                               the watermark: every snapshot committed before it is folded
--                                                   into the rollups
-- metrics_hourly.*_samples, last_snapshot_at        what lets a day be rolled up from its hours instead of
--                                                   from the raw rows (a day is 24× an hour's rows)
-- content_metrics_daily, niche_metrics_daily        the dashboard's per-content and per-niche day series, so
--                                                   its reads touch a few hundred rows, not the raw millions
-- content_metrics_week                              each content's gains over the trailing 7 days, for "top
--                                                   content this week" (a read of N rows by index)
--
-- Deleting raw snapshots never changes a rollup: there is no DELETE trigger, so retention can prune raw rows
-- that are already folded in and the rollups keep them.

DELETE FROM metric_snapshots a
USING metric_snapshots b
WHERE a.distribution_id = b.distribution_id AND a.time = b.time AND a.ctid > b.ctid;
ALTER TABLE metric_snapshots
  ADD CONSTRAINT metric_snapshots_distribution_time_key UNIQUE (distribution_id, time);

CREATE TABLE metric_rollup_changes (
  hour      timestamptz NOT NULL,
  rows      bigint NOT NULL CHECK (rows > 0),
  logged_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE metric_rollup_state (
  id               boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- Every snapshot committed before this instant is folded in, unless it was older than the late window
  -- (then an event said so and `sovi metrics refresh` backfills it).
  watermark        timestamptz,
  last_run_at      timestamptz,
  last_hours       integer,
  last_duration_ms integer
);
INSERT INTO metric_rollup_state DEFAULT VALUES;

CREATE TABLE content_metrics_daily (
  day             date NOT NULL,
  content_id      uuid NOT NULL REFERENCES content (id) ON DELETE CASCADE,
  niche_id        uuid REFERENCES niches (id),
  distributions   integer NOT NULL,
  views           bigint NOT NULL,
  views_gained    bigint NOT NULL,
  likes_gained    bigint NOT NULL,
  comments_gained bigint NOT NULL,
  shares_gained   bigint NOT NULL,
  saves_gained    bigint NOT NULL,
  engagement_rate double precision,
  PRIMARY KEY (content_id, day)
);
-- "Top content this week" reads one week of days.
CREATE INDEX content_metrics_daily_day_idx ON content_metrics_daily (day);

CREATE TABLE niche_metrics_daily (
  day              date NOT NULL,
  niche_id         uuid NOT NULL REFERENCES niches (id),
  views_gained     bigint NOT NULL DEFAULT 0,
  likes_gained     bigint NOT NULL DEFAULT 0,
  comments_gained  bigint NOT NULL DEFAULT 0,
  shares_gained    bigint NOT NULL DEFAULT 0,
  saves_gained     bigint NOT NULL DEFAULT 0,
  engagement_rate  double precision,
  accounts         integer NOT NULL DEFAULT 0,
  followers        bigint,
  follower_delta   bigint,
  posts            integer NOT NULL DEFAULT 0,
  warming_sessions integer NOT NULL DEFAULT 0,
  PRIMARY KEY (niche_id, day)
);

CREATE TABLE content_metrics_week (
  content_id   uuid PRIMARY KEY REFERENCES content (id) ON DELETE CASCADE,
  niche_id     uuid REFERENCES niches (id),
  -- The 7 UTC days week_start … week_start + 6, today last.
  week_start   date NOT NULL,
  views_gained bigint NOT NULL,
  likes_gained bigint NOT NULL,
  views        bigint NOT NULL
);
CREATE INDEX content_metrics_week_top_idx ON content_metrics_week (views_gained DESC, content_id);
CREATE INDEX content_metrics_week_niche_top_idx ON content_metrics_week (niche_id, views_gained DESC, content_id);

-- The hourly table gains what a day's rollup needs from its hours. On the TimescaleDB path metrics_hourly is a
-- continuous aggregate (and metrics_daily one too), so there is nothing to add.
DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'metrics_hourly'::regclass) = 'r' THEN
    ALTER TABLE metrics_hourly
      ADD COLUMN completion_samples integer,
      ADD COLUMN engagement_samples integer,
      ADD COLUMN last_snapshot_at   timestamptz;
  END IF;
END;
$$;

-- Hours that received rows, one log row per hour per statement: a 100k-row COPY logs a handful of rows.
-- Transition tables are not allowed on hypertables, so the TimescaleDB path has no such trigger (its
-- continuous aggregates track changes themselves).
CREATE FUNCTION metric_snapshots_log_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO metric_rollup_changes (hour, rows)
  SELECT metric_bucket('1 hour', n.time), count(*) FROM new_rows n GROUP BY 1;
  IF TG_OP = 'UPDATE' THEN
    -- A row moved to another time leaves its old hour changed too.
    INSERT INTO metric_rollup_changes (hour, rows)
    SELECT metric_bucket('1 hour', o.time), count(*) FROM old_rows o GROUP BY 1;
  END IF;
  RETURN NULL;
END;
$$;

DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'metrics_hourly'::regclass) = 'r' THEN
    CREATE TRIGGER metric_snapshots_log_inserts AFTER INSERT ON metric_snapshots
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION metric_snapshots_log_changes();
    CREATE TRIGGER metric_snapshots_log_updates AFTER UPDATE ON metric_snapshots
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION metric_snapshots_log_changes();
  END IF;
END;
$$;

-- Hourly buckets in [p_from, p_to) (hour-aligned) from the raw rows: the last snapshot's counts (by time), the
-- mean of each rate over the snapshots that have it, and how many had it.
CREATE FUNCTION refresh_metrics_hourly(p_from timestamptz, p_to timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM metrics_hourly WHERE bucket >= p_from AND bucket < p_to;
  INSERT INTO metrics_hourly (bucket, distribution_id, account_id, samples, views, likes, comments, shares,
                              saves, completion_rate, engagement_rate, follower_count_at, completion_samples,
                              engagement_samples, last_snapshot_at)
  SELECT DISTINCT ON (s.distribution_id, s.bucket)
         s.bucket, s.distribution_id, s.account_id,
         count(*) OVER w, s.views, s.likes, s.comments, s.shares, s.saves,
         avg(s.completion_rate) OVER w, avg(s.engagement_rate) OVER w, s.follower_count_at,
         count(s.completion_rate) OVER w, count(s.engagement_rate) OVER w, s.time
  FROM (SELECT metric_bucket('1 hour', m.time) AS bucket, m.*
        FROM metric_snapshots m
        WHERE m.time >= p_from AND m.time < p_to AND m.distribution_id IS NOT NULL) s
  WINDOW w AS (PARTITION BY s.distribution_id, s.bucket)
  ORDER BY s.distribution_id, s.bucket, s.time DESC;
END;
$$;

-- Daily buckets in [p_from, p_to) (day-aligned) from the hourly ones: the day's last hour holds its last
-- snapshot; a rate's daily mean is its hourly means weighted by how many snapshots had it, which is exactly the
-- mean over the raw rows.
CREATE FUNCTION refresh_metrics_daily(p_from timestamptz, p_to timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM metrics_daily WHERE bucket >= p_from AND bucket < p_to;
  INSERT INTO metrics_daily (bucket, distribution_id, account_id, samples, views, likes, comments, shares,
                             saves, completion_rate, engagement_rate, follower_count_at)
  SELECT DISTINCT ON (h.distribution_id, h.day)
         h.day, h.distribution_id, h.account_id,
         sum(h.samples) OVER w, h.views, h.likes, h.comments, h.shares, h.saves,
         sum(h.completion_rate * h.completion_samples) OVER w / nullif(sum(h.completion_samples) OVER w, 0),
         sum(h.engagement_rate * h.engagement_samples) OVER w / nullif(sum(h.engagement_samples) OVER w, 0),
         h.follower_count_at
  FROM (SELECT metric_bucket('1 day', mh.bucket) AS day, mh.*
        FROM metrics_hourly mh
        WHERE mh.bucket >= p_from AND mh.bucket < p_to) h
  WINDOW w AS (PARTITION BY h.distribution_id, h.day)
  ORDER BY h.distribution_id, h.day, h.bucket DESC;
END;
$$;

-- One UTC day of account_health_daily, for every account that existed (and was not deleted) that day. As in
-- 004, but the snapshot figures come from the hourly rollup (one row per distribution-hour) instead of the raw
-- rows:
--   followers           the latest follower count reported that day, else the previous day's
--   follower_delta      followers minus the previous day's followers (NULL when either is unknown)
--   posts               distributions that went out that day
--   views               sum of the day's last cumulative view count of each of the account's distributions
--   avg_engagement_rate mean engagement_rate of the account's snapshots that day
--   warming_sessions    warming sessions started that day
--   events_*            system_events for the account that day, by severity
--   end_state           the account's state at the end of the day, from its state_changed events
-- On the TimescaleDB path the hourly aggregate has no per-rate sample counts; all samples weigh the mean.
CREATE OR REPLACE FUNCTION refresh_account_health_day(p_day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  day_start timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
  day_end   timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
  plain     boolean := (SELECT relkind FROM pg_class WHERE oid = 'metrics_hourly'::regclass) = 'r';
BEGIN
  DELETE FROM account_health_daily WHERE day = p_day;
  EXECUTE format($sql$
  INSERT INTO account_health_daily (day, account_id, followers, follower_delta, posts, views,
                                    avg_engagement_rate, warming_sessions, events_info, events_warning,
                                    events_error, events_critical, end_state)
  SELECT $1, a.id,
         COALESCE(snap.followers, prev.followers),
         COALESCE(snap.followers, prev.followers) - prev.followers,
         COALESCE(post.n, 0),
         COALESCE(daily.views, 0),
         snap.avg_engagement_rate,
         COALESCE(warm.n, 0),
         COALESCE(ev.info, 0), COALESCE(ev.warning, 0), COALESCE(ev.error, 0), COALESCE(ev.critical, 0),
         COALESCE(
           (SELECT e.context ->> 'to' FROM system_events e
             WHERE e.account_id = a.id AND e.event_type = 'state_changed' AND e."timestamp" < $3
             ORDER BY e."timestamp" DESC, e.id DESC LIMIT 1),
           (SELECT e.context ->> 'from' FROM system_events e
             WHERE e.account_id = a.id AND e.event_type = 'state_changed' AND e."timestamp" >= $3
             ORDER BY e."timestamp", e.id LIMIT 1),
           a.current_state)
  FROM accounts a
  LEFT JOIN account_health_daily prev ON prev.account_id = a.id AND prev.day = $1 - 1
  LEFT JOIN (SELECT h.account_id,
                    (array_agg(h.follower_count_at ORDER BY %s DESC)
                       FILTER (WHERE h.follower_count_at IS NOT NULL))[1] AS followers,
                    sum(h.engagement_rate * %s) / nullif(sum(%s) FILTER (WHERE h.engagement_rate IS NOT NULL), 0)
                      AS avg_engagement_rate
               FROM metrics_hourly h
              WHERE h.bucket >= $2 AND h.bucket < $3 AND h.account_id IS NOT NULL
              GROUP BY h.account_id) snap ON snap.account_id = a.id
  LEFT JOIN (SELECT md.account_id, sum(md.views) AS views
               FROM metrics_daily md
              WHERE md.bucket = $2
              GROUP BY md.account_id) daily ON daily.account_id = a.id
  LEFT JOIN (SELECT di.account_id, count(*) AS n
               FROM distributions di
              WHERE di.posted_at >= $2 AND di.posted_at < $3
              GROUP BY di.account_id) post ON post.account_id = a.id
  LEFT JOIN (SELECT w.account_id, count(*) AS n
               FROM warming_progress w
              WHERE w.started_at >= $2 AND w.started_at < $3
              GROUP BY w.account_id) warm ON warm.account_id = a.id
  LEFT JOIN (SELECT se.account_id,
                    count(*) FILTER (WHERE se.severity = 'info') AS info,
                    count(*) FILTER (WHERE se.severity = 'warning') AS warning,
                    count(*) FILTER (WHERE se.severity = 'error') AS error,
                    count(*) FILTER (WHERE se.severity = 'critical') AS critical
               FROM system_events se
              WHERE se."timestamp" >= $2 AND se."timestamp" < $3 AND se.account_id IS NOT NULL
              GROUP BY se.account_id) ev ON ev.account_id = a.id
  WHERE a.created_at < $3
    AND (a.deleted_at IS NULL OR a.deleted_at >= $2)$sql$,
    CASE WHEN plain THEN 'h.last_snapshot_at' ELSE 'h.bucket' END,
    CASE WHEN plain THEN 'h.engagement_samples' ELSE 'h.samples' END,
    CASE WHEN plain THEN 'h.engagement_samples' ELSE 'h.samples' END)
  USING p_day, day_start, day_end;
END;
$$;

-- One UTC day of content_metrics_daily from metrics_daily. A distribution's gain that day is its last
-- cumulative count minus the one of its previous day with data (0 before its first), so summing a content's
-- gains over any range of days gives what it gained in that range.
CREATE FUNCTION refresh_content_metrics_day(p_day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  day_start timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
BEGIN
  DELETE FROM content_metrics_daily WHERE day = p_day;
  INSERT INTO content_metrics_daily (day, content_id, niche_id, distributions, views, views_gained,
                                     likes_gained, comments_gained, shares_gained, saves_gained,
                                     engagement_rate)
  SELECT p_day, di.content_id, c.niche_id, count(*),
         sum(COALESCE(md.views, 0)),
         sum(COALESCE(md.views, 0) - COALESCE(prev.views, 0)),
         sum(COALESCE(md.likes, 0) - COALESCE(prev.likes, 0)),
         sum(COALESCE(md.comments, 0) - COALESCE(prev.comments, 0)),
         sum(COALESCE(md.shares, 0) - COALESCE(prev.shares, 0)),
         sum(COALESCE(md.saves, 0) - COALESCE(prev.saves, 0)),
         avg(md.engagement_rate)
  FROM metrics_daily md
  JOIN distributions di ON di.id = md.distribution_id
  JOIN content c ON c.id = di.content_id
  LEFT JOIN LATERAL (SELECT p.views, p.likes, p.comments, p.shares, p.saves
                       FROM metrics_daily p
                      WHERE p.distribution_id = md.distribution_id AND p.bucket < md.bucket
                      ORDER BY p.bucket DESC LIMIT 1) prev ON true
  WHERE md.bucket = day_start
  GROUP BY di.content_id, c.niche_id;
END;
$$;

-- One UTC day of niche_metrics_daily: content gains by the content's niche, account figures by the account's.
CREATE FUNCTION refresh_niche_metrics_day(p_day date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM niche_metrics_daily WHERE day = p_day;
  INSERT INTO niche_metrics_daily (day, niche_id, views_gained, likes_gained, comments_gained, shares_gained,
                                   saves_gained, engagement_rate, accounts, followers, follower_delta, posts,
                                   warming_sessions)
  SELECT p_day, n.id,
         COALESCE(cm.views_gained, 0), COALESCE(cm.likes_gained, 0), COALESCE(cm.comments_gained, 0),
         COALESCE(cm.shares_gained, 0), COALESCE(cm.saves_gained, 0),
         ah.engagement_rate, COALESCE(ah.accounts, 0), ah.followers, ah.follower_delta,
         COALESCE(ah.posts, 0), COALESCE(ah.warming_sessions, 0)
  FROM niches n
  LEFT JOIN (SELECT niche_id, sum(views_gained) AS views_gained, sum(likes_gained) AS likes_gained,
                    sum(comments_gained) AS comments_gained, sum(shares_gained) AS shares_gained,
                    sum(saves_gained) AS saves_gained
               FROM content_metrics_daily WHERE day = p_day GROUP BY niche_id) cm ON cm.niche_id = n.id
  LEFT JOIN (SELECT a.niche_id, count(*) AS accounts, sum(h.followers) AS followers,
                    sum(h.follower_delta) AS follower_delta, sum(h.posts) AS posts,
                    sum(h.warming_sessions) AS warming_sessions, avg(h.avg_engagement_rate) AS engagement_rate
               FROM account_health_daily h JOIN accounts a ON a.id = h.account_id
              WHERE h.day = p_day GROUP BY a.niche_id) ah ON ah.niche_id = n.id
  WHERE cm.niche_id IS NOT NULL OR ah.niche_id IS NOT NULL;
END;
$$;

-- The trailing week ending p_today, from content_metrics_daily (a few thousand rows). `views` is the content's
-- views on its latest day with data in the week.
CREATE FUNCTION refresh_content_metrics_week(p_today date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM content_metrics_week;
  INSERT INTO content_metrics_week (content_id, niche_id, week_start, views_gained, likes_gained, views)
  SELECT content_id, niche_id, p_today - 6, sum(views_gained), sum(likes_gained),
         (array_agg(views ORDER BY day DESC))[1]
  FROM content_metrics_daily
  WHERE day BETWEEN p_today - 6 AND p_today
  GROUP BY content_id, niche_id;
END;
$$;

-- Everything derived from the rows of [p_from, p_to), widened to whole buckets. Days run in order: a day's
-- follower_delta and gains build on the day before. On the TimescaleDB path the continuous aggregates' own
-- policies keep metrics_hourly/daily current, and only the day tables are computed here.
CREATE OR REPLACE FUNCTION refresh_metric_rollups(p_from timestamptz, p_to timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  day_from timestamptz;
  day_to   timestamptz;
  d        date;
BEGIN
  IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
    RAISE EXCEPTION 'refresh_metric_rollups: "to" (%) must be after "from" (%)', p_to, p_from
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  day_from := metric_bucket('1 day', p_from);
  day_to := metric_bucket('1 day', p_to - interval '1 microsecond') + interval '1 day';

  IF (SELECT relkind FROM pg_class WHERE oid = 'metrics_hourly'::regclass) = 'r' THEN
    PERFORM refresh_metrics_hourly(metric_bucket('1 hour', p_from),
                                   metric_bucket('1 hour', p_to - interval '1 microsecond') + interval '1 hour');
    PERFORM refresh_metrics_daily(day_from, day_to);
  END IF;

  -- UTC dates: a bare ::date would use the session's time zone.
  d := (day_from AT TIME ZONE 'UTC')::date;
  WHILE d < (day_to AT TIME ZONE 'UTC')::date LOOP
    PERFORM refresh_account_health_day(d);
    PERFORM refresh_content_metrics_day(d);
    PERFORM refresh_niche_metrics_day(d);
    d := d + 1;
  END LOOP;
END;
$$;

-- The importer casts its staged text directly and lets the first bad value fail the batch; only then does it
-- look for every bad row, with these. PostgreSQL 15 has no pg_input_is_valid(), so they try the cast.
CREATE FUNCTION metric_ingest_try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END;
$$;

CREATE FUNCTION metric_ingest_try_jsonb(value text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN value::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END;
$$;

-- Fails the statement: the importer's way of turning a rule the table cannot check (a time in the future, an
-- account that is not the distribution's) into a failed batch, which it then explains row by row.
CREATE FUNCTION metric_ingest_refuse(reason text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', reason USING ERRCODE = 'check_violation';
END;
$$;

-- Rows that arrived before this migration: fold them in with the new columns.
DO $$
DECLARE
  first_time timestamptz;
  last_time  timestamptz;
BEGIN
  SELECT min(time), max(time) INTO first_time, last_time FROM metric_snapshots;
  IF first_time IS NOT NULL THEN
    PERFORM refresh_metric_rollups(first_time, last_time + interval '1 microsecond');
  END IF;
  UPDATE metric_rollup_state SET watermark = now();
END;
$$;
