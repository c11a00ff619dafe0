// Plaintext canaries through everything at once, at debug log level: accounts carry canary secrets (password,
// email, TOTP secret, proxy credentials); a real `sovi up` warms them through the simulator executor (which
// is handed the credentials) and produces and publishes content through the simulator publisher; every GET
// route of the OpenAPI document is walked with a token (event streams for a moment), with /metrics; the keys
// are rotated; events and listings are printed as JSON. Then the server log, every API response, every CLI
// output, every table of the database and every file sovi wrote under SOVI_HOME are scanned for the
// canaries, raw, base64 and hex: 0 hits. Only the reveal and TOTP answers may hold a secret, and those are
// the only ones left out of the scan.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { keyLine } from '../helpers/accounts.ts';
import { canary, canaryTotpSecret, findCanaries } from '../helpers/canary.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEnv, runSovi, SOVI_BIN, startSoviUp, type RunningSoviProcess } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const k1 = keyLine('k1');
const k2 = keyLine('k2');
let home: string;
let sovi: RunningSoviProcess | undefined;
let worker: ChildProcess | undefined;
afterAll(async () => {
  worker?.kill('SIGKILL');
  await sovi?.stop('SIGKILL').catch(() => undefined);
});

// The speech endpoint's and Pexels' keys: configured, never to be written anywhere.
const ttsKey = canary('tts-api-key');
const pexelsKey = canary('pexels-api-key');
const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: t.url,
  SOVI_TTS_API_KEY: ttsKey,
  SOVI_PEXELS_API_KEY: pexelsKey,
  SOVI_VAULT_KEYS: `${k1},${k2}`,
  SOVI_LOG_LEVEL: 'debug',
  SOVI_HOST_NAME: 'canary',
  SOVI_HOME: home,
  SOVI_TRENDS_PULL_CRON: 'off',
  ...extra,
});

/** Everything that must stay free of secrets, by where it came from. */
const scanned: { where: string; text: string }[] = [];
const keep = (where: string, text: string) => scanned.push({ where, text });

async function cli(args: string[], input?: string, extra: Record<string, string> = {}) {
  const result = await runSovi(args, env(extra), { input });
  expect(result.code, `sovi ${args.join(' ')}: ${result.stderr}`).toBe(0);
  keep(`sovi ${args.join(' ')} stderr`, result.stderr);
  const revealing = args[1] === 'reveal' || args[1] === 'totp';
  if (!revealing) keep(`sovi ${args.join(' ')} stdout`, result.stdout);
  return result;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Reads an event stream for a moment. */
async function readStream(url: string, headers: Record<string, string>): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 1_500);
  let text = '';
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    const reader = response.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
  }
  return text;
}

