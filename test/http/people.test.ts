// People over the API: password sign-in and its limits, sessions kept in the database (shared by several
// sovi processes, surviving a restart, ended by sign-out, disabling, a new password or a revoked token, open
// streams included), tokens owned by users, and the users routes.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens-service.ts';
import { addUser, disableUser } from '../../src/users/users-service.ts';
import { canary, findCanaries, scanDatabaseForCanaries } from '../helpers/canary.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
// Every sign-in costs an scrypt hash (128 MiB, about a second on a busy 2-CPU machine): the tests here make
// dozens, so they get generous limits.
let api: TestApp;
/** A second sovi process over the same database, with no shared configuration. */
let other: TestApp;
const generous = { signInAttemptsPerMinute: 10_000, authFailuresPerMinute: 1_000 };
beforeAll(async () => {
  api = await startTestApp(t, { api: generous });
  other = await startTestApp(t, { api: generous });
});
afterAll(async () => {
  await api.close();
  await other.close();
});

let n = 0;
const password = () => canary('password');
async function newUser(role: 'viewer' | 'reviewer' | 'operator' | 'admin' = 'operator') {
  const secret = password();
  const user = await addUser(t.db, { name: `person${++n}-${Date.now()}`, role, password: secret }, 'test');
  return { ...user, password: secret };
}

const sessionCookie = (response: LightMyRequestResponse) =>
  (response.cookies as { name: string; value: string }[]).find((c) => c.name === 'sovi_session')!.value;

async function signIn(app: TestApp, name: string, secret: string, remoteAddress = '127.0.0.1') {
  return app.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { name, password: secret },
    remoteAddress,
  });
}

async function signedIn(name: string, secret: string) {
  const response = await signIn(api, name, secret);
  expect(response.statusCode, response.body).toBe(201);
  return {
    cookie: `sovi_session=${sessionCookie(response)}`,
    csrfToken: response.json().csrfToken as string,
  };
}

const read = (app: TestApp, cookie: string, url = '/api/v1/session') =>
  app.app.inject({ url, headers: { cookie } });

describe('password sign-in', { timeout: 180_000 }, () => {
  it('signs a user in, and GET /session names them, their role and niches', async () => {
    const user = await newUser('reviewer');
    const response = await signIn(api, user.name.toUpperCase(), user.password);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      via: 'cookie',
      role: 'reviewer',
      user: { id: user.id, name: user.name, role: 'reviewer', niches: null },
      token: null,
      csrfToken: expect.any(String),
    });
    const me = await read(api, `sovi_session=${sessionCookie(response)}`);
    expect(me.json()).toMatchObject({ role: 'reviewer', user: { name: user.name } });
  });

  it('says the same for an unknown name and a wrong password', async () => {
    const user = await newUser();
    const wrong = await signIn(api, user.name, 'not the password at all');
    const unknown = await signIn(api, `nobody-${Date.now()}`, user.password);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe('wrong name or password');
    expect(unknown.json().error.message).toBe(wrong.json().error.message);
  });

  it('limits failures per user and address, yet the rightful user still signs in from elsewhere', async () => {
    const user = await newUser();
    const attacker = '10.66.0.1';
    for (let i = 0; i < 10; i++) {
      expect((await signIn(api, user.name, `guess number ${i} wrong`, attacker)).statusCode).toBe(401);
    }
    const refused = await signIn(api, user.name, user.password, attacker);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await signIn(api, user.name, user.password, '10.7.0.1')).statusCode).toBe(201);
  });

  it('refuses an address over its failure budget before checking any password', async () => {
    const strict = await startTestApp(t, {
      api: { signInAttemptsPerMinute: 1000, authFailuresPerMinute: 3 },
    });
    try {
      const user = await newUser();
      const address = '10.99.0.1';
      for (let i = 0; i < 3; i++) {
        expect(
          (await signIn(strict, `someone${i}-${Date.now()}`, 'a wrong password', address)).statusCode,
        ).toBe(401);
      }
      expect((await signIn(strict, user.name, user.password, address)).statusCode).toBe(429);
      expect((await signIn(strict, user.name, user.password, '10.99.0.2')).statusCode).toBe(201);
    } finally {
      await strict.close();
    }
  });

  it('refuses a disabled user', async () => {
    const user = await newUser();
    await disableUser(t.db, user.name, 'test');
    const response = await signIn(api, user.name, user.password);
    expect(response.statusCode).toBe(401);
  });
});

