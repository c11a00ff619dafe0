// Plaintext canaries through everything at once, at debug log level: accounts carry canary secrets (password,
// email, TOTP secret, proxy credentials); a real `sovi up` warms them through the simulator executor (which
// is handed the credentials); a `sovi worker` produces content and publishes it through the official TikTok
// and Instagram connectors, against local fakes of both APIs, for one account per platform connected through
// the real OAuth round trip (the app secrets are configured, the OAuth tokens are issued by the fakes), and
// `sovi metrics pull` reads the posts' numbers back with those tokens; every
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
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { registerCanary } from '../helpers/canary.ts';
import { startInstagramFake, type InstagramFake } from '../fakes/instagram-api-fake.ts';
import { startFakeInstagram, type FakeInstagram } from '../fakes/instagram-graph-api.ts';
import { startFakeTikTok, type FakeTikTok } from '../fakes/tiktok-display-api.ts';
import { startTikTokFake, type TikTokFake } from '../fakes/tiktok-api-fake.ts';
import { cliEnv, runSovi, SOVI_BIN, startSoviUp, type RunningSoviProcess } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const k1 = keyLine('k1');
const k2 = keyLine('k2');
let home: string;
let sovi: RunningSoviProcess | undefined;
let worker: ChildProcess | undefined;
/** The platforms: publishing fakes and metrics fakes, each pair behind one base URL as the real APIs are. */
let tiktok: TikTokFake;
let instagram: InstagramFake;
let tiktokStats: FakeTikTok;
let instagramStats: FakeInstagram;
const routers: http.Server[] = [];
afterAll(async () => {
  worker?.kill('SIGKILL');
  await sovi?.stop('SIGKILL').catch(() => undefined);
  for (const router of routers) router.closeAllConnections();
  await Promise.all(routers.map((r) => new Promise((resolve) => r.close(resolve))));
  await Promise.all([tiktok, instagram, tiktokStats, instagramStats].map((f) => f?.close()));
});

/**
 * One base URL in front of a platform's publishing fake and its metrics fake (the fakes are separate servers):
 * requests `toStats` picks go to the metrics fake, every other to the publishing fake, forwarded whole.
 */
