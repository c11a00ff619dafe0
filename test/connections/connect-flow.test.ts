// The OAuth state's checks at sovi's callback, against the platform fakes: a callback replayed, a state past
// its expiry, a state sent back to the other platform's callback, the person refusing at the platform
// (?error=access_denied), and someone asking how another person's connect request stands. None of them
// exchanges a code or makes a connection, and the one who started it reads why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnect } from '../../src/connections/connections-service.ts';
import { oauthProviders } from '../../src/connections/oauth-providers.ts';
import { platforms } from '../../src/platforms.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { signedInUser } from '../http/role-tokens.ts';
import { startHarness, type Harness } from './connector-harness.ts';

const t = useTestDatabase();
let h: Harness;

beforeAll(async () => {
  h = await startHarness(t);
});
afterAll(async () => h?.close());

let n = 0;

/** Starts connecting a new account of `platform` as the admin token: its authorization URL and connectId. */
async function started(platform: 'tiktok' | 'instagram') {
  const account = await factories.account(t.pool, { platform, username: `flow_${process.pid}_${++n}` });
  const res = await h.api.call('POST', `/api/v1/accounts/${String(account.id)}/connect`);
  expect(res.statusCode, res.body).toBe(201);
  const { url, connectId } = res.json<{ url: string; connectId: string }>();
  return { accountId: String(account.id), url, connectId };
}

/** The person's browser arriving at sovi's callback with what the platform put in the redirect. */
async function callback(back: string, platformPath?: string) {
  const u = new URL(back);
  const res = await h.api.app.inject({ method: 'GET', url: `${platformPath ?? u.pathname}${u.search}` });
  return { status: res.statusCode, body: res.body };
}

const outcome = async (connectId: string) =>
  (await h.api.call('GET', `/api/v1/connections/requests/${connectId}`)).json<{
    status: string;
    message?: string;
  }>();

const connections = async (accountId: string) =>
  Number(
    (await t.pool.query('SELECT count(*) AS n FROM platform_connections WHERE account_id = $1', [accountId]))
      .rows[0].n,
  );

const tokenCalls = () =>
  h.tiktok.count('POST', '/v2/oauth/token/') + h.instagram.count('POST', '/oauth/access_token');

