// Workers on the job engine: many workers and hosts on one database, never two sessions on one device.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { createDevice } from '../../src/devices/devices-service.ts';
import { startWarmingWorker, type WarmingWorker } from '../../src/jobs/warming-worker.ts';
import type { SessionExecutor } from '../../src/plugins/executor.ts';
import { defaultWarmingPolicy } from '../../src/warming/warming-policy.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const workers: WarmingWorker[] = [];
const databases: Database[] = [];

const config = () =>
  loadConfig({
    DATABASE_URL: t.url,
    SOVI_JOB_POOL_MAX: '3',
    SOVI_DB_POOL_MAX: '4',
    SOVI_JOB_SUPERVISE_SECONDS: '1',
    SOVI_DEVICE_QUEUE_DEPTH: '3',
    SOVI_WORKER_CONCURRENCY: '4',
  });

async function worker(
  host: string,
  executor: SessionExecutor,
  sessionPollSeconds?: number,
): Promise<WarmingWorker> {
  const cfg = config();
  const database = await openDatabase(cfg, quietLogger, { applicationName: `test worker ${host}` });
  databases.push(database);
  const w = await startWarmingWorker({
    config: cfg,
    database,
    logger: quietLogger,
    host,
    executor,
    policy: defaultWarmingPolicy,
    schedulePlanner: false,
    ...(sessionPollSeconds === undefined ? {} : { sessionPollSeconds }),
  });
  workers.push(w);
  return w;
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await Promise.all(databases.splice(0).map((d) => d.close()));
  await t.pool.query(
    'DELETE FROM warming_queue; DELETE FROM warming_progress; DELETE FROM activity_log; DELETE FROM system_events; DELETE FROM accounts; DELETE FROM devices',
  );
});

/** An executor that counts how many sessions run on each device at once, across every worker using it. */
function countingExecutor(durationMs: number, tag = '') {
  const running = new Map<string, number>();
  const most = new Map<string, number>();
  const ran: { device: string; host: string; tag: string }[] = [];
  const executor: SessionExecutor = {
    name: 'counting',
    runSession: async (r) => {
      running.set(r.device.id, (running.get(r.device.id) ?? 0) + 1);
      most.set(r.device.id, Math.max(most.get(r.device.id) ?? 0, running.get(r.device.id) ?? 0));
      ran.push({ device: r.device.id, host: r.device.host, tag });
      try {
        await new Promise((resolve) => setTimeout(resolve, durationMs));
      } finally {
        running.set(r.device.id, (running.get(r.device.id) ?? 1) - 1);
      }
      return {
        outcome: 'success',
        videosWatched: 3,
        likes: 0,
        follows: 0,
        durationSeconds: durationMs / 1000,
      };
    },
  };
  return { executor, most, ran };
}

