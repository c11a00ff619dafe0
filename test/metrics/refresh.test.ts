// The incremental rollup refresh: what changed gets re-aggregated, only that, and the result is the same
// as a direct GROUP BY over the raw rows.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  backfillRollups,
  REFRESH_LOCK,
  refreshRollups,
  rollupStatus,
} from '../../src/metrics/rollup-refresh.ts';
import { topContent } from '../../src/metrics/metrics-reads.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 4, 1); // 2026-05-01
const now = () => new Date(T0 + 2 * 24 * HOUR + 30 * 60_000); // 2026-05-03 00:30
const settings = { lateWindowHours: 72 };

let dists: { id: string; account: string; content: string }[];
let niche: string;

beforeEach(async () => {
  await t.pool.query(`TRUNCATE metric_snapshots, metric_rollup_changes, metrics_hourly, metrics_daily,
    account_health_daily, content_metrics_daily, niche_metrics_daily, system_events CASCADE`);
  await t.pool.query('DELETE FROM distributions; DELETE FROM content; DELETE FROM accounts');
  niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
  const content = await factories.content(t.pool, { niche_id: niche });
  dists = [];
  for (let i = 0; i < 3; i++) {
    const account = await factories.account(t.pool, {
      niche_id: niche,
      created_at: new Date(T0 - 86_400_000),
    });
    const d = await factories.distribution(t.pool, { content_id: content.id, account_id: account.id });
    dists.push({ id: String(d.id), account: String(account.id), content: String(content.id) });
  }
});

/** Snapshots every 20 minutes for `hours` hours from `from`, counts growing; some rates missing. */
async function snapshots(from: number, hours: number, offset = 0) {
  await t.pool.query(
    `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, engagement_rate, completion_rate, follower_count_at)
     SELECT $1::timestamptz + make_interval(mins => 20 * k + d.i), d.id, d.account_id,
            ${offset} + 100 * k + 7 * d.i, 10 * k + d.i,
            CASE WHEN k % 4 = 3 THEN NULL ELSE (k % 10) / 20.0 + d.i / 100.0 END,
            CASE WHEN k % 3 = 0 THEN NULL ELSE 0.5 END, 500 + k
     FROM (SELECT id, account_id, row_number() OVER (ORDER BY id)::int AS i FROM distributions) d,
          generate_series(0, $2::int * 3 - 1) k`,
    [new Date(from), hours],
  );
}

/** The rollups' disagreements with a GROUP BY over the raw rows (hourly and daily). */
async function mismatches() {
  const { rows } = await t.pool.query(`
    WITH raw AS (
      SELECT stride, distribution_id, date_bin(stride, time, TIMESTAMPTZ '2000-01-01Z') AS bucket,
             count(*)::int AS samples, avg(engagement_rate) AS er, avg(completion_rate) AS cr,
             (array_agg(views ORDER BY time DESC))[1] AS views,
             (array_agg(follower_count_at ORDER BY time DESC))[1] AS followers
      FROM metric_snapshots, (VALUES (interval '1 hour'), (interval '1 day')) s(stride)
      GROUP BY 1, 2, 3),
    rolled AS (
      SELECT interval '1 hour' AS stride, distribution_id, bucket, samples, engagement_rate, completion_rate, views, follower_count_at FROM metrics_hourly
      UNION ALL
      SELECT interval '1 day', distribution_id, bucket, samples, engagement_rate, completion_rate, views, follower_count_at FROM metrics_daily)
    SELECT count(*)::int AS n FROM raw FULL JOIN rolled USING (stride, distribution_id, bucket)
    WHERE raw.samples IS DISTINCT FROM rolled.samples OR raw.views IS DISTINCT FROM rolled.views
       OR raw.followers IS DISTINCT FROM rolled.follower_count_at
       OR abs(coalesce(raw.er, -1) - coalesce(rolled.engagement_rate, -1)) > 1e-12
       OR abs(coalesce(raw.cr, -1) - coalesce(rolled.completion_rate, -1)) > 1e-12`);
  return rows[0].n;
}

