-- 004: refresh_metric_rollups(from, to) recomputes the rollup buckets that overlap [from, to) from the raw
-- rows, so that the relations of 002 are correct after a refresh. The incremental refresh job (watermark,
-- late data) is built on top of it. On the TimescaleDB path, metrics_hourly and metrics_daily are continuous
-- aggregates refreshed by their policies, and only account_health_daily is computed here.

-- Per-account reads of snapshots (rollup refresh, dashboards) would otherwise scan the whole table.
CREATE INDEX metric_snapshots_account_time_idx ON metric_snapshots (account_id, time);
-- Day-ranged event counts; BRIN because events are appended in time order and the index stays tiny.
CREATE INDEX system_events_timestamp_brin ON system_events USING brin ("timestamp");

-- The bucket origin: buckets are aligned to UTC whatever the session's TimeZone is.
CREATE FUNCTION metric_bucket(stride interval, ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_bin(stride, ts, TIMESTAMPTZ '2000-01-01 00:00:00+00');

-- Recomputes the buckets of one rollup table in [from, to), which must be bucket-aligned. A bucket holds its
-- last snapshot's counts (by time) and the mean of its rates; one sort serves both.
CREATE FUNCTION refresh_metric_rollup(rollup regclass, stride interval, p_from timestamptz, p_to timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %s WHERE bucket >= $1 AND bucket < $2', rollup) USING p_from, p_to;
  EXECUTE format($sql$
    INSERT INTO %s (bucket, distribution_id, account_id, samples, views, likes, comments, shares, saves,
                    completion_rate, engagement_rate, follower_count_at)
    SELECT DISTINCT ON (s.distribution_id, s.bucket)
           s.bucket, s.distribution_id, s.account_id,
           count(*) OVER w, s.views, s.likes, s.comments, s.shares, s.saves,
           avg(s.completion_rate) OVER w, avg(s.engagement_rate) OVER w, s.follower_count_at
    FROM (SELECT metric_bucket($3, m.time) AS bucket, m.*
          FROM metric_snapshots m
          WHERE m.time >= $1 AND m.time < $2 AND m.distribution_id IS NOT NULL) s
    WINDOW w AS (PARTITION BY s.distribution_id, s.bucket)
    ORDER BY s.distribution_id, s.bucket, s.time DESC$sql$, rollup) USING p_from, p_to, stride;
END;
$$;

CREATE FUNCTION refresh_metric_rollups(p_from timestamptz, p_to timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  hour_from timestamptz;
  hour_to   timestamptz;
  day_from  timestamptz;
  day_to    timestamptz;
  d         date;
BEGIN
  IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
    RAISE EXCEPTION 'refresh_metric_rollups: "to" (%) must be after "from" (%)', p_to, p_from
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Widen to whole buckets: a bucket is recomputed entirely or not at all.
  hour_from := metric_bucket('1 hour', p_from);
  hour_to := metric_bucket('1 hour', p_to - interval '1 microsecond') + interval '1 hour';
  day_from := metric_bucket('1 day', p_from);
  day_to := metric_bucket('1 day', p_to - interval '1 microsecond') + interval '1 day';

  IF (SELECT relkind FROM pg_class WHERE oid = 'metrics_hourly'::regclass) = 'r' THEN
    PERFORM refresh_metric_rollup('metrics_hourly', '1 hour', hour_from, hour_to);
    PERFORM refresh_metric_rollup('metrics_daily', '1 day', day_from, day_to);
  END IF;

  -- Day by day in ascending order: a day's follower_delta builds on the day before it.
  -- UTC dates: a bare ::date would use the session's time zone.
  d := (day_from AT TIME ZONE 'UTC')::date;
  WHILE d < (day_to AT TIME ZONE 'UTC')::date LOOP
    PERFORM refresh_account_health_day(d);
    d := d + 1;
  END LOOP;
END;
$$;

-- One UTC day of account_health_daily, for every account that existed (and was not deleted) that day.
--   followers           the last follower count seen that day, else the previous day's
--   follower_delta      followers minus the previous day's followers (NULL when either is unknown)
--   posts               distributions that went out that day
--   views               sum of the day's last cumulative view count of each of the account's distributions
--   avg_engagement_rate mean engagement_rate of the account's snapshots that day
--   warming_sessions    warming sessions started that day
--   events_*            system_events for the account that day, by severity
--   end_state           the account's state at the end of the day, from its state_changed events
CREATE FUNCTION refresh_account_health_day(p_day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  day_start timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
  day_end   timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  DELETE FROM account_health_daily WHERE day = p_day;
  INSERT INTO account_health_daily (day, account_id, followers, follower_delta, posts, views,
                                    avg_engagement_rate, warming_sessions, events_info, events_warning,
                                    events_error, events_critical, end_state)
  SELECT p_day, a.id,
         COALESCE(snap.followers, prev.followers),
         COALESCE(snap.followers, prev.followers) - prev.followers,
         COALESCE(post.n, 0),
         COALESCE(daily.views, 0),
         snap.avg_engagement_rate,
         COALESCE(warm.n, 0),
         COALESCE(ev.info, 0), COALESCE(ev.warning, 0), COALESCE(ev.error, 0), COALESCE(ev.critical, 0),
         COALESCE(
           (SELECT e.context ->> 'to' FROM system_events e
             WHERE e.account_id = a.id AND e.event_type = 'state_changed' AND e."timestamp" < day_end
             ORDER BY e."timestamp" DESC, e.id DESC LIMIT 1),
           (SELECT e.context ->> 'from' FROM system_events e
             WHERE e.account_id = a.id AND e.event_type = 'state_changed' AND e."timestamp" >= day_end
             ORDER BY e."timestamp", e.id LIMIT 1),
           a.current_state)
  FROM accounts a
  LEFT JOIN account_health_daily prev ON prev.account_id = a.id AND prev.day = p_day - 1
  LEFT JOIN (SELECT m.account_id,
                    (array_agg(m.follower_count_at ORDER BY m.time DESC)
                       FILTER (WHERE m.follower_count_at IS NOT NULL))[1] AS followers,
                    avg(m.engagement_rate) AS avg_engagement_rate
               FROM metric_snapshots m
              WHERE m.time >= day_start AND m.time < day_end AND m.account_id IS NOT NULL
              GROUP BY m.account_id) snap ON snap.account_id = a.id
  LEFT JOIN (SELECT md.account_id, sum(md.views) AS views
               FROM metrics_daily md
              WHERE md.bucket = day_start
              GROUP BY md.account_id) daily ON daily.account_id = a.id
  LEFT JOIN (SELECT di.account_id, count(*) AS n
               FROM distributions di
              WHERE di.posted_at >= day_start AND di.posted_at < day_end
              GROUP BY di.account_id) post ON post.account_id = a.id
  LEFT JOIN (SELECT w.account_id, count(*) AS n
               FROM warming_progress w
              WHERE w.started_at >= day_start AND w.started_at < day_end
              GROUP BY w.account_id) warm ON warm.account_id = a.id
  LEFT JOIN (SELECT se.account_id,
                    count(*) FILTER (WHERE se.severity = 'info') AS info,
                    count(*) FILTER (WHERE se.severity = 'warning') AS warning,
                    count(*) FILTER (WHERE se.severity = 'error') AS error,
                    count(*) FILTER (WHERE se.severity = 'critical') AS critical
               FROM system_events se
              WHERE se."timestamp" >= day_start AND se."timestamp" < day_end AND se.account_id IS NOT NULL
              GROUP BY se.account_id) ev ON ev.account_id = a.id
  WHERE a.created_at < day_end
    AND (a.deleted_at IS NULL OR a.deleted_at >= day_start);
END;
$$;