async function platformRouter(
  publishing: string,
  stats: string,
  toStats: (method: string, url: URL) => boolean,
): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://router');
      const upstream = toStats(req.method ?? 'GET', url) ? stats : publishing;
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>;
      void fetch(`${upstream}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      }).then(
        async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer());
          res.writeHead(answer.status, Object.fromEntries(answer.headers));
          res.end(body);
        },
        () => req.socket.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  routers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What `sovi up`, `sovi worker` and the CLI need to post and measure through the official connectors. */
let connectors: Record<string, string> = {};

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
  ...connectors,
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
    [tiktok, instagram, tiktokStats, instagramStats] = await Promise.all([
      startTikTokFake(),
      startInstagramFake(),
      startFakeTikTok(),
      startFakeInstagram(),
    ]);
    // The app secrets are canaries: configured in every sovi process, never to be written anywhere.
    registerCanary(tiktok.clientSecret);
    registerCanary(instagram.appSecret);
    const tiktokUrl = await platformRouter(tiktok.url, tiktokStats.url, (_, url) =>
      ['/v2/video/query/', '/v2/user/info/'].includes(url.pathname),
    );
    const graphUrl = await platformRouter(
      instagram.url,
      instagramStats.url,
      (method, url) =>
        url.pathname.endsWith('/insights') ||
        (method === 'GET' && (url.searchParams.get('fields') ?? '').includes('followers_count')),
    );
    const port = await freePort();
    connectors = {
      SOVI_PORT: String(port),
      SOVI_PUBLIC_URL: `http://127.0.0.1:${port}`,
      SOVI_TIKTOK_CLIENT_KEY: tiktok.clientKey,
      SOVI_TIKTOK_CLIENT_SECRET: tiktok.clientSecret,
      SOVI_TIKTOK_AUTH_URL: `${tiktok.url}/v2/auth/authorize/`,
      SOVI_TIKTOK_API_URL: tiktokUrl,
      SOVI_META_APP_ID: instagram.appId,
      SOVI_META_APP_SECRET: instagram.appSecret,
      SOVI_INSTAGRAM_AUTH_URL: `${instagram.url}/oauth/authorize`,
      SOVI_INSTAGRAM_TOKEN_URL: `${instagram.url}/oauth/access_token`,
      SOVI_INSTAGRAM_GRAPH_URL: graphUrl,
      SOVI_PUBLISHER_TIKTOK: 'official',
      SOVI_PUBLISHER_INSTAGRAM: 'official',
      SOVI_METRICS_COLLECTOR_TIKTOK: 'official',
      SOVI_METRICS_COLLECTOR_INSTAGRAM: 'official',
      SOVI_METRICS_PULL_CRON: 'off',
    };
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
      // The official publishers poll the platforms' processing every 100–300 ms.
      SOVI_PUBLISHER_OPTIONS: JSON.stringify({ pollFirstMs: 100, pollMaxMs: 300 }),
      SOVI_CONTENT_POLICY_FILE: policyFile,
    };
    // `sovi up` serves and warms; production and publishing go to a `sovi worker` beside it that renders
    // nothing (SOVI_STUB_MEDIA), so that the test does not wait on ffmpeg. Both log at debug level.
    sovi = await startSoviUp(env({ ...simulators, SOVI_CONTENT_CONCURRENCY: '0' }));
    expect(sovi.url).toBe(connectors.SOVI_PUBLIC_URL);

    // One account per platform connected through the real round trip: the API starts it, the fake's consent
    // page answers with a code, the browser follows it to the callback `sovi up` serves.
    const auth = { authorization: `Bearer ${token}` };
    const platformUsers: Record<'tiktok' | 'instagram', string> = {
      tiktok: `-000${randomBytes(8).toString('hex')}`,
      instagram: '17841400000000123',
    };
    tiktok.creators.set(platformUsers.tiktok, {
      openId: platformUsers.tiktok,
      username: 'canary_post_tt',
      privacyLevelOptions: ['PUBLIC_TO_EVERYONE', 'SELF_ONLY'],
      unauditedClient: false,
    });
    for (const [username, platform] of [
      ['canary_post_tt', 'tiktok'],
      ['canary_post_ig', 'instagram'],
    ] as const) {
      const { rows } = await t.pool.query<{ id: string }>('SELECT id FROM accounts WHERE username = $1', [
        username,
      ]);
      const started = await fetch(`${sovi.url}/api/v1/accounts/${rows[0]!.id}/connect`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
      });
      const startedText = await started.text();
      keep(`POST connect ${platform}`, startedText);
      expect(started.status, startedText).toBe(201);
      const { url } = JSON.parse(startedText) as { url: string };
      const back =
        platform === 'tiktok'
          ? tiktok.authorize(url, platformUsers.tiktok)
          : instagram.authorize(url, platformUsers.instagram);
      const page = await fetch(back);
      const pageText = await page.text();
      keep(`GET callback ${platform}`, pageText);
      expect(pageText, `the ${platform} callback`).toContain('data-outcome="connected"');
    }
    let workerLog = '';
    worker = spawn(process.execPath, [SOVI_BIN, 'worker'], {
      env: cliEnv(env({ ...simulators, SOVI_STUB_MEDIA: JSON.stringify({ delayMs: 10, mp4: true }) })),
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
    // Sessions ran (the executor was handed the credentials) and content was posted on both platforms.
    await vi.waitFor(
      async () => {
        const { rows } = await t.pool.query<{ sessions: number; posted: number }>(
          `SELECT (SELECT count(*)::int FROM warming_progress WHERE completed_at IS NOT NULL) AS sessions,
                  (SELECT count(DISTINCT platform)::int FROM distributions WHERE status = 'posted') AS posted`,
        );
        const progress = JSON.stringify(
          (
            await t.pool.query(
              `SELECT production_status, (SELECT json_agg(status) FROM distributions) AS posts FROM content`,
            )
          ).rows,
        );
        expect(rows[0]!.sessions, progress).toBeGreaterThan(0);
        expect(rows[0]!.posted, progress).toBe(2);
      },
      { timeout: 90_000, interval: 500 },
    );
    // The platforms made the posts: a TikTok Direct Post (chunked upload, status polls) and an Instagram Reel
    // (a container that fetched the video from sovi's signed URL, then media_publish).
    const [tiktokPost] = tiktok.posted();
    const [reel] = instagram.published;
    expect(tiktokPost?.postId).toBeDefined();
    expect(reel?.mediaId).toBeDefined();

    // The posts have numbers at the platforms, read with the tokens the fakes issued.
    for (const issued of tiktok.issuedSecrets())
      tiktokStats.issueToken(platformUsers.tiktok, { token: issued, followers: 1_234 });
    for (const issued of instagram.issuedSecrets())
      instagramStats.issueToken(platformUsers.instagram, { token: issued, followers: 5_678 });
    tiktokStats.addVideo({
      id: tiktokPost!.postId!,
      openId: platformUsers.tiktok,
      view_count: 900,
      like_count: 90,
      comment_count: 9,
      share_count: 3,
    });
    instagramStats.addMedia({
      id: reel!.mediaId,
      userId: platformUsers.instagram,
      views: 700,
      likes: 70,
      comments: 7,
      shares: 2,
      saved: 1,
    });
    const pulled = JSON.parse((await cli(['metrics', 'pull', '--json'])).stdout) as {
      read: number;
      inserted: number;
      failures: unknown[];
    };
    expect(pulled).toMatchObject({ read: 2, failures: [] });
    expect(pulled.inserted).toBeGreaterThan(0);
    await cli(['connections', 'list']);

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

    // Every OAuth token the platforms issued (access and refresh, first and refreshed): canaries too.
    const tokens = [...tiktok.issuedSecrets(), ...instagram.issuedSecrets()];
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    for (const issued of tokens) registerCanary(issued);
    const hits = scanned.flatMap(({ where, text }) => findCanaries(text).map((c) => `${where}: ${c}`));
    console.log(
      `canary scan: ${scanned.length} sources (${tables.length} tables, ${files.length} files), ` +
        `${Math.round(scanned.reduce((n, s) => n + s.text.length, 0) / 1024)} KiB`,
    );
    expect(hits).toEqual([]);
  }, 300_000);
});