describe('the OAuth state at the callback', () => {
  it('a callback replayed is refused: the state is single use', async () => {
    const { accountId, url, connectId } = await started('tiktok');
    const openId = `-000replay${++n}`;
    h.tiktok.creators.set(openId, {
      openId,
      username: `replay${n}`,
      privacyLevelOptions: ['SELF_ONLY'],
      unauditedClient: true,
    });
    const back = h.tiktok.authorize(url, openId);
    expect((await callback(back)).status).toBe(200);
    const connected = await t.pool.query('SELECT * FROM platform_connections WHERE account_id = $1', [
      accountId,
    ]);
    expect(connected.rows).toHaveLength(1);
    // The same redirect again, as a reloaded page or someone holding the URL would send it.
    const calls = tokenCalls();
    const again = await callback(back);
    expect(again.status).toBe(400);
    expect(again.body).toContain('data-outcome="failed"');
    expect(again.body).toMatch(/expired or was already used/);
    expect(tokenCalls(), 'no second code exchange').toBe(calls);
    const after = await t.pool.query('SELECT * FROM platform_connections WHERE account_id = $1', [accountId]);
    expect(after.rows).toEqual(connected.rows);
    expect(await outcome(connectId)).toMatchObject({ status: 'connected' });
  });

  it('an expired state is refused, and its request reads expired', async () => {
    const { accountId, url, connectId } = await started('instagram');
    await t.pool.query(
      `UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = decode($1, 'hex')`,
      [connectId],
    );
    const calls = tokenCalls();
    const res = await callback(h.instagram.authorize(url, '17841400000009999'));
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/expired or was already used/);
    expect(tokenCalls()).toBe(calls);
    expect(await connections(accountId)).toBe(0);
    expect(await outcome(connectId)).toEqual({ status: 'expired' });
  });

  it('a state sent to the other platform’s callback is spent and refused, never exchanged', async () => {
    const { accountId, url, connectId } = await started('tiktok');
    const openId = `-000mixup${++n}`;
    h.tiktok.creators.set(openId, {
      openId,
      username: `mixup${n}`,
      privacyLevelOptions: ['SELF_ONLY'],
      unauditedClient: true,
    });
    const back = h.tiktok.authorize(url, openId);
    const calls = tokenCalls();
    const wrong = await callback(back, '/oauth/callback/instagram');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatch(/started for TikTok but came back to Instagram/);
    expect(await outcome(connectId)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/started for TikTok/),
    });
    // The right callback afterwards finds the state spent.
    const right = await callback(back);
    expect(right.status).toBe(400);
    expect(tokenCalls()).toBe(calls);
    expect(await connections(accountId)).toBe(0);
  });

  for (const platform of ['tiktok', 'instagram'] as const) {
    it(`?error=access_denied from ${platform} makes no connection and says the platform refused`, async () => {
      const { accountId, url, connectId } = await started(platform);
      const back = platform === 'tiktok' ? h.tiktok.deny(url) : h.instagram.deny(url);
      expect(new URL(back).searchParams.has('code')).toBe(false);
      const calls = tokenCalls();
      const res = await callback(back);
      expect(res.status).toBe(400);
      expect(res.body).toContain('data-outcome="failed"');
      expect(res.body).toMatch(/did not authorize sovi \(access_denied/);
      expect(tokenCalls()).toBe(calls);
      expect(await connections(accountId)).toBe(0);
      expect(await outcome(connectId)).toMatchObject({
        status: 'failed',
        message: expect.stringMatching(/access_denied/),
      });
    });
  }

  it('another person asking for someone’s connect request gets 404; the one who started it sees it', async () => {
    const a = await signedInUser(t, h.api, 'operator');
    const b = await signedInUser(t, h.api, 'operator');
    const account = await factories.account(t.pool, {
      platform: 'tiktok',
      username: `owner_${process.pid}_${++n}`,
    });
    const start = await h.api.app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${String(account.id)}/connect`,
      headers: a.headers,
    });
    expect(start.statusCode, start.body).toBe(201);
    const { connectId } = start.json<{ connectId: string }>();
    const ask = (headers: Record<string, string>) =>
      h.api.app.inject({ method: 'GET', url: `/api/v1/connections/requests/${connectId}`, headers });
    const mine = await ask(a.headers);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json()).toMatchObject({ status: 'pending' });
    const theirs = await ask(b.headers);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body).not.toContain('pending');
    // An admin's API token is someone else too.
    expect((await h.api.call('GET', `/api/v1/connections/requests/${connectId}`)).statusCode).toBe(404);
  });

  it.each(platforms)(
    'without a %s developer app, connecting is refused naming the variables to set, and no state is kept',
    async (platform) => {
      const account = await factories.account(t.pool, {
        platform,
        username: `noapp_${process.pid}_${++n}`,
      });
      const connectors = h.api.config.connectors;
      const settings = { ...connectors, [platform]: { ...connectors[platform], app: undefined } };
      const [id, secret] = oauthProviders[platform].appVariables;
      const states = async () =>
        Number(
          (await t.pool.query('SELECT count(*) AS n FROM oauth_states WHERE account_id = $1', [account.id]))
            .rows[0].n,
        );
      await expect(
        startConnect({ db: t.db, vault: h.api.vault, settings }, String(account.id), {
          actor: 'admin',
          userId: null,
        }),
      ).rejects.toMatchObject({
        code: 'unavailable',
        details: { field: id },
        message: expect.stringContaining(`set ${id} and ${secret}`),
      });
      expect(await states()).toBe(0);
    },
  );
});
