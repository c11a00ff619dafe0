// The API describes itself: a valid OpenAPI 3 document listing every route, and a UI, both public.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
}

const routes = [
  ['post', '/api/v1/session'],
  ['get', '/api/v1/session'],
  ['delete', '/api/v1/session'],
  ['post', '/api/v1/session/password'],
  ['get', '/api/v1/users'],
  ['post', '/api/v1/users'],
  ['get', '/api/v1/users/{ref}'],
  ['patch', '/api/v1/users/{ref}'],
  ['post', '/api/v1/users/{ref}/disable'],
  ['post', '/api/v1/users/{ref}/enable'],
  ['post', '/api/v1/users/{ref}/password'],
  ['get', '/api/v1/tokens'],
  ['post', '/api/v1/tokens'],
  ['delete', '/api/v1/tokens/{ref}'],
  ['get', '/api/v1/niches'],
  ['post', '/api/v1/niches'],
  ['get', '/api/v1/niches/{ref}'],
  ['patch', '/api/v1/niches/{ref}'],
  ['get', '/api/v1/devices'],
  ['post', '/api/v1/devices'],
  ['get', '/api/v1/devices/{ref}'],
  ['patch', '/api/v1/devices/{ref}'],
  ['delete', '/api/v1/devices/{ref}'],
  ['post', '/api/v1/devices/{ref}/check'],
  ['get', '/api/v1/accounts'],
  ['post', '/api/v1/accounts'],
  ['get', '/api/v1/accounts/{ref}'],
  ['get', '/api/v1/audit'],
  ['get', '/api/v1/notifications/channels'],
  ['post', '/api/v1/notifications/channels'],
  ['get', '/api/v1/notifications/channels/{id}'],
  ['patch', '/api/v1/notifications/channels/{id}'],
  ['delete', '/api/v1/notifications/channels/{id}'],
  ['post', '/api/v1/notifications/channels/{id}/test'],
  ['get', '/api/v1/notifications/rules'],
  ['post', '/api/v1/notifications/rules'],
  ['delete', '/api/v1/notifications/rules/{id}'],
  ['get', '/api/v1/notifications/deliveries'],
  ['patch', '/api/v1/accounts/{ref}'],
  ['delete', '/api/v1/accounts/{ref}'],
  ['post', '/api/v1/accounts/{ref}/restore'],
  ['post', '/api/v1/accounts/{id}/connect'],
  ['get', '/api/v1/connections'],
  ['get', '/api/v1/connections/requests/{connectId}'],
  ['post', '/api/v1/accounts/{ref}/state'],
  ['post', '/api/v1/accounts/{ref}/reveal'],
  ['post', '/api/v1/accounts/{ref}/totp'],
  ['post', '/api/v1/accounts/import-preview'],
  ['post', '/api/v1/accounts/import'],
  ['post', '/api/v1/accounts/bulk-state'],
  ['post', '/api/v1/accounts/bulk-move'],
  ['get', '/api/v1/events'],
  ['get', '/api/v1/events/stream'],
  ['get', '/api/v1/events/{id}'],
  ['get', '/api/v1/events/{id}/triage'],
  ['post', '/api/v1/events/proposals/{id}/accept'],
  ['post', '/api/v1/events/proposals/{id}/reject'],
  ['post', '/api/v1/events/{id}/resolve'],
  ['get', '/api/v1/events/types'],
  ['post', '/api/v1/events/resolve'],
  ['get', '/api/v1/warming/policy'],
  ['get', '/api/v1/warming/status'],
  ['get', '/api/v1/warming/sessions'],
  ['get', '/api/v1/warming/sessions/stream'],
  ['get', '/api/v1/hooks'],
  ['post', '/api/v1/hooks'],
  ['get', '/api/v1/hooks/leaderboard'],
  ['get', '/api/v1/hooks/{id}'],
  ['patch', '/api/v1/hooks/{id}'],
  ['post', '/api/v1/hooks/import'],
  ['get', '/api/v1/content'],
  ['post', '/api/v1/content'],
  ['get', '/api/v1/content/status'],
  ['get', '/api/v1/content/{id}'],
  ['get', '/api/v1/content/{id}/video'],
  ['post', '/api/v1/content/{id}/produce'],
  ['post', '/api/v1/content/{id}/retry'],
  ['get', '/api/v1/content/formats'],
  ['post', '/api/v1/content/{id}/archive'],
  ['post', '/api/v1/content/{id}/restore'],
  ['get', '/api/v1/distributions'],
  ['get', '/api/v1/distributions/{id}'],
  ['post', '/api/v1/distributions/{id}/removed'],
  ['post', '/api/v1/distributions/{id}/reschedule'],
  ['post', '/api/v1/distributions/{id}/cancel'],
  ['post', '/api/v1/distributions/{id}/retry'],
  ['patch', '/api/v1/distributions/{id}'],
  ['get', '/api/v1/content/review'],
  ['post', '/api/v1/content/{id}/approve'],
  ['post', '/api/v1/content/{id}/reject'],
  ['get', '/api/v1/calendar'],
  ['get', '/api/v1/niches/{ref}/posting-schedule'],
  ['put', '/api/v1/niches/{ref}/posting-schedule'],
  ['delete', '/api/v1/niches/{ref}/posting-schedule'],
  ['get', '/api/v1/accounts/{ref}/posting-schedule'],
  ['put', '/api/v1/accounts/{ref}/posting-schedule'],
  ['delete', '/api/v1/accounts/{ref}/posting-schedule'],
  ['post', '/api/v1/metrics/snapshots'],
  ['get', '/api/v1/metrics/status'],
  ['get', '/api/v1/metrics/top'],
  ['get', '/api/v1/metrics/accounts/{ref}/hourly'],
  ['get', '/api/v1/metrics/niches/{ref}/daily'],
  ['get', '/api/v1/metrics/compare'],
  ['get', '/api/v1/metrics/posts'],
  ['get', '/api/v1/trends'],
  ['get', '/api/v1/trends/{id}'],
  ['post', '/api/v1/trends/import'],
  ['post', '/api/v1/trends/{id}/content'],
  ['get', '/api/v1/overview'],
  ['get', '/api/v1/settings'],
  ['get', '/healthz'],
  ['get', '/readyz'],
] as const;

