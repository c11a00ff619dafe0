// Strict-Transport-Security only on requests that came over HTTPS: over plain HTTP it means nothing to a
// browser and would claim this address serves HTTPS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t, { api: { trustProxy: ['10.0.0.1'] } });
});
afterAll(() => api.close());

const get = (url: string, remoteAddress: string, headers: Record<string, string> = {}) =>
  api.app.inject({ url, remoteAddress, headers: { ...bearer(api.admin.secret), ...headers } });

describe('Strict-Transport-Security', () => {
  it('is not sent over plain HTTP', async () => {
    for (const url of ['/api/v1/devices', '/healthz', '/no/such/page']) {
      const response = await get(url, '10.0.0.1');
      expect(response.headers['strict-transport-security'], url).toBeUndefined();
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });

  it('is sent when the configured proxy says the request came over HTTPS', async () => {
    const response = await get('/api/v1/devices', '10.0.0.1', { 'x-forwarded-proto': 'https' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  });

  it('is not sent when a peer that is not the proxy claims HTTPS', async () => {
    const response = await get('/api/v1/devices', '10.9.9.9', { 'x-forwarded-proto': 'https' });
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });
});
