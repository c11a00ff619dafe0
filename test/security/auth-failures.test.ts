// The failed-token limit: only failures count, a valid token always passes, the client address comes from
// the peer unless a configured proxy reports it, and every sovi process on the database shares the budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { SoviError } from '../../src/errors.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from '../http/helpers.ts';

const t = useTestDatabase();
const bad = (n: number) => `sovi_${String(n).padStart(43, 'z')}`;

let direct: TestApp;
let proxied: TestApp;
beforeAll(async () => {
  direct = await startTestApp(t, { api: { authFailuresPerMinute: 3 } });
  proxied = await startTestApp(t, { api: { authFailuresPerMinute: 3, trustProxy: ['10.0.0.1'] } });
});
afterAll(async () => {
  await direct?.close();
  await proxied?.close();
});

const get = (api: TestApp, secret: string, remoteAddress: string, headers: Record<string, string> = {}) =>
  api.app.inject({ url: '/api/v1/devices', headers: { ...bearer(secret), ...headers }, remoteAddress });

describe('a valid token', () => {
  it('passes from an address that is over its budget of failures', async () => {
    const address = '10.20.0.1';
    for (let i = 0; i < 3; i++) expect((await get(direct, bad(i), address)).statusCode).toBe(401);
    const refused = await get(direct, bad(9), address);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const valid = await get(direct, direct.admin.secret, address);
    expect(valid.statusCode, valid.body).toBe(200);
    // And signing in with it works too.
    const signIn = await direct.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: direct.reader.secret },
      remoteAddress: address,
    });
    expect(signIn.statusCode, signIn.body).toBe(201);
    // Bad tokens from there are still refused with 429.
    expect((await get(direct, bad(10), address)).statusCode).toBe(429);
  });
});

describe('SOVI_TRUST_PROXY', () => {
  it('refuses true and hop counts, naming the variable and what it wants instead', () => {
    for (const value of ['true', '1', '10.0.0.1,nonsense', '10.0.0.0/33']) {
      let error: unknown;
      try {
        loadConfig({ SOVI_TRUST_PROXY: value });
      } catch (err) {
        error = err;
      }
      expect(error, value).toBeInstanceOf(SoviError);
      expect((error as SoviError).message, value).toMatch(/SOVI_TRUST_PROXY.*addresses or CIDR ranges/);
    }
  });

  it('takes false or a list of proxy addresses, CIDR ranges and proxy-addr names', () => {
    expect(loadConfig({}).api.trustProxy).toBe(false);
    expect(loadConfig({ SOVI_TRUST_PROXY: 'false' }).api.trustProxy).toBe(false);
    expect(
      loadConfig({ SOVI_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).api.trustProxy,
    ).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
  });
});

describe('X-Forwarded-For', () => {
  it('from a peer that is not a configured proxy is ignored: rotating it escapes nothing', async () => {
    const peer = '10.30.0.1';
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await get(proxied, bad(i), peer, { 'x-forwarded-for': `203.0.113.${i}` })).statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
  });

  it('naming another client from an untrusted peer does not lock that client out', async () => {
    const victim = '198.51.100.7';
    for (let i = 0; i < 5; i++) {
      await get(proxied, bad(i), '10.30.0.2', { 'x-forwarded-for': victim });
    }
    // The victim, through the real proxy, with a bad token: its own first failure, so 401, not 429.
    const response = await get(proxied, bad(99), '10.0.0.1', { 'x-forwarded-for': victim });
    expect(response.statusCode).toBe(401);
  });

  it('from the configured proxy counts per client it reports', async () => {
    const through = (client: string, secret: string) =>
      get(proxied, secret, '10.0.0.1', { 'x-forwarded-for': client });
    for (let i = 0; i < 3; i++) expect((await through('192.0.2.1', bad(i))).statusCode).toBe(401);
    expect((await through('192.0.2.1', bad(5))).statusCode).toBe(429);
    // Another client behind the same proxy is not affected.
    expect((await through('192.0.2.2', bad(6))).statusCode).toBe(401);
  });
});

describe('two sovi processes on one database', () => {
  it('share one budget per address', async () => {
    const other = await startTestApp(t, { api: { authFailuresPerMinute: 3 } });
    try {
      const address = '10.40.0.1';
      expect((await get(direct, bad(1), address)).statusCode).toBe(401);
      expect((await get(other, bad(2), address)).statusCode).toBe(401);
      expect((await get(direct, bad(3), address)).statusCode).toBe(401);
      expect((await get(other, bad(4), address)).statusCode).toBe(429);
      expect((await get(direct, bad(5), address)).statusCode).toBe(429);
    } finally {
      await other.close();
    }
  });
});