describe('warming workers on the job engine', () => {
  it('never runs two sessions on one device at once, with 8 workers sharing a host', async () => {
    const cfg = config();
    const setup = await openDatabase(cfg, quietLogger, { applicationName: 'test setup' });
    databases.push(setup);
    await prepareDatabase(setup, cfg, quietLogger);
    const devices = [];
    for (let i = 0; i < 4; i++)
      devices.push(
        await createDevice(t.db, { name: `ex-${i}`, udid: `ex-${i}`, host: 'shared', status: 'active' }),
      );
    for (let i = 0; i < 24; i++) await factories.account(t.pool);

    const counting = countingExecutor(60);
    const pool: WarmingWorker[] = [];
    for (let i = 0; i < 8; i++) pool.push(await worker('shared', counting.executor));
    // Plan repeatedly from different workers until every account has had its first session.
    await vi.waitFor(
      async () => {
        await pool[Math.floor(Math.random() * pool.length)]!.planNow();
        const { rows } = await t.pool.query(
          `SELECT count(*)::int AS n FROM accounts WHERE last_warmed_at IS NOT NULL`,
        );
        expect(rows[0].n).toBe(24);
      },
      { timeout: 60_000, interval: 300 },
    );
    expect(Math.max(...counting.most.values())).toBe(1);
    expect(counting.ran).toHaveLength(24);
    // And the database agrees: no two sessions of one device overlap in time.
    const { rows } = await t.pool.query(`
      SELECT count(*)::int AS overlaps FROM warming_progress a JOIN warming_progress b
        ON a.device_id = b.device_id AND a.id < b.id
       AND a.started_at < b.completed_at AND b.started_at < a.completed_at`);
    expect(rows[0].overlaps).toBe(0);
    const per = await t.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT session_key)::int AS keys FROM warming_progress`,
    );
    expect(per.rows[0]).toEqual({ n: 24, keys: 24 });
  }, 90_000);

  it('splits work by host: each worker runs only its own devices', async () => {
    const cfg = config();
    const setup = await openDatabase(cfg, quietLogger, { applicationName: 'test setup' });
    databases.push(setup);
    await prepareDatabase(setup, cfg, quietLogger);
    for (const host of ['hostA', 'hostB']) {
      for (let i = 0; i < 2; i++)
        await createDevice(t.db, { name: `${host}-${i}`, udid: `${host}-${i}`, host, status: 'active' });
    }
    const loose = [];
    for (let i = 0; i < 12; i++) loose.push(await factories.account(t.pool));

    const a = countingExecutor(30, 'A');
    const b = countingExecutor(30, 'B');
    const workerA = await worker('hostA', a.executor);
    const workerB = await worker('hostB', b.executor);
    await vi.waitFor(
      async () => {
        // One after the other: planned at once, the first host's tick holds every unassigned account it
        // read (SKIP LOCKED), so the other could find none twice running and the split would be by chance.
        await workerA.planNow();
        await workerB.planNow();
        const { rows } = await t.pool.query(
          `SELECT count(*)::int AS n FROM accounts WHERE last_warmed_at IS NOT NULL`,
        );
        expect(rows[0].n).toBe(12);
      },
      { timeout: 60_000, interval: 300 },
    );
    expect(a.ran.every((r) => r.host === 'hostA')).toBe(true);
    expect(b.ran.every((r) => r.host === 'hostB')).toBe(true);
    expect(a.ran.length).toBeGreaterThan(0);
    expect(b.ran.length).toBeGreaterThan(0);
    expect(a.ran.length + b.ran.length).toBe(12);
    // Each account was planned by exactly one host, and stays on its device there.
    const { rows } = await t.pool.query(`
      SELECT a.id, d.host, count(w.id)::int AS sessions FROM accounts a
      JOIN devices d ON d.id = a.device_id JOIN warming_progress w ON w.account_id = a.id GROUP BY a.id, d.host`);
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.sessions === 1)).toBe(true);
  }, 90_000);

  it("starts a phone's next queued session as the last one ends, without waiting for the poll", async () => {
    const cfg = config();
    const setup = await openDatabase(cfg, quietLogger, { applicationName: 'test setup' });
    databases.push(setup);
    await prepareDatabase(setup, cfg, quietLogger);
    await createDevice(t.db, { name: 'solo', udid: 'solo', host: 'handoff', status: 'active' });
    for (let i = 0; i < 3; i++) await factories.account(t.pool);

    // Slots poll every 10 minutes: only NOTIFY (when sessions are planned) and the hand-off wake them.
    const pollSeconds = 600;
    const counting = countingExecutor(50);
    const w = await worker('handoff', counting.executor, pollSeconds);
    const plan = await w.planNow();
    expect(plan.planned).toBe(3);
    // The three sessions share one phone, so each after the first became fetchable only when the one
    // before it completed, with no NOTIFY: they can all finish within this wait only if each slot fetched
    // again at once. Waiting on the poll, the second would start 10 minutes after the first.
    await vi.waitFor(
      async () => {
        const { rows } = await t.pool.query(
          `SELECT count(*)::int AS n FROM warming_progress WHERE completed_at IS NOT NULL`,
        );
        expect(rows[0].n).toBe(3);
      },
      { timeout: (pollSeconds / 5) * 1_000, interval: 200 },
    );
    expect(counting.ran).toHaveLength(3);
    expect(Math.max(...counting.most.values())).toBe(1);
  }, 180_000);
});
