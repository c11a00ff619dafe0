// The daily maintenance job on the job engine: scheduled at 03:30 UTC, it maintains activity_log's partitions
// and prunes raw snapshots only when a retention is configured and the rollup watermark is known.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { maintenanceQueue, startMaintenanceWorker } from '../../src/jobs/maintenance-worker.ts';
import {
  defaultMaintenanceSettings,
  type MaintenanceSettings,
} from '../../src/settings/maintenance-settings.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();
const stops: (() => Promise<void>)[] = [];
const DAY = 86_400_000;

async function startWorker(
  settings: Partial<MaintenanceSettings>,
  safeBefore: () => Promise<Date | null>,
  schedule = false,
) {
  const config = loadConfig({ DATABASE_URL: t.url, SOVI_JOB_POOL_MAX: '3', SOVI_DB_POOL_MAX: '4' });
  const database = await openDatabase(config, quietLogger, { applicationName: 'test maintenance' });
  await prepareDatabase(database, config, quietLogger);
  const boss = createBoss(database.connection, config.scheduler, quietLogger, {
    migrate: false,
    background: true,
  });
  await boss.start();
  const worker = await startMaintenanceWorker({
    database,
    logger: quietLogger,
    boss,
    settings: { ...defaultMaintenanceSettings, ...settings },
    safeBefore,
    schedule,
  });
  stops.push(async () => {
    await worker.stop();
    await boss.stop({ graceful: false, close: true });
    await database.close();
  });
  return { worker, boss };
}

/** A partition for the UTC month `months` months ago, as if maintenance had made it then. */
async function oldPartition(months: number): Promise<string> {
  const now = new Date();
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 15));
  const { rows } = await t.pool.query<{ name: string }>(
    'SELECT activity_log_ensure_partitions(0, $1) AS name',
    [at],
  );
  await t.pool.query(`INSERT INTO activity_log ("timestamp", action_type) VALUES ($1, 'old')`, [at]);
  return rows[0]!.name;
}

const exists = async (table: string) =>
  (await t.pool.query('SELECT to_regclass($1) IS NOT NULL AS ok', [table])).rows[0].ok as boolean;

async function oldSnapshots(count: number): Promise<void> {
  await t.pool.query(
    `INSERT INTO metric_snapshots (time, views) SELECT now() - interval '200 days' + g * interval '1 minute', g
     FROM generate_series(1, $1) g`,
    [count],
  );
}

const snapshotCount = async () =>
  (await t.pool.query('SELECT count(*)::int AS n FROM metric_snapshots')).rows[0].n as number;

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await t.pool.query('DELETE FROM metric_snapshots; DELETE FROM system_events; DELETE FROM activity_log');
});

describe('the maintenance worker', () => {
  it('runs a queued job: old partitions dropped, rolled-up snapshots past retention pruned', async () => {
    const stale = await oldPartition(12);
    await oldSnapshots(20);
    const { boss } = await startWorker({ snapshotRetentionDays: 30 }, async () => new Date());
    const id = await boss.send(maintenanceQueue, {});
    expect(id).toBeTruthy();
    await until('the job to complete', async () => {
      const [job] = await boss.findJobs(maintenanceQueue, { id: id! });
      return job?.state === 'completed' ? job : undefined;
    });
    expect(await exists(stale)).toBe(false);
    expect(await snapshotCount()).toBe(0);
    const { rows } = await t.pool.query(
      `SELECT event_type FROM system_events WHERE category = 'maintenance' ORDER BY id`,
    );
    expect(rows.map((r) => r.event_type)).toEqual([
      'activity_log_partitions_maintained',
      'metric_snapshots_pruned',
    ]);
  });

  it('is scheduled daily at 03:30 UTC unless configured otherwise', async () => {
    const { boss } = await startWorker({}, async () => null, true);
    const [schedule] = await boss.getSchedules(maintenanceQueue);
    expect(schedule).toMatchObject({ name: maintenanceQueue, cron: '30 3 * * *', timezone: 'UTC' });
  });

  it('keeps raw snapshots when no retention is configured, or the rollup watermark is unknown', async () => {
    await oldSnapshots(5);
    let asked = 0;
    const off = await startWorker({}, async () => {
      asked++;
      return new Date();
    });
    expect((await off.worker.run()).snapshots).toEqual({ skipped: 'disabled' });
    expect(asked).toBe(0);

    const unknown = await startWorker({ snapshotRetentionDays: 30 }, async () => null);
    expect((await unknown.worker.run()).snapshots).toEqual({ skipped: 'no_watermark' });
    expect(await snapshotCount()).toBe(5);

    // The watermark bounds what goes even when the retention alone would take more.
    const watermark = new Date(Date.now() - 200 * DAY + 2.5 * 60_000);
    const known = await startWorker({ snapshotRetentionDays: 30 }, async () => watermark);
    expect((await known.worker.run()).snapshots).toEqual({ deleted: 2, safeBefore: watermark });
    expect(await snapshotCount()).toBe(3);
  });
});
