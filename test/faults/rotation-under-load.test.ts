// Rotating the vault key while the API reads and reveals secrets and a worker runs sessions on the same
// accounts, with the rotator (`sovi keys rotate`, a real process) SIGKILLed 3 times at random points: no
// read ever fails to decrypt, every reveal returns the seeded plaintext, each new run resumes where the
// last one stopped, and once a run completes no value is left under the old key.
//
// The kill points are seeded: SOVI_FAULT_SEED=<seed> replays the ones a failed run logged.
import { spawn } from 'node:child_process';
import type { PgBoss } from 'pg-boss';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { revealSecrets } from '../../src/accounts/account-secrets.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { createDevice } from '../../src/devices/devices-service.ts';
import { seededRandom } from '../../src/random.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { sessionJobSink } from '../../src/jobs/warming-worker.ts';
import { countValuesByKey } from '../../src/vault/key-rotation.ts';
import { planWarming } from '../../src/warming/planner.ts';
import { defaultWarmingPolicy } from '../../src/warming/warming-policy.ts';
import { accountDeps, keyLine, newAccount, vaultWith } from '../helpers/accounts.ts';
import { findCanaries } from '../helpers/canary.ts';
import { SOVI_BIN, cliEnv, runSovi } from '../helpers/cli.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from '../http/helpers.ts';
import { errorLines, workerFleet, type WorkerFleet } from './worker-processes.ts';

