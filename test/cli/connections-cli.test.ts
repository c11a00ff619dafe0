// `sovi connect <account>` and `sovi connections list`, run as a user runs them: the command prints the
// platform's URL, waits while the owner allows sovi (the fake TikTok's consent, then the callback served
// by the API), and ends once connected; the list shows the connection and never a token.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOVI_BIN, cliEnv, cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { keyLine, vaultWith } from '../helpers/accounts.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';
import { startTikTokFake, type TikTokFake } from '../fakes/tiktok-api-fake.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';

const t = useTestDatabase();
const key = keyLine('k1');
let tiktok: TikTokFake;
let api: TestApp;
let env: Record<string, string>;

beforeAll(async () => {
  tiktok = await startTikTokFake();
  env = {
    SOVI_PUBLIC_URL: 'http://sovi.test',
    SOVI_TIKTOK_CLIENT_KEY: tiktok.clientKey,
    SOVI_TIKTOK_CLIENT_SECRET: tiktok.clientSecret,
    SOVI_TIKTOK_AUTH_URL: `${tiktok.url}/v2/auth/authorize/`,
    SOVI_TIKTOK_API_URL: tiktok.url,
  };
  // The server that answers the callback shares the CLI's vault key: it opens the verifier the CLI sealed.
  api = await startTestApp(t, { env, vault: vaultWith(key) });
});
afterAll(async () => {
  await api?.close();
  await tiktok?.close();
});

describe('sovi connect and sovi connections', { timeout: cliTestTimeout(4) }, () => {
  it('prints the URL, waits for the owner, and lists the connection', async () => {
    const username = `cli_conn_${process.pid}`;
    await factories.account(t.pool, { platform: 'tiktok', username });
    const child = spawn(process.execPath, [SOVI_BIN, 'connect', `tiktok:${username}`], {
      env: cliEnv({ DATABASE_URL: t.url, SOVI_VAULT_KEYS: key, SOVI_ACTOR: 'cli-tester', ...env }),
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const url = await until(
        'the authorization URL',
        async () => stdout.split('\n').find((l) => l.startsWith('http')),
        {
          timeoutMs: 40_000,
        },
      );
      // stderr is another pipe: its line may reach this process after stdout's URL does.
      await until('the line saying it waits', async () =>
        /Waiting for the platform/.test(stderr) ? true : undefined,
      );
      const openId = `-000${randomBytes(6).toString('hex')}`;
      tiktok.creators.set(openId, {
        openId,
        username,
        privacyLevelOptions: ['PUBLIC_TO_EVERYONE'],
        unauditedClient: false,
      });
      const back = new URL(tiktok.authorize(url, openId));
      const page = await api.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
      expect(page.statusCode).toBe(200);
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/TikTok account cli_conn_\d+ is connected/);
    } finally {
      child.kill();
    }

    const list = await runSovi(['connections', 'list'], { DATABASE_URL: t.url });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `${username}\\s+tiktok\\s+connected\\s+user.info.basic,video.publish,video.list,user.info.stats`,
      ),
    );
    const json = await runSovi(['connections', 'list', '--json'], { DATABASE_URL: t.url });
    const [connection] = JSON.parse(json.stdout) as { connectedBy: string; status: string }[];
    expect(connection).toMatchObject({ status: 'connected', connectedBy: 'cli-tester' });
    for (const secret of tiktok.issuedSecrets()) {
      expect(list.stdout + json.stdout + stdout + stderr).not.toContain(secret);
    }
  });

  it('refuses clearly when the app or the public URL is not configured', async () => {
    const username = `cli_noapp_${process.pid}`;
    await factories.account(t.pool, { platform: 'instagram', username });
    const r = await runSovi(['connect', `instagram:${username}`, '--no-wait'], {
      DATABASE_URL: t.url,
      SOVI_VAULT_KEYS: key,
      ...env,
    });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/SOVI_META_APP_ID and SOVI_META_APP_SECRET/);
    const unknown = await runSovi(['connect', 'nobody_here', '--no-wait'], {
      DATABASE_URL: t.url,
      SOVI_VAULT_KEYS: key,
      ...env,
    });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no account "nobody_here"/);
  });
});
