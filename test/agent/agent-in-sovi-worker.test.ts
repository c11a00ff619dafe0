// The triage agent in a real `sovi worker` (the issue: it runs in `sovi up` or `sovi worker`): it acts on a
// battery_low event as its policy file says, both on one recorded while the worker was not running yet
// (picked up by its sweep) and on one recorded while it runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEvent, recordEvent } from '../../src/events/events-service.ts';
import { eventTriage } from '../../src/triage/triage-service.ts';
import { SOVI_BIN, cliEnv, runSovi } from '../helpers/cli.ts';
import { findCanaries } from '../helpers/canary.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';
import { chargeOnBatteryLow, startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';

const t = useTestDatabase();
let fake: FakeOpenAi;
let worker: { output: () => string; stop: () => Promise<number | null> } | undefined;

/** Starts `sovi worker` and resolves once it says it runs. */
function startSoviWorker(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<NonNullable<typeof worker>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOVI_BIN, 'worker'], { env: cliEnv(env), stdio: 'pipe' });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sovi worker did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (/sovi worker running for host/.test(output)) {
        clearTimeout(timer);
        resolve({
          output: () => output,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sovi worker exited with ${code} before it ran:\n${output}`));
    });
  });
}

const batteryLow = async () => {
  const device = await factories.device(t.pool, { status: 'active', host: 'worker-host' });
  const event = await recordEvent(t.db, {
    category: 'device',
    severity: 'warning',
    eventType: 'battery_low',
    message: 'battery at 6%',
    deviceId: device.id as string,
  });
  return { device, event };
};

const acted = (eventId: number) =>
  until(
    `the agent in the worker to act on event ${eventId}`,
    async () => {
      const [first] = await eventTriage(t.db, eventId);
      return first?.status === 'acted' ? first : undefined;
    },
    { timeoutMs: 40_000 },
  );

let before: Awaited<ReturnType<typeof batteryLow>>;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  fake.script = chargeOnBatteryLow;
  // Recorded before any agent runs: the worker's sweep finds it.
  before = await batteryLow();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-agent-worker-'));
  const policy = path.join(dir, 'agent.json');
  fs.writeFileSync(policy, JSON.stringify({ rules: [{ type: 'battery_low', mode: 'act' }] }));
  // A worker never migrates: the job engine's schema is installed as a user would, first.
  const migrated = await runSovi(['migrate'], { DATABASE_URL: t.url, SOVI_HOME: dir });
  expect(migrated.code, migrated.stderr).toBe(0);
  worker = await startSoviWorker({
    DATABASE_URL: t.url,
    SOVI_HOME: dir,
    SOVI_HOST_NAME: 'worker-host',
    SOVI_AGENT: 'openai',
    SOVI_AGENT_POLICY_FILE: policy,
    SOVI_LLM_URL: fake.url,
    SOVI_LLM_MODEL: 'gpt-test',
    SOVI_LLM_API_KEY: 'sk-test',
    SOVI_CONTENT_CONCURRENCY: '0',
  });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  expect(findCanaries(worker?.output() ?? '')).toEqual([]);
  await fake.close();
});

describe('sovi worker with SOVI_AGENT=openai', () => {
  it('acts on battery_low events as its policy file says, one from before it started too', async () => {
    const during = await batteryLow();
    for (const { device, event } of [before, during]) {
      const triage = await acted(event.id);
      expect(triage.toolCalls.map((c) => c.name)).toEqual(['set_device_maintenance', 'resolve_event']);
      expect((await getEvent(t.db, event.id)).resolvedBy).toBe('llm_agent');
      const { rows } = await t.pool.query('SELECT status FROM devices WHERE id = $1', [device.id]);
      expect(rows[0].status).toBe('maintenance');
    }
  }, 60_000);
});
