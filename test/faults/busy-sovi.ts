// A busy `sovi up` for the fault tests: devices of its own host (answered by a fake WebDriverAgent),
// accounts with warming sessions queued back to back through the simulator executor, and distributions
// queued for the simulator publisher, so that the API, the warming worker and the publisher all use the
// database while a fault hits it. Content is seeded as already produced: rendering is not under test.
import fs from 'node:fs';
import { videoKeyOf } from '../../src/media/media-keys.ts';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { startFakeWda, type FakeWda } from '../../src/devices/fake-wda-server.ts';
import { pipelineJobSink } from '../../src/jobs/content-worker.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { createDb } from '../../src/db/pool.ts';
import { keyLine } from '../helpers/accounts.ts';
import { runSovi, startSoviUp, type RunningSoviProcess } from '../helpers/cli.ts';
import { quietLogger } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

export const LOAD_PATHS = [
  '/api/v1/accounts',
  '/api/v1/overview',
  '/api/v1/devices',
  '/api/v1/warming/status',
  '/api/v1/distributions',
  '/api/v1/events',
  '/api/v1/content/status',
  '/metrics',
];

export interface BusySoviOptions {
  url: string;
  host: string;
  devices: number;
  accountsPerDevice: number;
  distributions: number;
  /** Extra environment for `sovi up` (timeouts under test). */
  env?: Record<string, string>;
}

export interface BusySovi {
  readonly sovi: RunningSoviProcess;
  readonly token: string;
  readonly env: Record<string, string>;
  /** Set when the process exited (it never should before stop). */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Plans a round of sessions for every account now, as the cron tick does. */
  plan(): Promise<number>;
  close(): Promise<void>;
}

async function withPool<T>(url: string, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined); // The fault may kill an idle connection of this pool too.
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export async function startBusySovi(options: BusySoviOptions): Promise<BusySovi> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-fault-'));
  const policyFile = path.join(dir, 'warming-policy.json');
  // Every account is due again as soon as its session ends: sessions run back to back for the whole test.
  fs.writeFileSync(
    policyFile,
    JSON.stringify({
      active: { sessionsPerDay: 48, minGapMinutes: 0 },
      sessionTimeoutSeconds: 120,
    }),
  );
  const wda: FakeWda = await startFakeWda();
  const env: Record<string, string> = {
    DATABASE_URL: options.url,
    SOVI_HOME: path.join(dir, 'home'),
    SOVI_VAULT_KEYS: keyLine('k1'),
    SOVI_HOST_NAME: options.host,
    SOVI_LOG_LEVEL: 'warn',
    SOVI_WARMING_POLICY_FILE: policyFile,
    SOVI_EXECUTOR_OPTIONS: JSON.stringify({
      deviceDropRate: 0,
      loginFailureRate: 0,
      challengeRate: 0,
      minDurationMs: 600,
      maxDurationMs: 1_000,
    }),
    SOVI_PUBLISHER_OPTIONS: JSON.stringify({
      transientFailureRate: 0,
      rejectionRate: 0,
      removalRate: 0,
      delayMs: 1_500,
    }),
    SOVI_DEVICE_QUEUE_DEPTH: '100',
    // Nothing is rendered: the content is seeded as produced.
    SOVI_CONTENT_CONCURRENCY: '0',
    SOVI_WDA_HOST: '127.0.0.1',
    SOVI_HEALTH_INTERVAL_MS: '1000',
    SOVI_TRENDS_PULL_CRON: 'off',
    ...options.env,
  };

  // A no-op on a database cloned from the migrated template; an empty one gets its schema here.
  const migrated = await runSovi(['migrate'], env);
  if (migrated.code !== 0) throw new Error(`sovi migrate failed: ${migrated.stderr}`);

  const { niche, accounts } = await withPool(options.url, async (pool) => {
    const nicheRow = await pool.query<{ id: string }>(`SELECT id FROM niches ORDER BY slug LIMIT 1`);
    const nicheId = nicheRow.rows[0]!.id;
    for (let d = 0; d < options.devices; d++) {
      await factories.device(pool, { host: options.host, status: 'active', wda_port: wda.port });
    }
    const ids: string[] = [];
    for (let a = 0; a < options.devices * options.accountsPerDevice; a++) {
      const row = await factories.account(pool, { current_state: 'active', niche_id: nicheId });
      ids.push(row.id as string);
    }
    return { niche: nicheId, accounts: ids };
  });

  const created = await runSovi(['tokens', 'create', '--name', 'fault-test', '--json'], env);
  if (created.code !== 0) throw new Error(`tokens create failed: ${created.stderr}`);
  const token = (JSON.parse(created.stdout) as { token: string }).token;

  const sovi = await startSoviUp(env);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  sovi.child.on('exit', (code, signal) => (exit = { code, signal }));

  const plan = async () => {
    const planned = await runSovi(['schedule', 'plan', '--host', options.host, '--json'], env);
    if (planned.code !== 0) throw new Error(`schedule plan failed: ${planned.stderr}`);
    return (JSON.parse(planned.stdout) as { planned: number }).planned;
  };
  await plan();
  await queueDistributions(
    options.url,
    niche,
    accounts,
    options.distributions,
    path.join(dir, 'home', 'media'),
  );

  return {
    sovi,
    token,
    env,
    exited: () => exit,
    plan,
    close: async () => {
      if (!exit) sovi.child.kill('SIGKILL');
      await wda.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Produced content, one distribution per content and account, each with its publish job queued. */
async function queueDistributions(
  url: string,
  nicheId: string,
  accounts: string[],
  count: number,
  /** The media store (the default: a folder under SOVI_HOME): each content's video goes in, as rendering puts it. */
  store: string,
): Promise<void> {
  await withPool(url, async (pool) => {
    const ids: string[] = [];
    for (let i = 0; ids.length < count; i++) {
      const content = await factories.content(pool, {
        niche_id: nicheId,
        production_status: 'distributing',
        output_path: '/nonexistent/fault-test.mp4',
      });
      const video = path.join(store, videoKeyOf(String(content.id)));
      fs.mkdirSync(path.dirname(video), { recursive: true });
      fs.writeFileSync(video, 'not a real video: the simulator publisher only checks it is there');
      for (const accountId of accounts.slice((i * 2) % accounts.length, ((i * 2) % accounts.length) + 2)) {
        if (ids.length >= count) break;
        const row = await factories.distribution(pool, {
          content_id: content.id,
          account_id: accountId,
          caption: `fault test ${i}`,
        });
        ids.push(row.id as string);
      }
    }
    const config = loadConfig({ DATABASE_URL: url });
    const boss = createBoss({ url }, config.scheduler, quietLogger, {
      migrate: false,
      background: false,
      maxConnections: 2,
    });
    await boss.start();
    try {
      await pipelineJobSink(boss).enqueuePublish(
        createDb(pool),
        ids.map((id) => ({ distributionId: id, slot: null })),
      );
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
  });
}
