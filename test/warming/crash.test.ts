// A worker killed mid-session (SIGKILL, a real process): the session is retried by another worker within
// the heartbeat bound, runs once to completion, leaves no second warming_progress row and no blocked device.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { createDevice } from '../../src/devices/devices-service.ts';
import { SOVI_BIN, cliEnv, runSovi } from '../helpers/cli.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function startWorker(executorOptions: object): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SOVI_BIN, 'worker', '--host', 'crash'], {
    env: cliEnv({
      DATABASE_URL: t.url,
      SOVI_EXECUTOR_OPTIONS: JSON.stringify({
        deviceDropRate: 0,
        loginFailureRate: 0,
        challengeRate: 0,
        ...executorOptions,
      }),
      SOVI_JOB_POOL_MAX: '3',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('sovi worker running')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before it ran: ${out}`)));
  });
}

describe('a worker killed mid-session', () => {
  it('has its session retried and finished exactly once, within the heartbeat bound', async () => {
    const config = loadConfig({ DATABASE_URL: t.url });
    const setup = await openDatabase(config, quietLogger, { applicationName: 'crash test' });
    await prepareDatabase(setup, config, quietLogger);
    await setup.close();
    const device = await createDevice(t.db, {
      name: 'crash-phone',
      udid: 'crash-phone',
      host: 'crash',
      status: 'active',
    });
    const account = await factories.account(t.pool);

    const planned = await runSovi(['schedule', 'plan', '--host', 'crash', '--json'], { DATABASE_URL: t.url });
    expect(JSON.parse(planned.stdout)).toMatchObject({ planned: 1 });

    // Worker A takes the session and would run it for a minute.
    const a = await startWorker({ minDurationMs: 60_000, maxDurationMs: 60_000 });
    const session = await vi.waitFor(
      async () => {
        const { rows } = await t.pool.query(
          `SELECT session_key FROM warming_progress WHERE account_id = $1`,
          [account.id],
        );
        expect(rows).toHaveLength(1);
        return rows[0].session_key as string;
      },
      { timeout: 30_000, interval: 100 },
    );
    a.kill('SIGKILL');
    const killedAt = Date.now();

    // Worker B, on the same host, finishes it.
    const b = await startWorker({ minDurationMs: 100, maxDurationMs: 100 });
    await vi.waitFor(
      async () => {
        const { rows } = await t.pool.query(
          `SELECT completed_at FROM warming_progress WHERE session_key = $1`,
          [session],
        );
        expect(rows[0].completed_at).not.toBeNull();
      },
      { timeout: 120_000, interval: 250 },
    );
    const recoveredInMs = Date.now() - killedAt;
    expect(recoveredInMs).toBeLessThan(120_000);

    // pg-boss marks the job completed only after the handler has returned, a moment after the session's row
    // is complete: wait for the job's state rather than read it at once.
    await vi.waitFor(
      async () => {
        const job = await t.pool.query(`SELECT state FROM pgboss.job WHERE id = $1::uuid`, [session]);
        expect(job.rows[0]?.state).toBe('completed');
      },
      { timeout: 30_000, interval: 100 },
    );
    const { rows } = await t.pool.query(
      `SELECT (SELECT count(*)::int FROM warming_progress WHERE account_id = $1) AS rows,
              (SELECT session_data->>'outcome' FROM warming_progress WHERE account_id = $1) AS outcome,
              (SELECT current_session_key FROM devices WHERE id = $2) AS lease,
              (SELECT count(*)::int FROM warming_queue) AS queued,
              (SELECT state FROM pgboss.job WHERE id = $3::uuid) AS job_state,
              (SELECT retry_count FROM pgboss.job WHERE id = $3::uuid) AS retries`,
      [account.id, device.id, session],
    );
    expect(rows[0]).toMatchObject({
      rows: 1,
      outcome: 'success',
      lease: null,
      queued: 0,
      job_state: 'completed',
    });
    expect(rows[0].retries).toBeGreaterThanOrEqual(1);
    console.log(`sovi crash test: session recovered ${Math.round(recoveredInMs / 1000)} s after SIGKILL`);

    b.kill('SIGTERM');
    expect(await new Promise((resolve) => b.on('exit', (code) => resolve(code)))).toBe(0);
  }, 180_000);
});
