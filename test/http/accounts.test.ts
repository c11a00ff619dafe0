// Accounts over HTTP: the CLI's filters and pages, create with sealed secrets, update, soft delete and
// restore, lifecycle transitions, and reveal/TOTP audited exactly as the CLI's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canary, canaryTotpSecret } from '../helpers/canary.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { createVault } from '../../src/vault/vault.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

let n = 0;
const username = (prefix = 'http') => `${prefix}_${process.pid}_${++n}`;

function secrets() {
  return {
    email: `${canary('email')}@example.com`,
    password: canary('password'),
    totp_secret: canaryTotpSecret(),
    proxy_credentials: `user:${canary('proxy')}@proxy.example:8080`,
  };
}

async function create(body: Record<string, unknown> = {}) {
  const response = await api.call('POST', '/api/v1/accounts', {
    platform: 'tiktok',
    username: username(),
    ...body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; username: string; state: string }>();
}

describe('accounts', () => {
  it('are created with their secrets sealed, and shown with summaries only', async () => {
    const given = secrets();
    const response = await api.call('POST', '/api/v1/accounts', {
      platform: 'instagram',
      username: 'http_alice',
      niche: 'motivation',
      followers: 10,
      secrets: given,
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({
      platform: 'instagram',
      username: 'http_alice',
      nicheSlug: 'motivation',
      state: 'created',
      followers: 10,
      secrets: {
        email: { set: true, keyId: 'k1', keyConfigured: true },
        password: { set: true, keyId: 'k1', keyConfigured: true },
        totp_secret: { set: true },
        proxy_credentials: { set: true },
      },
    });
    for (const value of Object.values(given)) expect(response.body).not.toContain(value);
    const { rows } = await t.pool.query('SELECT password_enc FROM accounts WHERE id = $1', [body.id]);
    expect(rows[0].password_enc.toString('utf8')).not.toContain(given.password);

    for (const ref of [body.id, 'instagram:http_alice', 'http_alice']) {
      const shown = await api.call('GET', `/api/v1/accounts/${ref}`);
      expect(shown.statusCode).toBe(200);
      expect(shown.json().id).toBe(body.id);
    }
  });

  it('are listed with the CLI’s filters, in keyset pages', async () => {
    const device = await factories.device(t.pool, { name: 'acct-list-phone', udid: 'acct-list-udid' });
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await create({
          device: 'acct-list-phone',
          niche: 'personal_finance',
          state: i < 3 ? 'created' : 'active',
        }),
      );
    }
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page = await api.call(
        'GET',
        `/api/v1/accounts?device=${String(device.id)}&limit=2${after ? `&after=${after}` : ''}`,
      );
      expect(page.statusCode, page.body).toBe(200);
      ids.push(...page.json().accounts.map((a: { id: string }) => a.id));
      after = page.json().nextCursor;
    } while (after);
    expect(ids).toEqual(made.map((a) => a.id));

    const active = await api.call(
      'GET',
      '/api/v1/accounts?device=acct-list-phone&state=active,resting&platform=tiktok',
    );
    expect(active.json().accounts.map((a: { id: string }) => a.id)).toEqual(made.slice(3).map((a) => a.id));
    const repeated = await api.call(
      'GET',
      '/api/v1/accounts?device=acct-list-phone&state=active&state=created',
    );
    expect(repeated.json().accounts).toHaveLength(5);
    const niche = await api.call('GET', '/api/v1/accounts?niche=personal_finance&limit=1000');
    expect(niche.json().accounts.length).toBeGreaterThanOrEqual(5);
    const queue = await api.call('GET', '/api/v1/accounts?needsWarming=true&device=acct-list-phone');
    expect(queue.statusCode).toBe(200);
    expect(queue.json().accounts).toHaveLength(5);
  });

  it('are updated, soft-deleted and restored', async () => {
    const account = await create();
    const updated = await api.call('PATCH', `/api/v1/accounts/${account.id}`, {
      bio: 'hello',
      followers: 99,
      niche: 'motivation',
      secrets: { password: canary('password'), email: null },
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({
      bio: 'hello',
      followers: 99,
      nicheSlug: 'motivation',
      secrets: { password: { set: true }, email: { set: false } },
    });
    const cleared = await api.call('PATCH', `/api/v1/accounts/${account.id}`, { niche: null, bio: null });
    expect(cleared.json()).toMatchObject({ nicheSlug: null, bio: null });

    const deleted = await api.call('DELETE', `/api/v1/accounts/${account.id}?reason=duplicate`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json().deletedAt).not.toBeNull();
    expect((await api.call('GET', `/api/v1/accounts/${account.username}`)).statusCode).toBe(404);
    const listed = await api.call('GET', '/api/v1/accounts?deleted=only&limit=1000');
    expect(listed.json().accounts.map((a: { id: string }) => a.id)).toContain(account.id);
    expect((await api.call('DELETE', `/api/v1/accounts/${account.id}`)).statusCode).toBe(409);

    const restored = await api.call('POST', `/api/v1/accounts/${account.id}/restore`);
    expect(restored.statusCode, restored.body).toBe(200);
    expect(restored.json().deletedAt).toBeNull();
  });

  it('move through the lifecycle with a reason, recorded with the token as actor', async () => {
    const account = await create();
    const moved = await api.call('POST', `/api/v1/accounts/${account.id}/state`, {
      state: 'warming_p1',
      reason: 'first session booked',
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({
      from: 'created',
      to: 'warming_p1',
      account: { state: 'warming_p1' },
    });
    const events = await api.call('GET', `/api/v1/events?account=${account.id}&type=state_changed`);
    expect(events.json().events[0].context).toMatchObject({
      from: 'created',
      to: 'warming_p1',
      reason: 'first session booked',
      actor: `token:${api.admin.name}`,
    });
  });

  it('refuse an illegal transition with 409 naming the allowed states', async () => {
    const account = await create();
    const response = await api.call('POST', `/api/v1/accounts/${account.id}/state`, {
      state: 'active',
      reason: 'skip warming',
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({
      code: 'conflict',
      field: 'state',
      allowed: ['warming_p1', 'cooldown', 'flagged', 'suspended', 'banned'],
      message: expect.stringContaining(
        'from created it can go to: warming_p1, cooldown, flagged, suspended, banned',
      ),
    });
    const stale = await api.call('POST', `/api/v1/accounts/${account.id}/state`, {
      state: 'warming_p1',
      reason: 'x',
      from: 'active',
    });
    expect(stale.statusCode).toBe(409);
  });

  it('reveal secrets and TOTP codes, each recorded as an auth event naming the token and fields', async () => {
    const given = secrets();
    const account = await create({ secrets: given });
    const reveal = await api.call('POST', `/api/v1/accounts/${account.id}/reveal`);
    expect(reveal.statusCode).toBe(200);
    expect(reveal.headers['cache-control']).toBe('no-store');
    expect(reveal.json()).toEqual({ secrets: given });
    const some = await api.call('POST', `/api/v1/accounts/${account.id}/reveal`, { fields: ['password'] });
    expect(some.json()).toEqual({ secrets: { password: given.password } });

    const totp = await api.call('POST', `/api/v1/accounts/${account.id}/totp`);
    expect(totp.statusCode).toBe(200);
    expect(totp.json()).toEqual({ code: expect.stringMatching(/^\d{6}$/), secondsLeft: expect.any(Number) });

    const audit = await api.call('GET', `/api/v1/events?account=${account.id}&category=auth`);
    expect(
      audit
        .json()
        .events.map((e: { eventType: string; context: Record<string, unknown> }) => [
          e.eventType,
          e.context.actor,
          e.context.fields,
        ]),
    ).toEqual([
      ['totp_generated', `token:${api.admin.name}`, undefined],
      ['secret_revealed', `token:${api.admin.name}`, ['password']],
      [
        'secret_revealed',
        `token:${api.admin.name}`,
        ['email', 'password', 'totp_secret', 'proxy_credentials'],
      ],
    ]);
  });
});

describe('account mistakes', () => {
  it('a taken username is a 409, case-insensitively', async () => {
    await create({ username: 'http_taken' });
    const response = await api.call('POST', '/api/v1/accounts', {
      platform: 'tiktok',
      username: 'HTTP_Taken',
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({ code: 'conflict', field: 'username' });
  });

  it('unknown fields (nested too) and wrong types are a 400 naming each', async () => {
    const response = await api.call('POST', '/api/v1/accounts', {
      platform: 'myspace',
      username: 7,
      followers: -1,
      secrets: { password: 'x', pin: '1234' },
      email_enc: 'x',
    });
    expect(response.statusCode).toBe(400);
    expect(fieldsOf(response).sort()).toEqual([
      'body.email_enc',
      'body.followers',
      'body.platform',
      'body.secrets.pin',
      'body.username',
    ]);
    const badName = await api.call('POST', '/api/v1/accounts', { platform: 'tiktok', username: 'no spaces' });
    expect(badName.json().error.field).toBe('username');
    const badTotp = await api.call('POST', '/api/v1/accounts', {
      platform: 'tiktok',
      username: username(),
      secrets: { totp_secret: 'not base32!' },
    });
    expect(badTotp.statusCode).toBe(400);
    expect(badTotp.json().error.field).toBe('totp_secret');
    const restoreBody = await api.call('POST', '/api/v1/accounts/anyone/restore', { now: true });
    expect(fieldsOf(restoreBody)).toEqual(['body.now']);
    const badState = await api.call('POST', '/api/v1/accounts/anyone/state', { state: 'asleep', reason: '' });
    expect(fieldsOf(badState).sort()).toEqual(['body.reason', 'body.state']);
    const badFilter = await api.call('GET', '/api/v1/accounts?state=active,bogus&limit=0');
    expect(fieldsOf(badFilter).sort()).toEqual(['querystring.limit', 'querystring.state.1']);
  });

  it('a missing account, niche or device is a 404', async () => {
    expect((await api.call('GET', '/api/v1/accounts/nobody_here')).statusCode).toBe(404);
    expect((await api.call('PATCH', '/api/v1/accounts/nobody_here', { bio: 'x' })).statusCode).toBe(404);
    expect((await api.call('POST', '/api/v1/accounts/nobody_here/reveal')).statusCode).toBe(404);
    expect((await api.call('POST', '/api/v1/accounts/nobody_here/totp')).statusCode).toBe(404);
    const niche = await api.call('POST', '/api/v1/accounts', {
      platform: 'tiktok',
      username: username(),
      niche: 'knitting',
    });
    expect(niche.statusCode).toBe(404);
    expect(niche.json().error.field).toBe('niche');
    const noTotp = await create();
    expect((await api.call('POST', `/api/v1/accounts/${noTotp.id}/totp`)).statusCode).toBe(404);
  });
});

describe('a server without a vault key', () => {
  it('answers 503 saying how to configure a key, for a create with secrets and a reveal, and writes nothing', async () => {
    const noKey = await startTestApp(t, { vault: createVault({ keys: undefined, keyFile: undefined }) });
    try {
      const name = username('nokey');
      const created = await noKey.call('POST', '/api/v1/accounts', {
        platform: 'tiktok',
        username: name,
        secrets: { password: canary('password') },
      });
      expect(created.statusCode, created.body).toBe(503);
      expect(created.json()).toMatchObject({
        error: {
          code: 'unavailable',
          field: 'SOVI_VAULT_KEYS',
          message: expect.stringMatching(/sovi keys generate/),
        },
      });
      expect((await noKey.call('GET', `/api/v1/accounts/${name}`)).statusCode).toBe(404);

      const sealed = await create({ secrets: { password: canary('password') } });
      const reveal = await noKey.call('POST', `/api/v1/accounts/${sealed.id}/reveal`);
      expect(reveal.statusCode, reveal.body).toBe(503);
      expect(reveal.json()).toMatchObject({
        error: {
          code: 'unavailable',
          message: expect.stringMatching(/key "k1", which is not configured: add it to SOVI_VAULT_KEYS/),
        },
      });
      // Without secrets an account is still created.
      expect(
        (await noKey.call('POST', '/api/v1/accounts', { platform: 'tiktok', username: username('nokey') }))
          .statusCode,
      ).toBe(201);
    } finally {
      await noKey.close();
    }
  });
});
