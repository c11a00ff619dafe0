// The metric pull on the job engine: a pull through its queue (the simulator collector by default, so a
// fresh install needs no platform account), and its cron, or none when it is off.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { metricsQueues, startMetricsWorker } from '../../src/jobs/metrics-worker.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function startWorker(env: Record<string, string> = {}, schedule = false) {
  const config = loadConfig({ DATABASE_URL: t.url, SOVI_JOB_POOL_MAX: '3', SOVI_DB_POOL_MAX: '4', ...env });
  const database = await openDatabase(config, quietLogger, { applicationName: 'test metrics pull' });
  await prepareDatabase(database, config, quietLogger);
  const boss = createBoss(database.connection, config.scheduler, quietLogger, {
    migrate: false,
    background: true,
  });
  await boss.start();
  const worker = await startMetricsWorker({ config, database, logger: quietLogger, boss, schedule });
  stops.push(async () => {
    await worker.stop();
    await boss.stop({ graceful: false, close: true });
    await database.close();
  });
  return { worker, boss };
}

describe('the metric pull job', () => {
  it('pulls when its queue gets a job, as the cron sends one', async () => {
    const account = await factories.account(t.pool, { platform: 'tiktok', current_state: 'active' });
    const d = await factories.distribution(t.pool, {
      account_id: account.id,
      status: 'posted',
      platform_post_id: 'sim_queue_1',
      posted_at: new Date(Date.now() - 3_600_000),
    });
    const { boss } = await startWorker();
    await boss.send(metricsQueues.pull, {});
    const row = await until('a snapshot from the queued pull', async () => {
      const { rows } = await t.pool.query(
        `SELECT views, follower_count_at FROM metric_snapshots WHERE distribution_id = $1`,
        [d.id],
      );
      return rows[0] as { views: number; follower_count_at: number } | undefined;
    });
    expect(row.views).toBeGreaterThan(0);
    expect(row.follower_count_at).toBeGreaterThan(0);
  });

  it('schedules the pull on SOVI_METRICS_PULL_CRON, or not when it is off', async () => {
    const { boss } = await startWorker({ SOVI_METRICS_PULL_CRON: '7 * * * *' }, true);
    expect(await boss.getSchedules(metricsQueues.pull)).toMatchObject([
      { name: metricsQueues.pull, cron: '7 * * * *', timezone: 'UTC' },
    ]);
    await startWorker({ SOVI_METRICS_PULL_CRON: 'off' }, true);
    expect(await boss.getSchedules(metricsQueues.pull)).toEqual([]);
  });
});
