// Who may call the API: bearer tokens (read-only ones may not write), dashboard sessions with their CSRF
// token, revocation, and the rate limits on failed attempts.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../../src/auth/tokens-service.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Every API route from the OpenAPI document, with its path parameters filled in. */
async function apiRoutes(): Promise<{ method: Method; url: string; open: boolean; role?: string }[]> {
  const doc = (await api.app.inject('/api/openapi.json')).json<{
    paths: Record<string, Record<string, { security?: unknown[]; 'x-sovi-role'?: string }>>;
  }>();
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase() as Method,
        url: path.replace('{ref}', 'nobody').replace('{id}', '1'),
        open: Array.isArray(op.security) && op.security.length === 0,
        role: op['x-sovi-role'],
      })),
    );
}

const isWrite = (method: Method) => method !== 'GET';

function cookiesOf(response: LightMyRequestResponse): Record<string, string> {
  return Object.fromEntries(
    (response.cookies as { name: string; value: string }[]).map((c) => [c.name, c.value]),
  );
}

const cookieHeader = (cookies: Record<string, string>) =>
  Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

async function signIn(secret: string) {
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { token: secret },
  });
  expect(response.statusCode, response.body).toBe(201);
  return { response, cookies: cookiesOf(response), csrfToken: response.json().csrfToken as string };
}

let deviceN = 0;
const newDevice = () => ({ name: `auth-phone-${++deviceN}`, udid: `auth-udid-${deviceN}-${Date.now()}` });

describe('bearer tokens', () => {
  it('are required by every API route but sign-in and sign-out: 401 without one', async () => {
    const routes = await apiRoutes();
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes.filter((r) => !r.open)) {
      const response = await api.app.inject({ method: route.method, url: route.url });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="sovi"');
    }
  });

  it('refuse an unknown, malformed or revoked token with 401', async () => {
    const { secret, token } = await createToken(t.db, { name: `soon-revoked-${Date.now()}` }, 'test');
    expect((await api.app.inject({ url: '/api/v1/devices', headers: bearer(secret) })).statusCode).toBe(200);
    await revokeToken(t.db, token.id, 'test');
    for (const authorization of [
      `Bearer ${secret}`,
      `Bearer sovi_${'x'.repeat(43)}`,
      'Bearer',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      secret,
    ]) {
      const response = await api.app.inject({ url: '/api/v1/devices', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
    }
  });

  it('that are read-only read everything and get 403 on every write', async () => {
    const routes = await apiRoutes();
    // The event stream never ends: test/http/events.test.ts reads it over a socket. One's own password and
    // tokens are everyone's to manage (self.manage), and users are admins' even to read:
    // test/http/people.test.ts covers them.
    const own = (url: string) => /^\/api\/v1\/(session|tokens|users)/.test(url);
    // Reads whose query is required get one (test/http/route-roles.test.ts walks every route with valid input).
    const requiredQuery: Record<string, string> = {
      '/api/v1/metrics/compare': '?kind=niches&refs=motivation,personal_finance',
    };
    // Path parameters with a format get a well-formed value (a malformed one is a 400 naming it).
    const wellFormed = (url: string) => url.replace('{connectId}', '0'.repeat(64));
    for (const route of routes.filter((r) => !r.open && !r.url.endsWith('/stream') && !own(r.url))) {
      const response = await api.app.inject({
        method: route.method,
        url: wellFormed(route.url) + (isWrite(route.method) ? '' : (requiredQuery[route.url] ?? '')),
        headers: bearer(api.reader.secret),
        ...(isWrite(route.method) ? { payload: {} } : {}),
      });
      if (isWrite(route.method)) {
        expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
        expect(response.json().error.message).toMatch(/needs the (reviewer|operator|admin) role/);
      } else if (route.role !== 'viewer') {
        // Reads above a viewer's role: people (users.manage), notification channels (notifications.read).
        expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      } else {
        expect([200, 404], `${route.method} ${route.url}`).toContain(response.statusCode);
      }
    }
  });

  it('need no CSRF token', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: bearer(api.admin.secret),
      payload: newDevice(),
    });
    expect(response.statusCode, response.body).toBe(201);
  });

  it('record when they were last used', async () => {
    const { rows } = await t.pool.query('SELECT last_used_at FROM api_tokens WHERE id = $1', [api.admin.id]);
    expect(rows[0].last_used_at).toBeInstanceOf(Date);
  });
});