async function document(): Promise<OpenApiDoc> {
  const response = await api.app.inject('/api/openapi.json');
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3 and needs no token', async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route, and no others', async () => {
    const doc = await document();
    const listed = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(listed.sort()).toEqual(routes.map(([method, path]) => `${method} ${path}`).sort());
  });

  it('asks for a token everywhere but sign-in, sign-out and health', async () => {
    const doc = await document();
    const open = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([method]) => `${method} ${path}`),
    );
    expect(open.sort()).toEqual([
      'delete /api/v1/session',
      'get /healthz',
      'get /readyz',
      'post /api/v1/session',
    ]);
  });

  it('marks a request body optional where a route takes none', async () => {
    const doc = (await document()) as unknown as {
      paths: Record<string, Record<string, { requestBody?: { required: boolean } }>>;
    };
    const required = (path: string) => doc.paths[path]?.post?.requestBody?.required;
    expect(required('/api/v1/accounts/{ref}/totp')).toBe(false);
    expect(required('/api/v1/accounts/{ref}/reveal')).toBe(false);
    expect(required('/api/v1/accounts/{ref}/restore')).toBe(false);
    expect(required('/api/v1/accounts')).toBe(true);
  });

  it('has no encrypted column, and plaintext secrets only in the reveal response', async () => {
    const doc = await document();
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/_enc\b|token_hash/);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const ok = JSON.stringify(op.responses['200'] ?? op.responses['201'] ?? {});
        const hasPlaintext = /"password":\{"type":"string"/.test(ok);
        expect(hasPlaintext, `${method} ${path}`).toBe(path === '/api/v1/accounts/{ref}/reveal');
      }
    }
  });

  it('serves the Swagger UI at /api/docs without a token', async () => {
    const response = await api.app.inject('/api/docs');
    expect([200, 302]).toContain(response.statusCode);
    const page =
      response.statusCode === 302 ? await api.app.inject(response.headers.location as string) : response;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
  });
});
