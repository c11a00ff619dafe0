// Raw snapshot retention is off unless configured, deletes only what is past both the retention and the rollup
// watermark, in batches that each commit, and never touches the rollups.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pruneSnapshots, type SnapshotPruneProgress } from '../../src/maintenance/snapshot-retention.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

let distribution: { id: string; account_id: string };

beforeAll(async () => {
  distribution = (await factories.distribution(t.pool)) as typeof distribution;
});

afterEach(async () => {
  await t.pool.query(
    'DELETE FROM metric_snapshots; DELETE FROM metrics_hourly; DELETE FROM metrics_daily; DELETE FROM system_events',
  );
});

/** `count` snapshots a minute apart from `from`. */
async function snapshots(from: Date, count: number): Promise<void> {
  await t.pool.query(
    `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes)
     SELECT $1::timestamptz + g * interval '1 minute', $2, $3, 100 + g, g FROM generate_series(0, $4 - 1) g`,
    [from, distribution.id, distribution.account_id, count],
  );
}

async function remaining(): Promise<number> {
  return (await t.pool.query('SELECT count(*)::int AS n FROM metric_snapshots')).rows[0].n;
}

async function rollups() {
  const hourly = await t.pool.query('SELECT * FROM metrics_hourly ORDER BY distribution_id, bucket');
  const daily = await t.pool.query('SELECT * FROM metrics_daily ORDER BY distribution_id, bucket');
  return { hourly: hourly.rows, daily: daily.rows };
}

async function pruneEvents() {
  return (
    await t.pool.query(
      `SELECT category, severity, context FROM system_events WHERE event_type = 'metric_snapshots_pruned' ORDER BY id`,
    )
  ).rows;
}

describe('raw snapshot retention', () => {
  it('does nothing when no retention is configured', async () => {
    await snapshots(daysAgo(400), 5);
    expect(await pruneSnapshots(t.db, { retentionDays: undefined, safeBefore: new Date() })).toBe(0);
    expect(await remaining()).toBe(5);
    expect(await pruneEvents()).toEqual([]);
  });

  it('deletes only snapshots older than both the retention and the rollup watermark, and keeps the rollups', async () => {
    for (const age of [100, 50, 20, 1]) await snapshots(daysAgo(age), 10);
    await t.pool.query('SELECT refresh_metric_rollups($1, now())', [daysAgo(101)]);
    const before = await rollups();
    expect(before.hourly.length).toBeGreaterThan(0);
    expect(before.daily.length).toBeGreaterThan(0);

    // Watermark 60 days ago, retention 30 days: only what is older than 60 days goes.
    expect(await pruneSnapshots(t.db, { retentionDays: 30, safeBefore: daysAgo(60) })).toBe(10);
    expect(await remaining()).toBe(30);
    // Watermark now, retention 30 days: now the 50-day-old rows go too, and the 20-day-old ones stay.
    expect(await pruneSnapshots(t.db, { retentionDays: 30, safeBefore: new Date() })).toBe(10);
    const { rows } = await t.pool.query<{ oldest: Date }>('SELECT min(time) AS oldest FROM metric_snapshots');
    expect(rows[0]!.oldest.getTime()).toBeCloseTo(daysAgo(20).getTime(), -5);
    expect(await pruneSnapshots(t.db, { retentionDays: 30, safeBefore: new Date() })).toBe(0);

    expect(await rollups()).toEqual(before);
    const events = await pruneEvents();
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      category: 'maintenance',
      severity: 'info',
      context: { deleted: 10, retentionDays: 30, safeBefore: expect.any(String) },
    });
  });

  it('deletes in batches that each commit, reporting progress', async () => {
    await snapshots(daysAgo(200), 2_500);
    await snapshots(daysAgo(2), 3);
    const seen: SnapshotPruneProgress[] = [];
    const deleted = await pruneSnapshots(t.db, {
      retentionDays: 90,
      safeBefore: new Date(),
      batchSize: 1_000,
      onProgress: (p) => seen.push(p),
    });
    expect(deleted).toBe(2_500);
    expect(seen).toEqual([
      { deleted: 0, total: 2_500 },
      { deleted: 1_000, total: 2_500 },
      { deleted: 2_000, total: 2_500 },
      { deleted: 2_500, total: 2_500 },
    ]);
    expect(await remaining()).toBe(3);
    expect((await pruneEvents())[0].context).toMatchObject({ deleted: 2_500, batchSize: 1_000 });
  });

  it('keeps the batches already deleted when stopped between batches', async () => {
    await snapshots(daysAgo(200), 2_500);
    const controller = new AbortController();
    const stopped = pruneSnapshots(t.db, {
      retentionDays: 90,
      safeBefore: new Date(),
      batchSize: 1_000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.deleted >= 1_000) controller.abort(new Error('stop'));
      },
    });
    await expect(stopped).rejects.toThrow('stop');
    expect(await remaining()).toBe(1_500);
    expect(await pruneSnapshots(t.db, { retentionDays: 90, safeBefore: new Date() })).toBe(1_500);
  });

  it('counts what it would delete on a dry run, and deletes nothing', async () => {
    await snapshots(daysAgo(200), 7);
    await snapshots(daysAgo(5), 2);
    expect(await pruneSnapshots(t.db, { retentionDays: 90, safeBefore: new Date(), dryRun: true })).toBe(7);
    expect(await remaining()).toBe(9);
    expect(await pruneEvents()).toEqual([]);
  });

  it('refuses a retention shorter than a week', async () => {
    await expect(pruneSnapshots(t.db, { retentionDays: 3, safeBefore: new Date() })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'retentionDays: expected an integer between 7 and 36500, got 3',
    });
  });
});