describe('plaintext canaries through everything', () => {
  it('reach no log, response, output, table or file', async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-canary-home-'));
    const policyFile = path.join(home, 'content-policy.json');
    await fs.writeFile(
      policyFile,
      JSON.stringify({ distribution: { minGapMinutes: 0, maxPostsPerAccountPerDay: 50 } }),
    );

    await cli(['migrate']);
    await cli([
      'devices',
      'add',
      '--name',
      'canary-phone',
      '--udid',
      'canary-phone-udid',
      '--status',
      'active',
    ]);
    const usernames = ['canary_warm', 'canary_post_tt', 'canary_post_ig'];
    for (const [i, username] of usernames.entries()) {
      const secrets = {
        email: `${canary('email')}@example.com`,
        password: canary('password'),
        totp_secret: canaryTotpSecret(),
        proxy_credentials: `user:${canary('proxy')}@proxy.example:8080`,
      };
      await cli(
        [
          'accounts',
          'add',
          '--platform',
          i === 2 ? 'instagram' : 'tiktok',
          '--username',
          username,
          '--niche',
          'motivation',
          '--device',
          'canary-phone',
          '--state',
          i === 0 ? 'warming_p1' : 'active',
          '--json',
        ],
        JSON.stringify(secrets),
      );
    }
    await cli([
      'hooks',
      'add',
      '--category',
      'bold_claim',
      '--template',
      '{topic} will change your mornings.',
    ]);
    const token = (await cli(['tokens', 'create', '--name', 'canary-walker'])).stdout.trim();

    const simulators = {
      SOVI_EXECUTOR_OPTIONS: JSON.stringify({
        minDurationMs: 10,
        maxDurationMs: 50,
        deviceDropRate: 0,
        loginFailureRate: 0,
        challengeRate: 0,
      }),
      SOVI_PUBLISHER_OPTIONS: JSON.stringify({
        transientFailureRate: 0,
        rejectionRate: 0,
        removalRate: 0,
        delayMs: 10,
      }),
      SOVI_CONTENT_POLICY_FILE: policyFile,
    };
    // `sovi up` serves and warms; production and publishing go to a `sovi worker` beside it that renders
    // nothing (SOVI_STUB_MEDIA), so that the test does not wait on ffmpeg. Both log at debug level.
    sovi = await startSoviUp(env({ ...simulators, SOVI_CONTENT_CONCURRENCY: '0' }));
    let workerLog = '';
    worker = spawn(process.execPath, [SOVI_BIN, 'worker'], {
      env: cliEnv(env({ ...simulators, SOVI_STUB_MEDIA: JSON.stringify({ delayMs: 10 }) })),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const workerExited = new Promise((resolve) => worker!.on('exit', resolve));
    worker.stdout!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
    worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
    const created = JSON.parse(
      (await cli(['content', 'new', '--topic', 'cold showers', '--niche', 'motivation', '--json'])).stdout,
    ) as { id: string };
    await cli(['content', 'produce', created.id]);
    await cli(['schedule', 'plan']);
    // Sessions ran (the executor was handed the credentials) and content was posted by the publisher.
    await vi.waitFor(
      async () => {
        const { rows } = await t.pool.query<{ sessions: number; posted: number }>(
          `SELECT (SELECT count(*)::int FROM warming_progress WHERE completed_at IS NOT NULL) AS sessions,
                  (SELECT count(*)::int FROM distributions WHERE status = 'posted') AS posted`,
        );
        const progress = JSON.stringify(
          (
            await t.pool.query(
              `SELECT production_status, (SELECT json_agg(status) FROM distributions) AS posts FROM content`,
            )
          ).rows,
        );
        expect(rows[0]!.sessions, progress).toBeGreaterThan(0);
        expect(rows[0]!.posted, progress).toBeGreaterThan(0);
      },
      { timeout: 90_000, interval: 500 },
    );

    // The API: every GET route of its own description, with ids that exist.
    const headers = { authorization: `Bearer ${token}` };
    const ids = async (sql: string) => (await t.pool.query<{ id: string }>(sql)).rows[0]?.id ?? 'none';
    const params: Record<string, string> = {
      accounts: await ids(`SELECT id FROM accounts WHERE username = 'canary_warm'`),
      devices: await ids(`SELECT id FROM devices LIMIT 1`),
      content: created.id,
      events: await ids(`SELECT id::text AS id FROM system_events ORDER BY id DESC LIMIT 1`),
      hooks: await ids(`SELECT id FROM hooks LIMIT 1`),
      trends: await ids(`SELECT id FROM trending_topics LIMIT 1`),
      'metrics/accounts': await ids(`SELECT id FROM accounts WHERE username = 'canary_post_tt'`),
      'metrics/niches': 'motivation',
    };
    const openapi = (await (await fetch(`${sovi.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: object }> }>>;
    };
    const statuses: Record<string, number> = {};
    for (const [route, methods] of Object.entries(openapi.paths)) {
      if (!methods.get) continue;
      const resource = Object.keys(params)
        .sort((a, b) => b.length - a.length)
        .find((r) => route.startsWith(`/api/v1/${r}/`));
      const url = `${sovi.url}${route.replace(/\{[^}]+\}/g, resource ? params[resource]! : 'none')}`;
      const streaming = JSON.stringify(methods.get.responses ?? {}).includes('text/event-stream');
      if (streaming || route.endsWith('/stream')) {
        keep(`GET ${route} (stream)`, await readStream(url, headers));
        statuses[route] = 200;
        continue;
      }
      const response = await fetch(url, { headers });
      statuses[route] = response.status;
      keep(`GET ${route}`, await response.text());
      expect(response.status, `GET ${route}`).toBeLessThan(500);
    }
    console.log('canary API walk:', statuses);
    expect(Object.keys(statuses).length).toBeGreaterThan(20);
    const prometheus = await fetch(`${sovi.url}/metrics`);
    keep('GET /metrics', await prometheus.text());

    // The sanctioned ways out: their answers hold the secrets (and are not scanned), the log must not.
    for (const action of ['reveal', 'totp']) {
      const response = await fetch(`${sovi.url}/api/v1/accounts/${params.accounts}/${action}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status, `POST ${action}`).toBe(200);
      if (action === 'reveal') expect(findCanaries(await response.text()).length).toBeGreaterThan(0);
    }

    // Rotation, event and listing output, while everything runs.
    await cli(['keys', 'rotate']);
    await cli(['keys', 'status']);
    for (const args of [
      ['events', 'list', '--json'],
      ['accounts', 'list', '--json'],
      ['accounts', 'show', 'canary_warm', '--json'],
      ['distributions', 'list', '--json'],
      ['content', 'list', '--json'],
      ['content', 'show', created.id, '--json'],
      ['devices', 'list', '--json'],
      ['schedule', 'status', '--json'],
      ['metrics', 'status', '--json'],
    ]) {
      await cli(args);
    }
    await cli(['accounts', 'reveal', 'canary_warm']);
    await cli(['accounts', 'totp', 'canary_warm']);
    await cli(['events', 'list', '--json']); // Again: the reveals are recorded, never their values.

    worker.kill('SIGTERM');
    await workerExited;
    worker = undefined;
    keep('sovi worker log', workerLog);
    const stopped = sovi;
    sovi = undefined;
    await stopped.stop(); // Scans the whole server log (stdout and stderr) for the canaries.
    keep('sovi up log', `${stopped.output().stdout}\n${stopped.output().stderr}`);

    // Every table of the database, every schema (pg-boss's job payloads too): secrets are only ciphertext.
    const { rows: tables } = await t.pool.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
       WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
    );
    for (const { name } of tables) {
      const { rows } = await t.pool.query<{ row: string }>(
        `SELECT row_to_json(x)::text AS row FROM ${name} x`,
      );
      keep(`table ${name}`, rows.map((r) => r.row).join('\n'));
    }
    // Every file sovi wrote under SOVI_HOME (logs, media, manifests).
    const files = await filesUnder(home);
    for (const file of files)
      keep(`file ${path.relative(home, file)}`, (await fs.readFile(file)).toString('latin1'));

    const hits = scanned.flatMap(({ where, text }) => findCanaries(text).map((c) => `${where}: ${c}`));
    console.log(
      `canary scan: ${scanned.length} sources (${tables.length} tables, ${files.length} files), ` +
        `${Math.round(scanned.reduce((n, s) => n + s.text.length, 0) / 1024)} KiB`,
    );
    expect(hits).toEqual([]);
  }, 240_000);
});