describe('dashboard sessions', () => {
  it('sign in with a token into an HttpOnly, SameSite=Strict cookie, and read with it', async () => {
    const { response, cookies, csrfToken } = await signIn(api.admin.secret);
    const session = (
      response.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string }[]
    ).find((c) => c.name === 'sovi_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api' });
    expect(response.json()).toMatchObject({
      via: 'cookie',
      role: 'admin',
      user: null,
      token: { name: api.admin.name, role: 'admin' },
      csrfToken: expect.any(String),
    });
    expect(response.body).not.toContain(api.admin.secret);
    expect(csrfToken.length).toBeGreaterThan(10);

    const list = await api.app.inject({ url: '/api/v1/devices', headers: { cookie: cookieHeader(cookies) } });
    expect(list.statusCode).toBe(200);
    const me = await api.app.inject({ url: '/api/v1/session', headers: { cookie: cookieHeader(cookies) } });
    expect(me.json()).toMatchObject({
      via: 'cookie',
      token: { name: api.admin.name },
      csrfToken: expect.any(String),
    });
  });

  it('write only with the CSRF token: 403 without it, or with another session’s', async () => {
    const mine = await signIn(api.admin.secret);
    const other = await createToken(t.db, { name: `other-${Date.now()}` }, 'test');
    const theirs = await signIn(other.secret);
    const write = (headers: Record<string, string>) =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/devices',
        headers: { cookie: cookieHeader(mine.cookies), ...headers },
        payload: newDevice(),
      });
    const without = await write({});
    expect(without.statusCode).toBe(403);
    expect(without.json().error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/CSRF/) });
    expect((await write({ 'x-csrf-token': 'forged' })).statusCode).toBe(403);
    expect((await write({ 'x-csrf-token': theirs.csrfToken })).statusCode).toBe(403);
    const withToken = await write({ 'x-csrf-token': mine.csrfToken });
    expect(withToken.statusCode, withToken.body).toBe(201);
  });

  it('of a read-only token cannot write, even with the CSRF token', async () => {
    const { cookies, csrfToken } = await signIn(api.reader.secret);
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/devices',
      headers: { cookie: cookieHeader(cookies), 'x-csrf-token': csrfToken },
      payload: newDevice(),
    });
    expect(response.statusCode).toBe(403);
  });

  it('end when their token is revoked', async () => {
    const { secret, token } = await createToken(t.db, { name: `revoked-session-${Date.now()}` }, 'test');
    const { cookies } = await signIn(secret);
    const read = () => api.app.inject({ url: '/api/v1/devices', headers: { cookie: cookieHeader(cookies) } });
    expect((await read()).statusCode).toBe(200);
    await revokeToken(t.db, token.name, 'test');
    const after = await read();
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toMatch(/sign in again/);
  });

  it('end when they expire, and cannot be forged or altered', async () => {
    const { cookies } = await signIn(api.admin.secret);
    const read = (session: string) =>
      api.app.inject({ url: '/api/v1/devices', headers: { cookie: `sovi_session=${session}` } });
    expect((await read(cookies.sovi_session!)).statusCode).toBe(200);
    // The old signed-cookie shape, and a one-character change of a real secret, open nothing.
    expect((await read(`${api.admin.id}.${Math.floor(Date.now() / 1000) + 3600}`)).statusCode).toBe(401);
    expect((await read(cookies.sovi_session!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).statusCode).toBe(
      401,
    );
    await t.pool.query(
      `UPDATE sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second'
       WHERE token_id = $1`,
      [api.admin.id],
    );
    // A change by raw SQL is another connection's: the app's cache of sessions (src/auth/auth-cache.ts) hears
    // of it by its notification. (A kept session that expires by the clock is refused at once:
    // test/auth/auth-cache.test.ts.)
    await until(
      'the expired session is refused',
      async () => ((await read(cookies.sovi_session!)).statusCode === 401 ? true : undefined),
      { intervalMs: 20, timeoutMs: 15_000 },
    );
  });

  it('sign out with DELETE /api/v1/session, which clears the cookies', async () => {
    const response = await api.app.inject({ method: 'DELETE', url: '/api/v1/session' });
    expect(response.statusCode).toBe(204);
    const cleared = response.cookies as { name: string; value: string; expires?: Date }[];
    expect(cleared.map((c) => c.name).sort()).toEqual(['sovi_csrf', 'sovi_session']);
    for (const c of cleared) expect(c.value).toBe('');
  });

  it('refuse a bad token at sign-in with 401, naming no secret', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: 'sovi_nope' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.cookies).toEqual([]);
    const extra = await api.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: api.admin.secret, remember: true },
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.field).toBe('body.remember');
  });
});

describe('rate limits', () => {
  it('answer failed token attempts with 429 and Retry-After once an address has too many', async () => {
    const limited = await startTestApp(t, { api: { authFailuresPerMinute: 3 } });
    try {
      const attempt = (secret: string) =>
        limited.app.inject({ url: '/api/v1/devices', headers: bearer(secret), remoteAddress: '10.9.8.7' });
      for (let i = 0; i < 3; i++) expect((await attempt(`sovi_${'z'.repeat(43)}`)).statusCode).toBe(401);
      const refused = await attempt(`sovi_${'z'.repeat(43)}`);
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // Bad tokens from the address wait out the window; a valid one still passes (test/security/auth-failures).
      expect((await attempt(`sovi_${'y'.repeat(43)}`)).statusCode).toBe(429);
      const elsewhere = await limited.app.inject({
        url: '/api/v1/devices',
        headers: bearer(limited.admin.secret),
        remoteAddress: '10.9.8.6',
      });
      expect(elsewhere.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('limit sign-ins per address', async () => {
    const limited = await startTestApp(t, { api: { signInAttemptsPerMinute: 2 } });
    try {
      const attempt = () =>
        limited.app.inject({
          method: 'POST',
          url: '/api/v1/session',
          payload: { token: limited.admin.secret },
          remoteAddress: '10.9.8.5',
        });
      expect((await attempt()).statusCode).toBe(201);
      expect((await attempt()).statusCode).toBe(201);
      const refused = await attempt();
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe('rate_limited');
    } finally {
      await limited.close();
    }
  });
});

describe('responses', () => {
  it('carry security headers', async () => {
    const response = await api.app.inject({ url: '/api/v1/devices', headers: bearer(api.admin.secret) });
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'content-security-policy': expect.stringContaining("default-src 'self'"),
      'referrer-policy': 'no-referrer',
    });
  });
});
