// Keeping the rollups current: the incremental refresh (the job) and the backfill (`sovi metrics refresh`).
//
// Incremental: every insert into metric_snapshots logs the hours it touched (migration 011's statement
// trigger). A refresh takes those log rows (deleting them in its own transaction, so a crash puts them back),
// re-aggregates only those hours from the raw rows, their days from the hours, and the day tables
// (account_health_daily, content_metrics_daily, niche_metrics_daily) from the earliest changed day on, since a
// day's deltas build on the day before. Hours older than the late window are not refreshed by the job (an
// event says which, and `sovi metrics refresh` backfills them): a stray old row must not make every run
// re-aggregate months.
//
// With TimescaleDB, metrics_hourly/daily are continuous aggregates kept by their own policies; the job
// stands aside for them and only recomputes the day tables over the late window.
import type pg from 'pg';
import { withClientTransaction } from '../db/client-transaction.ts';
import { invalidInput } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import { DAY_MS, HOUR_MS, utcDay, utcDayStart } from '../time.ts';

/** One refresher at a time, across hosts: two would delete and re-insert the same buckets. */
export const REFRESH_LOCK = 0x736f7669_0011n;

export interface RollupSettings {
  /** Late rows up to this old are folded in by the job; older ones need a backfill. */
  lateWindowHours: number;
}

export const defaultRollupSettings: RollupSettings = { lateWindowHours: 72 };

export type RollupPath = 'tables' | 'timescaledb';

export interface RefreshReport {
  /** False when another refresh held the lock; nothing was done. */
  ran: boolean;
  path: RollupPath;
  hours: number;
  days: number;
  /** Changed hours older than the late window, left for a backfill. */
  lateHours: number;
  rows: number;
  watermark: Date | null;
  durationMs: number;
}

async function pathOf(client: pg.PoolClient): Promise<RollupPath> {
  const { rows } = await client.query<{ relkind: string }>(
    `SELECT relkind FROM pg_class WHERE oid = 'metrics_hourly'::regclass`,
  );
  return rows[0]?.relkind === 'r' ? 'tables' : 'timescaledb';
}

/** Contiguous runs of hours, so a burst of late data is one range per run, not one statement per hour. */
function hourRanges(hours: Date[]): [Date, Date][] {
  const ranges: [Date, Date][] = [];
  for (const hour of hours) {
    const last = ranges.at(-1);
    if (last && last[1].getTime() === hour.getTime()) last[1] = new Date(hour.getTime() + HOUR_MS);
    else ranges.push([hour, new Date(hour.getTime() + HOUR_MS)]);
  }
  return ranges;
}

async function refreshDayTables(client: pg.PoolClient, from: Date, to: Date): Promise<number> {
  let days = 0;
  for (let d = from.getTime(); d < to.getTime(); d += DAY_MS, days++) {
    const day = utcDay(new Date(d));
    await client.query(
      `SELECT refresh_account_health_day($1::date), refresh_content_metrics_day($1::date),
              refresh_niche_metrics_day($1::date)`,
      [day],
    );
  }
  return days;
}

/** The job: folds in what changed since the last run. */
export async function refreshRollups(
  pool: pg.Pool,
  settings: RollupSettings,
  now: () => Date = () => new Date(),
): Promise<RefreshReport> {
  const started = performance.now();
  return withClientTransaction(pool, async (client, db) => {
    await client.query(`SET LOCAL statement_timeout = 0`);
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
      REFRESH_LOCK.toString(),
    ]);
    const path = await pathOf(client);
    const report = (fields: Partial<RefreshReport>): RefreshReport => ({
      ran: true,
      path,
      hours: 0,
      days: 0,
      lateHours: 0,
      rows: 0,
      watermark: null,
      durationMs: Math.round(performance.now() - started),
      ...fields,
    });
    if (!locked.rows[0]!.ok) return report({ ran: false });
    const today = utcDayStart(now());
    const cutoff = new Date(now().getTime() - settings.lateWindowHours * HOUR_MS);

    if (path === 'timescaledb') {
      const days = await refreshDayTables(client, utcDayStart(cutoff), new Date(today.getTime() + DAY_MS));
      await client.query('SELECT refresh_content_metrics_week($1::date)', [utcDay(today)]);
      const watermark = await advance(client, now(), 0, started);
      return report({ days, watermark });
    }

    // Everything committed before this instant is visible to the DELETE below, so it is folded in by this run.
    const watermark = now();
    const { rows: changed } = await client.query<{ hour: Date; rows: string }>(
      `WITH taken AS (DELETE FROM metric_rollup_changes RETURNING hour, rows)
       SELECT hour, sum(rows) AS rows FROM taken GROUP BY hour ORDER BY hour`,
    );
    const fresh = changed.filter((c) => c.hour >= cutoff);
    const late = changed.filter((c) => c.hour < cutoff);
    for (const [from, to] of hourRanges(fresh.map((c) => c.hour))) {
      await client.query('SELECT refresh_metrics_hourly($1, $2)', [from, to]);
    }
    const changedDays = [...new Set(fresh.map((c) => utcDayStart(c.hour).getTime()))].sort((a, b) => a - b);
    for (const day of changedDays) {
      await client.query('SELECT refresh_metrics_daily($1, $2)', [new Date(day), new Date(day + DAY_MS)]);
    }
    // Today and yesterday always: their sessions, events and posts change without any snapshot arriving.
    const firstDay = Math.min(changedDays[0] ?? Infinity, today.getTime() - DAY_MS);
    const days = await refreshDayTables(client, new Date(firstDay), new Date(today.getTime() + DAY_MS));
    await client.query('SELECT refresh_content_metrics_week($1::date)', [utcDay(today)]);
    if (late.length > 0) {
      const first = late[0]!.hour;
      const last = late.at(-1)!.hour;
      const lateRows = late.reduce((n, c) => n + Number(c.rows), 0);
      await recordEvent(db, {
        category: 'metrics',
        severity: 'warning',
        eventType: 'metrics_late_rows',
        message:
          `${lateRows} snapshot(s) arrived for ${late.length} hour(s) older than the ${settings.lateWindowHours} h late window ` +
          `(${first.toISOString()} to ${new Date(last.getTime() + HOUR_MS).toISOString()}); the rollups leave them out until ` +
          `\`sovi metrics refresh --from ${utcDay(first)} --to ${utcDay(new Date(last.getTime() + DAY_MS))}\``,
        context: { hours: late.length, rows: lateRows, from: first, to: new Date(last.getTime() + HOUR_MS) },
      });
    }
    const rows = fresh.reduce((n, c) => n + Number(c.rows), 0);
    await advance(client, watermark, fresh.length, started);
    return report({ hours: fresh.length, days, lateHours: late.length, rows, watermark });
  });
}

