// The session slots' fetch loop (src/jobs/session-slots.ts) on a real pg-boss: at most `slots` jobs at once,
// a batch fetched for the slots freed, a throw failing the job for pg-boss to retry, a job completed inside
// the run's own transaction (and not when it rolls back), a job whose claim is gone aborted, and a stop
// handing the running jobs back.
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { JOB_SCHEMA, createBoss } from '../../src/db/job-engine.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import {
  completedByRun,
  startSessionSlots,
  type SessionSlots,
  type SessionSlotsOptions,
} from '../../src/jobs/session-slots.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();
let boss: PgBoss;
let queueCount = 0;
const started: SessionSlots[] = [];

beforeAll(async () => {
  const config = loadConfig({ DATABASE_URL: t.url });
  // The job engine's schema, as `sovi migrate` installs it.
  const setup = await openDatabase(config, quietLogger, { applicationName: 'session slots test' });
  await prepareDatabase(setup, config, quietLogger);
  await setup.close();
  boss = createBoss({ url: t.url }, config.scheduler, quietLogger, { migrate: false, background: false });
  await boss.start();
  return () => boss.stop({ graceful: false, close: true });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop(10_000)));
});

/** A queue of its own per test, with a retry that comes at once. */
async function queue(): Promise<string> {
  const name = `slots-test-${++queueCount}`;
  await boss.createQueue(name, { retryLimit: 2, retryDelay: 0, heartbeatSeconds: 10, expireInSeconds: 300 });
  return name;
}

function slots(name: string, count: number, run: SessionSlotsOptions<{ n: number }>['run']): SessionSlots {
  const s = startSessionSlots<{ n: number }>({
    boss,
    queue: name,
    slots: count,
    pollSeconds: 1,
    heartbeatSeconds: 10,
    logger: quietLogger,
    run,
  });
  started.push(s);
  return s;
}

async function states(name: string): Promise<Record<string, number>> {
  const { rows } = await t.pool.query<{ state: string; n: string }>(
    `SELECT state, count(*) AS n FROM ${JOB_SCHEMA}.job WHERE name = $1 GROUP BY state`,
    [name],
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** A promise with its resolve, for handlers that wait until the test lets them finish. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('the session slots', () => {
  it('run at most their number of jobs at once, and take the rest as slots free', async () => {
    const q = await queue();
    for (let n = 0; n < 7; n++) await boss.send(q, { n });
    const release = gate();
    let now = 0;
    let most = 0;
    const s = slots(q, 3, async () => {
      most = Math.max(most, ++now);
      await release.opened;
      now--;
      return { ok: true };
    });
    s.wake();
    await until('three jobs running', async () => (s.running() === 3 ? true : undefined));
    expect(await states(q)).toEqual({ active: 3, created: 4 });
    release.open();
    await until('every job completed', async () => ((await states(q)).completed === 7 ? true : undefined));
    expect(most).toBe(3);
  });

  it("fail a job whose run throws, and pg-boss's retry runs it again", async () => {
    const q = await queue();
    const id = await boss.send(q, { n: 1 });
    let runs = 0;
    const s = slots(q, 2, async () => {
      if (++runs === 1) throw new Error('the first attempt fails');
      return { ok: true };
    });
    s.wake();
    await until('the job completed on its retry', async () =>
      (await states(q)).completed === 1 ? true : undefined,
    );
    const [job] = await boss.findJobs(q, { id: id! });
    expect(job).toMatchObject({ state: 'completed', retryCount: 1 });
    expect(runs).toBe(2);
  });

  it("complete a job inside the run's own transaction, together with what the run wrote", async () => {
    const q = await queue();
    await sql`CREATE TABLE IF NOT EXISTS slots_effects (queue text, n int)`.execute(t.db);
    const id = await boss.send(q, { n: 7 });
    let activeInside: string | undefined;
    const s = slots(q, 2, async (job, _signal, complete) => {
      await t.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO slots_effects VALUES (${q}, ${job.data.n})`.execute(trx);
        await complete(trx, { ok: true, n: job.data.n });
        // Not committed yet: another connection still sees the job running.
        activeInside = (await boss.findJobs(q, { id: id! }))[0]?.state;
      });
      return completedByRun;
    });
    s.wake();
    await until('the job completed', async () => ((await states(q)).completed === 1 ? true : undefined));
    const [job] = await boss.findJobs(q, { id: id! });
    expect(job).toMatchObject({ state: 'completed', retryCount: 0, output: { ok: true, n: 7 } });
    expect(activeInside).toBe('active');
    const { rows } = await t.pool.query('SELECT n FROM slots_effects WHERE queue = $1', [q]);
    expect(rows).toEqual([{ n: 7 }]);
  });

  it('leave a job uncompleted when the transaction that completed it rolls back, and retry it', async () => {
    const q = await queue();
    await sql`CREATE TABLE IF NOT EXISTS slots_effects (queue text, n int)`.execute(t.db);
    const id = await boss.send(q, { n: 1 });
    let runs = 0;
    const s = slots(q, 2, async (job, _signal, complete) => {
      const attempt = ++runs;
      await t.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO slots_effects VALUES (${q}, ${attempt})`.execute(trx);
        await complete(trx, { attempt });
        if (attempt === 1) throw new Error('the first attempt fails after completing');
      });
      return completedByRun;
    });
    s.wake();
    await until('the job completed on its retry', async () =>
      (await states(q)).completed === 1 ? true : undefined,
    );
    const [job] = await boss.findJobs(q, { id: id! });
    expect(job).toMatchObject({ state: 'completed', retryCount: 1, output: { attempt: 2 } });
    const { rows } = await t.pool.query('SELECT n FROM slots_effects WHERE queue = $1', [q]);
    expect(rows).toEqual([{ n: 2 }]);
  });

  it('abort a running job whose claim is gone at their next heartbeat', async () => {
    const q = await queue();
    const id = await boss.send(q, { n: 1 });
    const aborted = gate();
    let reason = '';
    const s = slots(q, 1, async (_job, signal) => {
      await new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => {
          reason = String((signal.reason as Error).message);
          resolve();
        }),
      );
      aborted.open();
      throw signal.reason as Error;
    });
    s.wake();
    await until('the job running', async () => (s.running() === 1 ? true : undefined));
    // What the supervisor does to a job whose worker went silent: its attempt is over, another may take it.
    await t.pool.query(`UPDATE ${JOB_SCHEMA}.job SET state = 'retry' WHERE name = $1 AND id = $2`, [q, id]);
    await aborted.opened;
    expect(reason).toMatch(/no longer active under this worker's claim/);
  });

  it('hand the running jobs back when stopped, to be retried', async () => {
    const q = await queue();
    await boss.send(q, { n: 1 });
    await boss.send(q, { n: 2 });
    const s = slots(q, 2, async (_job, signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      throw signal.reason as Error;
    });
    s.wake();
    await until('both jobs running', async () => (s.running() === 2 ? true : undefined));
    await s.stop(10_000);
    expect(s.running()).toBe(0);
    expect(await states(q)).toEqual({ retry: 2 });
  });
});