const t = useTestDatabase();
const HOST = 'rotation';
const ACCOUNTS = 1_200;
const VALUES = ACCOUNTS * 4;
const KILLS = 3;
const seed = Number(process.env.SOVI_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const oldKey = keyLine('kold');
const newKey = keyLine('knew');

let fleet: WorkerFleet | undefined;
let boss: PgBoss | undefined;
let api: TestApp | undefined;
const rotators: ReturnType<typeof spawn>[] = [];
afterAll(async () => {
  for (const r of rotators) r.kill('SIGKILL');
  await fleet?.killAll();
  await boss?.stop({ graceful: false, close: true });
  await api?.close();
});

/** `sovi keys rotate` with both keys, the new one last, as an operator runs it. */
function startRotator() {
  const child = spawn(process.execPath, [SOVI_BIN, 'keys', 'rotate', '--batch-size', '25'], {
    env: cliEnv({ DATABASE_URL: t.url, SOVI_VAULT_KEYS: `${oldKey},${newKey}` }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  rotators.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => ({ stdout, stderr }) };
}

const onKey = async (id: string) => (await countValuesByKey(t.db)).get(id) ?? 0;

describe('key rotation under load', () => {
  it(`re-encrypts every value with API reads and sessions running, the rotator killed ${KILLS} times`, async () => {
    console.log(`sovi fault test: rotation under load with seed ${seed} (replay: SOVI_FAULT_SEED=${seed})`);
    const random = seededRandom(seed);
    const config = loadConfig({ DATABASE_URL: t.url });
    const setup = await openDatabase(config, quietLogger, { applicationName: 'rotation test' });
    await prepareDatabase(setup, config, quietLogger);
    await setup.close();

    // Accounts whose secrets are sealed under the old key, remembered in plaintext to check reveals against.
    const seeded = new Map<string, NonNullable<ReturnType<typeof newAccount>['secrets']>>();
    const seedDeps = accountDeps(t.db, vaultWith(oldKey));
    const seedStarted = performance.now();
    for (let i = 0; i < ACCOUNTS; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, ACCOUNTS - i) }, async () => {
          const input = newAccount();
          seeded.set((await addAccount(seedDeps, input)).id, input.secrets!);
        }),
      );
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    expect(await countValuesByKey(t.db)).toEqual(new Map([['kold', VALUES]]));
    const ids = [...seeded.keys()];

    // A worker running sessions of these accounts (their rows are written as the rotation locks them).
    for (let i = 0; i < 4; i++) {
      await createDevice(t.db, {
        name: `rot-phone-${i}`,
        udid: `rot-udid-${i}`,
        host: HOST,
        status: 'active',
      });
    }
    fleet = workerFleet(HOST, {
      DATABASE_URL: t.url,
      SOVI_VAULT_KEYS: `${oldKey},${newKey}`,
      SOVI_EXECUTOR_OPTIONS: JSON.stringify({
        seed,
        deviceDropRate: 0,
        loginFailureRate: 0,
        challengeRate: 0,
        minDurationMs: 100,
        maxDurationMs: 400,
      }),
      SOVI_DEVICE_QUEUE_DEPTH: '4',
      SOVI_JOB_POOL_MAX: '3',
      SOVI_DB_POOL_MIN: '0',
      SOVI_DB_POOL_MAX: '4',
      SOVI_CONTENT_CONCURRENCY: '0',
      SOVI_TRENDS_PULL_CRON: 'off',
    });
    await fleet.start().running;
    boss = createBoss({ url: t.url }, config.scheduler, quietLogger, { migrate: false, background: false });
    await boss.start();
    const jobBoss = boss;
    const plan = () =>
      planWarming({
        db: t.db,
        policy: defaultWarmingPolicy,
        sink: sessionJobSink(jobBoss),
        logger: quietLogger,
        host: HOST,
        deviceQueueDepth: 4,
      });

    // The API, holding both keys as a deployment does while it rotates, under steady reads and reveals.
    api = await startTestApp(t, { vault: vaultWith(oldKey, newKey) });
    const app = api;
    const traffic = { requests: 0, reveals: 0, failures: [] as string[] };
    let loadRunning = true;
    const client = async (n: number) => {
      const pick = seededRandom(seed + n);
      while (loadRunning) {
        const id = ids[Math.floor(pick() * ids.length)]!;
        const reveal = await app.app.inject({
          method: 'POST',
          url: `/api/v1/accounts/${id}/reveal`,
          headers: bearer(app.admin.secret),
        });
        traffic.requests++;
        if (reveal.statusCode !== 200)
          traffic.failures.push(`reveal ${id}: ${reveal.statusCode} ${reveal.body}`);
        else {
          traffic.reveals++;
          const got = reveal.json<{ secrets: Record<string, string> }>().secrets;
          if (JSON.stringify(got) !== JSON.stringify(seeded.get(id)))
            traffic.failures.push(`reveal ${id} returned other values than were stored`);
        }
        const read = await app.app.inject({
          method: 'GET',
          url: pick() < 0.5 ? `/api/v1/accounts/${id}` : '/api/v1/accounts?limit=50',
          headers: bearer(app.reader.secret),
        });
        traffic.requests++;
        if (read.statusCode !== 200) traffic.failures.push(`GET ${read.statusCode} ${read.body}`);
      }
    };
    const planner = async () => {
      while (loadRunning) {
        await plan();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    const load = Promise.all([client(1), client(2), client(3), planner()]);

    try {
      // Three rotators, each SIGKILLed once it has re-encrypted a random share of what was left.
      const progress: number[] = [];
      for (let kill = 1; kill <= KILLS; kill++) {
        const before = await onKey('knew');
        const share = 0.05 + random() * 0.2;
        const target = before + Math.ceil((VALUES - before) * share);
        const rotator = startRotator();
        let gone: { code: number | null; signal: NodeJS.Signals | null } | undefined;
        void rotator.exited.then((exit) => (gone = exit));
        await vi.waitFor(
          async () => {
            if (gone)
              throw new Error(`the rotator exited before it was killed: ${JSON.stringify(rotator.output())}`);
            expect(await onKey('knew')).toBeGreaterThanOrEqual(target);
          },
          { timeout: 60_000, interval: 10 },
        );
        rotator.child.kill('SIGKILL');
        expect(await rotator.exited).toMatchObject({ signal: 'SIGKILL' });
        const after = await onKey('knew');
        progress.push(after);
        expect(findCanaries(`${rotator.output().stdout}${rotator.output().stderr}`)).toEqual([]);
        // Every value is under one key or the other; a batch is never half-written.
        expect((await onKey('kold')) + after).toBe(VALUES);
      }
      // The kills fell at different points, and every run moved on from where the last one stopped.
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress[0]).toBeGreaterThan(0);
      expect(progress.at(-1)).toBeLessThan(VALUES);

      // The last run completes: it re-encrypts only what the killed runs left, with progress on stderr.
      const left = await onKey('kold');
      const finalStarted = performance.now();
      const final = startRotator();
      expect(await final.exited, JSON.stringify(final.output())).toEqual({ code: 0, signal: null });
      const finalSeconds = (performance.now() - finalStarted) / 1000;
      const { stdout, stderr } = final.output();
      expect(stdout).toContain(
        `rotated to key knew: ${left} values re-encrypted in ${ACCOUNTS} accounts; 0 values left on older keys`,
      );
      expect(stderr).toContain(`rotate: 100% (${ACCOUNTS}/${ACCOUNTS})`);
      expect(findCanaries(`${stdout}${stderr}`)).toEqual([]);

      // Let the load run on a moment under the new key, then stop it.
      const requestsAtEnd = traffic.requests;
      await vi.waitFor(() => expect(traffic.requests).toBeGreaterThan(requestsAtEnd + 20), {
        timeout: 30_000,
      });
      loadRunning = false;
      await load;

      const status = await runSovi(['keys', 'status', '--json'], {
        DATABASE_URL: t.url,
        SOVI_VAULT_KEYS: `${oldKey},${newKey}`,
      });
      expect(JSON.parse(status.stdout)).toEqual([
        { keyId: 'knew', values: VALUES, configured: true, newest: true },
      ]);

      // 0 decrypt errors: in the API, in the worker, and in the stored data, now readable by the new key alone.
      expect(traffic.failures).toEqual([]);
      expect(errorLines(api.log())).toEqual([]);
      expect(fleet.crashed()).toEqual([]);
      expect(errorLines(fleet.all[0]!.output())).toEqual([]);
      expect(fleet.leakedSecrets()).toEqual([]);
      const sessions = await t.pool.query<{ outcome: string; n: number }>(
        `SELECT session_data->>'outcome' AS outcome, count(*)::int AS n FROM warming_progress
         WHERE completed_at IS NOT NULL GROUP BY 1`,
      );
      expect(sessions.rows.every((r) => r.outcome === 'success')).toBe(true);
      const sessionCount = sessions.rows.reduce((sum, r) => sum + r.n, 0);
      expect(sessionCount).toBeGreaterThan(0);
      const errors = await t.pool.query(
        `SELECT event_type, message FROM system_events WHERE severity IN ('error', 'critical')`,
      );
      expect(errors.rows).toEqual([]);
      const newOnly = accountDeps(t.db, vaultWith(newKey));
      for (const id of ids) expect(await revealSecrets(newOnly, id)).toEqual(seeded.get(id));

      console.log(
        `sovi fault test: rotated ${VALUES} values (${ACCOUNTS} accounts, seeded in ${seedSeconds.toFixed(1)} s); ` +
          `rotator killed at ${progress.join(', ')} values on the new key; the final run re-encrypted the ` +
          `${left} left in ${finalSeconds.toFixed(1)} s; meanwhile ${traffic.requests} API requests ` +
          `(${traffic.reveals} reveals) and ${sessionCount} sessions; 0 decrypt errors, 0 values on the old key`,
      );
    } finally {
      loadRunning = false;
      await load;
    }
  }, 300_000);
});