async function advance(client: pg.PoolClient, watermark: Date, hours: number, started: number) {
  await client.query(
    `UPDATE metric_rollup_state SET watermark = $1, last_run_at = now(), last_hours = $2, last_duration_ms = $3`,
    [watermark, hours, Math.round(performance.now() - started)],
  );
  return watermark;
}

export interface BackfillReport {
  days: number;
  /** Where the backfill started, when raw retention made it start later than asked. */
  clampedFrom: Date | null;
  durationMs: number;
}

/**
 * Recomputes every rollup of the UTC days overlapping [from, to), one day per transaction, oldest first.
 * Waits for a running refresh rather than interleaving with it.
 */
export async function backfillRollups(
  pool: pg.Pool,
  from: Date,
  to: Date,
  onProgress?: (done: number, total: number) => void,
  options: { rawRetentionDays?: number; now?: Date } = {},
): Promise<BackfillReport> {
  if (!(to > from))
    throw invalidInput('--to', `--to (${to.toISOString()}) must be after --from (${from.toISOString()})`);
  const started = performance.now();
  // Raw snapshots older than the retention are gone (their rollups are kept): rebuilding those days from
  // what is left would overwrite good rollups with partial ones. The first whole day after the cutoff is safe.
  let clampedFrom: Date | null = null;
  if (options.rawRetentionDays !== undefined) {
    const cutoff = (options.now ?? new Date()).getTime() - options.rawRetentionDays * DAY_MS;
    const firstWhole = utcDayStart(new Date(cutoff)).getTime() + DAY_MS;
    if (from.getTime() < firstWhole) {
      clampedFrom = new Date(firstWhole);
      from = clampedFrom;
      if (!(to > from)) return { days: 0, clampedFrom, durationMs: 0 };
    }
  }
  const first = utcDayStart(from).getTime();
  const end = utcDayStart(new Date(to.getTime() - 1)).getTime() + DAY_MS;
  const total = Math.round((end - first) / DAY_MS);
  onProgress?.(0, total);
  for (let day = first, done = 0; day < end; day += DAY_MS) {
    await withClientTransaction(pool, async (client) => {
      await client.query(`SET LOCAL statement_timeout = 0`);
      await client.query('SELECT pg_advisory_xact_lock($1)', [REFRESH_LOCK.toString()]);
      if ((await pathOf(client)) === 'tables') {
        await client.query('SELECT refresh_metrics_hourly($1, $2), refresh_metrics_daily($1, $2)', [
          new Date(day),
          new Date(day + DAY_MS),
        ]);
      }
      await refreshDayTables(client, new Date(day), new Date(day + DAY_MS));
    });
    onProgress?.(++done, total);
  }
  await withClientTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [REFRESH_LOCK.toString()]);
    await client.query('SELECT refresh_content_metrics_week($1::date)', [utcDay(utcDayStart(new Date()))]);
  });
  return { days: total, clampedFrom, durationMs: Math.round(performance.now() - started) };
}

export interface RollupStatus {
  path: RollupPath;
  watermark: Date | null;
  lastRunAt: Date | null;
  lastHours: number | null;
  lastDurationMs: number | null;
  /** Hours logged since the last refresh, and the snapshots in them. */
  pendingHours: number;
  pendingRows: number;
  oldestPending: Date | null;
}

export async function rollupStatus(pool: pg.Pool): Promise<RollupStatus> {
  const { rows } = await pool.query<{
    relkind: string;
    watermark: Date | null;
    last_run_at: Date | null;
    last_hours: number | null;
    last_duration_ms: number | null;
    pending_hours: string;
    pending_rows: string | null;
    oldest: Date | null;
  }>(
    `SELECT (SELECT relkind FROM pg_class WHERE oid = 'metrics_hourly'::regclass) AS relkind,
            s.watermark, s.last_run_at, s.last_hours, s.last_duration_ms,
            (SELECT count(DISTINCT hour) FROM metric_rollup_changes) AS pending_hours,
            (SELECT sum(rows) FROM metric_rollup_changes) AS pending_rows,
            (SELECT min(hour) FROM metric_rollup_changes) AS oldest
     FROM metric_rollup_state s`,
  );
  const r = rows[0]!;
  return {
    path: r.relkind === 'r' ? 'tables' : 'timescaledb',
    watermark: r.watermark,
    lastRunAt: r.last_run_at,
    lastHours: r.last_hours,
    lastDurationMs: r.last_duration_ms,
    pendingHours: Number(r.pending_hours),
    pendingRows: Number(r.pending_rows ?? 0),
    oldestPending: r.oldest,
  };
}