describe('sessions', { timeout: 180_000 }, () => {
  it('work in another sovi process over the same database, and after a restart', async () => {
    const user = await newUser();
    const { cookie, csrfToken } = await signedIn(user.name, user.password);
    expect((await read(other, cookie)).json()).toMatchObject({ user: { name: user.name } });
    // A write with the CSRF token one process handed out passes the other's check.
    const write = await other.app.inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: { cookie, 'x-csrf-token': csrfToken },
      payload: { name: `people-phone-${Date.now()}`, udid: `people-udid-${Date.now()}` },
    });
    expect(write.statusCode, write.body).toBe(201);
    const restarted = await startTestApp(t, { api: generous });
    try {
      expect((await read(restarted, cookie)).statusCode).toBe(200);
    } finally {
      await restarted.close();
    }
  });

  it('end at sign-out: a copied cookie gets 401 afterwards, in every process', async () => {
    const user = await newUser();
    const { cookie } = await signedIn(user.name, user.password);
    const out = await api.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect((await read(api, cookie)).statusCode).toBe(401);
    expect((await read(other, cookie)).statusCode).toBe(401);
  });

  it('end when the user changes their password, but the one that changed it', async () => {
    const user = await newUser();
    const first = await signedIn(user.name, user.password);
    const second = await signedIn(user.name, user.password);
    const next = password();
    const wrong = await api.app.inject({
      method: 'POST',
      url: '/api/v1/session/password',
      headers: { cookie: first.cookie, 'x-csrf-token': first.csrfToken },
      payload: { current: 'not my password', new: next },
    });
    expect(wrong.statusCode).toBe(403);
    const changed = await api.app.inject({
      method: 'POST',
      url: '/api/v1/session/password',
      headers: { cookie: first.cookie, 'x-csrf-token': first.csrfToken },
      payload: { current: user.password, new: next },
    });
    expect(changed.statusCode, changed.body).toBe(204);
    expect((await read(api, first.cookie)).statusCode).toBe(200);
    expect((await read(api, second.cookie)).statusCode).toBe(401);
    expect((await signIn(api, user.name, user.password)).statusCode).toBe(401);
    expect((await signIn(api, user.name, next)).statusCode).toBe(201);
  });

  it('close open event streams within 5 s of sign-out, token revocation or disabling, in another process', async () => {
    const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
    async function openStream(headers: Record<string, string>) {
      const response = await fetch(`${base}/api/v1/events/stream`, { headers });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      await reader.read();
      return async () => {
        const started = Date.now();
        for (;;) {
          const { done } = await reader.read();
          if (done) return Date.now() - started;
        }
      };
    }

    // Sign-out, in the other process.
    const user = await newUser();
    const { cookie } = await signedIn(user.name, user.password);
    const ended = await openStream({ cookie });
    await other.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    expect(await ended()).toBeLessThan(5_000);

    // Revoking a bearer token.
    const owner = await newUser();
    const { secret, token } = await createToken(
      t.db,
      { name: `stream-${Date.now()}`, userId: owner.id },
      'test',
    );
    const revoked = await openStream(bearer(secret));
    const revoke = await other.call('DELETE', `/api/v1/tokens/${token.id}`);
    expect(revoke.statusCode, revoke.body).toBe(204);
    expect(await revoked()).toBeLessThan(5_000);

    // Disabling the user.
    const victim = await newUser();
    const session = await signedIn(victim.name, victim.password);
    const disabled = await openStream({ cookie: session.cookie });
    expect((await other.call('POST', `/api/v1/users/${victim.name}/disable`)).statusCode).toBe(200);
    expect(await disabled()).toBeLessThan(5_000);
    expect((await read(api, session.cookie)).statusCode).toBe(401);
  });
});

