// How the server hands out the dashboard: the built page at / and at every dashboard path (so a reload
// keeps the page), hashed assets cached for good, and nothing of it under /api, where an unknown path stays
// a JSON 404. An unbuilt dashboard says how to build it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardDir, webRoutes } from '../../src/http/web.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';
import { ensureDashboardBuilt } from './browser.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  await ensureDashboardBuilt();
  api = await startTestApp(t);
});
afterAll(() => api.close());

const get = (url: string) => api.app.inject({ method: 'GET', url });
/** What a browser sends when it loads a page. */
const browse = (url: string) =>
  api.app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });

describe('the dashboard', () => {
  it('is served at / with a content security policy that allows no inline script', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toContain('<div id="app"></div>');
    expect(response.body).not.toMatch(/<script>(?!<\/script>)/);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("'unsafe-inline'; script");
  });

  it('answers a browser with the page at every dashboard path, so a reload or a shared link works', async () => {
    for (const url of [
      '/accounts',
      '/accounts/5f0c6a1e-0000-4000-8000-000000000000',
      '/events?severity=error',
    ]) {
      const response = await browse(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toContain('<div id="app"></div>');
    }
  });

  it('caches hashed assets for good, and 404s a missing one', async () => {
    const html = (await get('/')).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await get(script!);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await get('/assets/nope-123.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await get('/favicon.svg')).statusCode).toBe(200);
    expect((await browse('/nothing-here.png')).statusCode).toBe(404);
    // Other clients asking for a path that is nothing get the API's JSON 404.
    expect((await get('/accounts')).json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /accounts' },
    });
  });

  it('leaves /api alone: unknown API paths stay JSON 404s, and the API still wants a token', async () => {
    const unknown = await browse('/api/v1/no-such-thing');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /api/v1/no-such-thing' },
    });
    expect((await get('/api/nope')).statusCode).toBe(404);
    expect((await get('/api/v1/devices')).statusCode).toBe(401);
    const openapi = (await get('/api/openapi.json')).json<{ paths: Record<string, unknown> }>();
    expect(
      Object.keys(openapi.paths).filter(
        (p) =>
          !p.startsWith('/api/') &&
          !p.startsWith('/healthz') &&
          !p.startsWith('/readyz') &&
          !p.startsWith('/metrics'),
      ),
    ).toEqual([]);
  });

  it('is built where the server looks for it', () => {
    expect(fs.existsSync(path.join(dashboardDir, 'index.html'))).toBe(true);
  });

  it('says how to build it when it is not built', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-web-empty-'));
    const app = Fastify();
    await app.register(webRoutes, { dir: empty });
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build:web');
    await app.close();
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
