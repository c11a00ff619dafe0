// The request log: one line per request, after its answer, at a level that says whether to read it: debug
// when it went well, info for a client error, warn when slow (SOVI_SLOW_REQUEST_MS), error for a server
// error (the error handler's line, with the error: no second line). Query strings are not logged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();

interface Line {
  level: number;
  msg: string;
  route?: string;
  status?: number;
}

const lines = (api: TestApp): Line[] =>
  api
    .log()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

/** What the app logged while `request` ran (inject answers after the onResponse hooks ran). */
async function loggedBy<T>(api: TestApp, request: () => Promise<T>): Promise<[T, Line[]]> {
  const before = lines(api).length;
  const result = await request();
  return [result, lines(api).slice(before)];
}

describe('the request log', () => {
  let api: TestApp;
  let slow: TestApp;
  beforeAll(async () => {
    api = await startTestApp(t);
    // Every request counts as slow here.
    slow = await startTestApp(t, { api: { slowRequestMs: 0.001 } });
  });
  afterAll(async () => {
    await api.close();
    await slow.close();
  });

  it('writes one debug line for a request that went well, with the route and not the query string', async () => {
    const [response, logged] = await loggedBy(api, () =>
      api.call('GET', '/api/v1/devices?host=private-host-name'),
    );
    expect(response.statusCode).toBe(200);
    expect(logged).toEqual([expect.objectContaining({ level: 20, route: '/api/v1/devices', status: 200 })]);
    expect(logged[0]!.msg).toMatch(/^GET \/api\/v1\/devices 200 \d+ ms$/);
    expect(api.log()).not.toContain('private-host-name');
  });

  it('writes one info line for a client error, and one warn line for a slow request', async () => {
    const [missing, missingLines] = await loggedBy(api, () => api.call('GET', '/api/v1/devices/no-such'));
    expect(missing.statusCode).toBe(404);
    expect(missingLines).toEqual([
      expect.objectContaining({ level: 30, route: '/api/v1/devices/:ref', status: 404 }),
    ]);
    const [, slowLines] = await loggedBy(slow, () => slow.call('GET', '/api/v1/devices'));
    expect(slowLines).toEqual([expect.objectContaining({ level: 40, status: 200 })]);
  });
});