describe('tokens of users', { timeout: 180_000 }, () => {
  it('act with at most their user’s role, narrowed by their own', async () => {
    const user = await newUser('operator');
    const narrowed = await createToken(
      t.db,
      { name: `narrow-${Date.now()}`, userId: user.id, role: 'viewer' },
      'test',
    );
    const me = await api.call('GET', '/api/v1/session', undefined, narrowed.secret);
    expect(me.json()).toMatchObject({ role: 'viewer', user: { name: user.name }, token: { role: 'viewer' } });
    await expect(
      createToken(t.db, { name: `wide-${Date.now()}`, userId: user.id, role: 'admin' }, 'test'),
    ).rejects.toThrow(/at most its user's role/);
    // Lowering the user lowers the token.
    const full = await createToken(t.db, { name: `full-${Date.now()}`, userId: user.id }, 'test');
    expect((await api.call('PATCH', `/api/v1/users/${user.name}`, { role: 'reviewer' })).statusCode).toBe(
      200,
    );
    expect((await api.call('GET', '/api/v1/session', undefined, full.secret)).json().role).toBe('reviewer');
  });

  it('expire: 401 saying so', async () => {
    const user = await newUser();
    const { secret, token } = await createToken(
      t.db,
      { name: `expiring-${Date.now()}`, userId: user.id, expiresInMs: 60_000 },
      'test',
    );
    expect((await api.call('GET', '/api/v1/session', undefined, secret)).statusCode).toBe(200);
    await t.pool.query(
      `UPDATE api_tokens SET created_at = now() - interval '2 minutes', expires_at = now() - interval '1 second' WHERE id = $1`,
      [token.id],
    );
    // A change by raw SQL is another connection's: the app's cache of tokens (src/auth/auth-cache.ts) hears of
    // it by its notification. (A kept token that expires by the clock is refused at once:
    // test/auth/auth-cache.test.ts.)
    const expired = await until(
      'the expired token is refused',
      async () => {
        const response = await api.call('GET', '/api/v1/session', undefined, secret);
        return response.statusCode === 200 ? undefined : response;
      },
      { intervalMs: 20, timeoutMs: 15_000 },
    );
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toMatch(/expired/);
  });

  it('are created, listed and revoked by their owner over the API; others’ only by admins', async () => {
    const user = await newUser('reviewer');
    const { cookie, csrfToken } = await signedIn(user.name, user.password);
    const headers = { cookie, 'x-csrf-token': csrfToken };
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers,
      payload: { name: `mine-${Date.now()}`, expiresIn: '30d' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      role: 'reviewer',
      user: { id: user.id },
      secret: expect.stringMatching(/^sovi_/),
    });
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const tooWide = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers,
      payload: { name: `wide-${Date.now()}`, role: 'admin' },
    });
    expect(tooWide.statusCode).toBe(403);

    const mine = await api.app.inject({ url: '/api/v1/tokens', headers: { cookie } });
    expect(mine.json().tokens.map((x: { id: string }) => x.id)).toEqual([body.id]);
    expect(mine.body).not.toContain(body.secret);
    expect((await api.app.inject({ url: '/api/v1/tokens?all=true', headers: { cookie } })).statusCode).toBe(
      403,
    );

    const theirs = await createToken(
      t.db,
      { name: `theirs-${Date.now()}`, userId: (await newUser()).id },
      'test',
    );
    const revokeTheirs = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${theirs.token.id}`,
      headers,
    });
    expect(revokeTheirs.statusCode).toBe(404);
    const revokeMine = await api.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${body.id}`, headers });
    expect(revokeMine.statusCode).toBe(204);
    expect((await api.call('GET', '/api/v1/session', undefined, body.secret)).statusCode).toBe(401);
  });
});

describe('the users routes', { timeout: 180_000 }, () => {
  it('let an admin add, change, disable, enable users and reset a password; others get 403', async () => {
    const admin = await newUser('admin');
    const { cookie, csrfToken } = await signedIn(admin.name, admin.password);
    const headers = { cookie, 'x-csrf-token': csrfToken };
    const secret = password();
    const name = `added-${Date.now()}`;
    const added = await api.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers,
      payload: { name, role: 'viewer', password: secret },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.body).not.toContain(secret);
    const short = await api.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers,
      payload: { name: `${name}-2`, role: 'viewer', password: 'short' },
    });
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toMatchObject({
      field: 'password',
      message: expect.stringMatching(/at least 12/),
    });
    const duplicate = await api.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers,
      payload: { name: name.toUpperCase(), role: 'viewer', password: secret },
    });
    expect(duplicate.statusCode).toBe(409);

    const list = await api.app.inject({ url: '/api/v1/users', headers: { cookie } });
    expect(list.json().users.map((u: { name: string }) => u.name)).toContain(name);
    expect(list.body).not.toMatch(/scrypt/);

    const viewer = await signedIn(name, secret);
    expect(
      (await api.app.inject({ url: '/api/v1/users', headers: { cookie: viewer.cookie } })).statusCode,
    ).toBe(403);

    const reset = await api.app.inject({
      method: 'POST',
      url: `/api/v1/users/${name}/password`,
      headers,
      payload: { password: password() },
    });
    expect(reset.statusCode).toBe(204);
    expect((await read(api, viewer.cookie)).statusCode).toBe(401);
    const disabled = await api.app.inject({ method: 'POST', url: `/api/v1/users/${name}/disable`, headers });
    expect(disabled.json().disabledAt).not.toBeNull();
    const enabled = await api.app.inject({ method: 'POST', url: `/api/v1/users/${name}/enable`, headers });
    expect(enabled.json().disabledAt).toBeNull();
  });

  it('never put a password in the log or the events', async () => {
    expect(findCanaries(api.log())).toEqual([]);
    expect(findCanaries(other.log())).toEqual([]);
    expect(await scanDatabaseForCanaries(t.pool)).toEqual([]);
  });
});
