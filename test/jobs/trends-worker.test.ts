// The trends job on the job engine: a pull through the queue, its cron, and failures that never escape.
import type { PgBoss } from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { startTrendsWorker, trendsQueues, type TrendsWorker } from '../../src/jobs/trends-worker.ts';
import type { TrendSource } from '../../src/plugins/trend-source.ts';
import { defaultTrendsSettings, type TrendsSettings } from '../../src/settings/trends-settings.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import { RECORDED_AT, startFixtureServer, type FixtureServer } from '../trends/fixture-server.ts';

const t = useTestDatabase();
const stops: (() => Promise<void>)[] = [];
let server: FixtureServer;
let settings: TrendsSettings;

beforeAll(async () => {
  server = await startFixtureServer();
  settings = {
    ...defaultTrendsSettings,
    redditBaseUrl: server.url,
    subreddits: { personal_finance: ['personalfinance', 'povertyfinance'] },
    sourceOptions: { minIntervalMs: 0 },
    fetchTimeoutMs: 2_000,
  };
});
afterAll(async () => server.close());

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await t.pool.query(
    'DELETE FROM trend_observations; DELETE FROM trending_topics; DELETE FROM system_events',
  );
  server.route('/r/povertyfinance/top.json', { file: 'reddit/r/povertyfinance/top.json' });
});

async function startWorker(
  options: { source?: TrendSource; schedulePulls?: boolean; now?: () => Date } = {},
): Promise<{ worker: TrendsWorker; boss: PgBoss }> {
  const config = loadConfig({ DATABASE_URL: t.url, SOVI_JOB_POOL_MAX: '3', SOVI_DB_POOL_MAX: '4' });
  const database: Database = await openDatabase(config, quietLogger, { applicationName: 'test trends' });
  await prepareDatabase(database, config, quietLogger);
  const boss = createBoss(database.connection, config.scheduler, quietLogger, {
    migrate: false,
    background: true,
  });
  await boss.start();
  const worker = await startTrendsWorker({
    settings,
    database,
    logger: quietLogger,
    boss,
    schedulePulls: options.schedulePulls ?? false,
    now: options.now ?? (() => RECORDED_AT),
    source: options.source,
  });
  stops.push(async () => {
    await worker.stop();
    await boss.stop({ graceful: false, close: true });
    await database.close();
  });
  return { worker, boss };
}

const activeTopics = async () =>
  (await t.pool.query('SELECT count(*)::int AS n FROM trending_topics WHERE is_active')).rows[0].n as number;

describe('the trends worker', () => {
  it('pulls when its queue gets a job, as the cron sends one', async () => {
    const { boss } = await startWorker();
    await boss.send(trendsQueues.pull, {});
    expect(
      await until('topics from the queued pull', async () => ((await activeTopics()) > 0 ? true : undefined)),
    ).toBe(true);
    expect(await activeTopics()).toBe(10);
  });

  it('schedules the pull on the configured cron, or not when it is off', async () => {
    settings = { ...settings, pullCron: '7 * * * *' };
    try {
      const { boss } = await startWorker({ schedulePulls: true });
      expect(await boss.getSchedules(trendsQueues.pull)).toMatchObject([
        { name: trendsQueues.pull, cron: '7 * * * *', timezone: 'UTC' },
      ]);
      // 'off' takes the schedule away again.
      settings = { ...settings, pullCron: 'off' };
      await startWorker({ schedulePulls: true });
      expect(await boss.getSchedules(trendsQueues.pull)).toEqual([]);
    } finally {
      settings = { ...settings, pullCron: defaultTrendsSettings.pullCron };
    }
  });

  it('survives a failing source: the others are ingested and the failure is an event', async () => {
    server.route('/r/povertyfinance/top.json', { status: 500 });
    const { worker } = await startWorker();
    const result = await worker.pull();
    expect(result.failures.map((f) => f.message)).toEqual([
      expect.stringMatching(/^r\/povertyfinance: HTTP 500 Internal Server Error/),
    ]);
    expect(result.created).toBe(7);
    const { rows } = await t.pool.query(
      `SELECT severity, resolved FROM system_events WHERE event_type = 'trend_fetch_failed'`,
    );
    expect(rows).toEqual([{ severity: 'warning', resolved: false }]);
  });

  it('keeps working when a plug-in throws, and ages topics out on each pull', async () => {
    let clock = RECORDED_AT;
    let calls = 0;
    let closed = false;
    const flaky: TrendSource = {
      name: 'flaky',
      targets: (niches) => (niches.includes('motivation') ? [{ niche: 'motivation', group: 'flaky' }] : []),
      fetch: async () => {
        calls++;
        if (calls > 1) throw new TypeError("Cannot read properties of undefined (reading 'items')");
        return [{ id: 'x', title: 'A lasting topic', url: null, engagement: 5, publishedAt: RECORDED_AT }];
      },
      close: async () => {
        closed = true;
      },
    };
    const { worker } = await startWorker({ source: flaky, now: () => clock });
    expect((await worker.pull()).created).toBe(1);
    clock = new Date(RECORDED_AT.getTime() + 73 * 3_600_000);
    const later = await worker.pull();
    expect(later.failures.map((f) => f.message)).toEqual([
      "Cannot read properties of undefined (reading 'items')",
    ]);
    expect(later.deactivated).toBe(1);
    expect(await activeTopics()).toBe(0);
    await stops.splice(0)[0]!();
    expect(closed).toBe(true);
  });
});