describe('the incremental refresh', () => {
  it('folds in new rows so that every rollup equals a GROUP BY on the raw rows', async () => {
    await snapshots(T0, 30);
    expect((await rollupStatus(t.pool)).pendingHours).toBe(30);
    const report = await refreshRollups(t.pool, settings, now);
    expect(report).toMatchObject({ ran: true, path: 'tables', hours: 30, lateHours: 0, rows: 270 });
    expect(await mismatches()).toBe(0);
    const status = await rollupStatus(t.pool);
    expect(status).toMatchObject({ pendingHours: 0, pendingRows: 0, lastHours: 30 });
    expect(status.watermark).toEqual(now());
  });

  it('re-aggregates only the buckets that late rows fall in', async () => {
    await snapshots(T0, 30);
    await refreshRollups(t.pool, settings, now);
    const before = (await t.pool.query('SELECT * FROM metrics_hourly ORDER BY distribution_id, bucket')).rows;
    // A late snapshot in hour 5, the last one of that hour.
    await t.pool.query(
      `INSERT INTO metric_snapshots (time, distribution_id, account_id, views) VALUES ($1, $2, $3, 999999)`,
      [new Date(T0 + 5 * HOUR + 59 * 60_000), dists[0]!.id, dists[0]!.account],
    );
    const report = await refreshRollups(t.pool, settings, now);
    expect(report).toMatchObject({ hours: 1, rows: 1 });
    const after = (await t.pool.query('SELECT * FROM metrics_hourly ORDER BY distribution_id, bucket')).rows;
    const changed = after.filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i]));
    expect(changed).toEqual([
      expect.objectContaining({
        distribution_id: dists[0]!.id,
        bucket: new Date(T0 + 5 * HOUR),
        views: 999999,
      }),
    ]);
    expect(await mismatches()).toBe(0);
  });

  it('leaves rows older than the late window to a backfill, and says so', async () => {
    await snapshots(T0, 2);
    const report = await refreshRollups(t.pool, { lateWindowHours: 1 }, now);
    expect(report).toMatchObject({ hours: 0, lateHours: 2 });
    const { rows } = await t.pool.query(`SELECT severity, event_type, message, context FROM system_events`);
    expect(rows).toEqual([expect.objectContaining({ severity: 'warning', event_type: 'metrics_late_rows' })]);
    // The late hours' range as ISO times, not the `{}` a Date once became in jsonb.
    expect(rows[0].context).toMatchObject({
      hours: 2,
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 2 * HOUR).toISOString(),
    });
    expect(rows[0].message).toContain('sovi metrics refresh --from 2026-05-01 --to 2026-05-02');
    expect(await mismatches()).toBeGreaterThan(0);
    const progress: [number, number][] = [];
    const backfill = await backfillRollups(t.pool, new Date(T0), new Date(T0 + 2 * HOUR), (d, n) =>
      progress.push([d, n]),
    );
    expect(backfill.days).toBe(1);
    expect(progress).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(await mismatches()).toBe(0);
  });

  it('never rebuilds days whose raw snapshots retention has pruned', async () => {
    await snapshots(T0, 30);
    await refreshRollups(t.pool, settings, now);
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM metrics_hourly')).rows[0].n;
    await t.pool.query('DELETE FROM metric_snapshots WHERE time < $1', [new Date(T0 + 12 * HOUR)]);
    // Retention of 1 day at 05-02 12:00: 05-01 is partly pruned, so the backfill starts on 05-02.
    const report = await backfillRollups(t.pool, new Date(T0), new Date(T0 + 2 * 24 * HOUR), undefined, {
      rawRetentionDays: 1,
      now: new Date(T0 + 36 * HOUR),
    });
    expect(report).toMatchObject({ days: 1, clampedFrom: new Date(T0 + 24 * HOUR) });
    expect((await t.pool.query('SELECT count(*)::int AS n FROM metrics_hourly')).rows[0].n).toBe(before);
  });

  it('keeps the day tables: content and niche gains add up to what the views grew by', async () => {
    await snapshots(T0, 40);
    await refreshRollups(t.pool, settings, now);
    const { rows: content } = await t.pool.query(
      `SELECT day::text, views::int, views_gained::int FROM content_metrics_daily WHERE content_id = $1 ORDER BY day`,
      [dists[0]!.content],
    );
    // Day 1: each distribution's last views that day; day 2: the growth since.
    const last = (hoursIn: number, i: number) => 100 * (hoursIn * 3 - 1) + 7 * i;
    const day1 = [1, 2, 3].reduce((s, i) => s + last(24, i), 0);
    const day2 = [1, 2, 3].reduce((s, i) => s + last(40, i), 0);
    expect(content).toEqual([
      { day: '2026-05-01', views: day1, views_gained: day1 },
      { day: '2026-05-02', views: day2, views_gained: day2 - day1 },
    ]);
    const { rows: niches } = await t.pool.query(
      `SELECT day::text, views_gained::int, accounts, followers::int FROM niche_metrics_daily WHERE niche_id = $1 ORDER BY day`,
      [niche],
    );
    expect(niches.filter((n) => n.day <= '2026-05-02')).toEqual([
      { day: '2026-05-01', views_gained: day1, accounts: 3, followers: 3 * (500 + 71) },
      { day: '2026-05-02', views_gained: day2 - day1, accounts: 3, followers: 3 * (500 + 119) },
    ]);
  });

  it('keeps the trailing week for the top-content read, the same as summing its days', async () => {
    await snapshots(T0, 40);
    await refreshRollups(t.pool, settings, now);
    const week = await topContent(t.db, { days: 7, limit: 10, now: now() });
    await t.pool.query('DELETE FROM content_metrics_week');
    const summed = await topContent(t.db, { days: 7, limit: 10, now: now() });
    expect(week).toEqual(summed);
    const lastViews = [1, 2, 3].reduce((sum, i) => sum + 100 * (40 * 3 - 1) + 7 * i, 0);
    expect(week).toEqual([
      expect.objectContaining({ contentId: dists[0]!.content, viewsGained: lastViews, views: lastViews }),
    ]);
  });

  it('runs one refresh at a time: while one holds the lock, another stands aside', async () => {
    await snapshots(T0, 10);
    const holder = await t.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [REFRESH_LOCK.toString()]);
      expect(await refreshRollups(t.pool, settings, now)).toMatchObject({ ran: false, hours: 0 });
      expect((await rollupStatus(t.pool)).pendingHours).toBe(10);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await refreshRollups(t.pool, settings, now)).toMatchObject({ ran: true, hours: 10 });
    expect(await mismatches()).toBe(0);
  });
});
