// A worker that dies in the middle of a cron run (planning, here) must not stop that work for the fleet: the
// dead run is given up once its heartbeat goes stale and the next tick runs, within seconds rather than the
// queue's expiry (10 minutes for a host's planner, an hour for the rollup refresh).
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { createDevice } from '../../src/devices/devices-service.ts';
import { queues } from '../../src/jobs/job-engine.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import {
  ensureSessionQueues,
  startWarmingWorker,
  type WarmingWorker,
} from '../../src/jobs/warming-worker.ts';
import { defaultWarmingPolicy } from '../../src/warming/warming-policy.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { instantSimulator } from '../helpers/warming.ts';

const t = useTestDatabase();
const HOST = 'cron-dies';
let worker: WarmingWorker | undefined;
let database: Database | undefined;
afterAll(async () => {
  await worker?.stop();
  await database?.close();
});

describe('a worker killed during a cron run', () => {
  it("does not hold its host's planner until the job expires", async () => {
    const config = loadConfig({
      DATABASE_URL: t.url,
      SOVI_JOB_HEARTBEAT_SECONDS: '10',
      SOVI_JOB_SUPERVISE_SECONDS: '1',
      SOVI_JOB_POOL_MAX: '3',
    });
    database = await openDatabase(config, quietLogger, { applicationName: 'cron recovery test' });
    await prepareDatabase(database, config, quietLogger);
    await createDevice(t.db, { name: 'cron-phone', udid: 'cron-phone', host: HOST, status: 'active' });
    await factories.account(t.pool);

    // The dying worker: it takes the plan job and is never heard from again (no heartbeat, no completion),
    // as after a SIGKILL. No supervision of its own, so only the surviving worker can give the job up.
    const dead = createBoss({ url: t.url }, config.scheduler, quietLogger, {
      migrate: false,
      background: false,
    });
    await dead.start();
    await ensureSessionQueues(dead, HOST, config, defaultWarmingPolicy);
    await dead.send(queues.plan(HOST), {});
    const [taken] = await dead.fetch(queues.plan(HOST));
    expect(taken).toBeDefined();
    await dead.stop({ graceful: false, close: true });

    // The survivor asks for a plan; the queue is a singleton, so it waits behind the dead run.
    const killedAt = Date.now();
    worker = await startWarmingWorker({
      config,
      database,
      logger: quietLogger,
      host: HOST,
      executor: instantSimulator(),
      policy: defaultWarmingPolicy,
      schedulePlanner: false,
    });
    await worker.boss.send(queues.plan(HOST), {});
    await vi.waitFor(
      async () => {
        const { rows } = await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM warming_progress');
        expect(rows[0]!.n).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 250 },
    );
    const recoveredMs = Date.now() - killedAt;
    console.log(`sovi fault test: planner ran again ${recoveredMs} ms after its worker died mid-plan`);

    const { rows } = await t.pool.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [
      taken!.id,
    ]);
    expect(rows[0]?.state).toBe('failed');
    // The heartbeat (10 s) and supervision (1 s) bound it; the queue's expiry is 600 s.
    expect(recoveredMs).toBeLessThan(45_000);
  }, 90_000);
});
