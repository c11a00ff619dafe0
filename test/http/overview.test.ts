// The overview over HTTP: every count is an aggregate in the database, exact however large the fleet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const get = (secret?: string) =>
  api.app.inject({ url: '/api/v1/overview', headers: secret ? bearer(secret) : {} });
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
const resolvedEvent = { resolved: true, resolved_by: 'human', resolved_at: new Date() };

describe('overview', () => {
  it('needs a token', async () => {
    const response = await get();
    expect(response.statusCode).toBe(401);
  });

  it('answers zeros for an empty fleet', async () => {
    const response = await get(api.reader.secret);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.devices).toEqual({});
    expect(body.accounts).toEqual({});
    expect(body.unresolvedEvents).toEqual({});
    expect(body.sessions).toEqual({ total: 0, byOutcome: {} });
    expect(body.posts).toEqual({ posted: 0, failed: 0 });
    expect(Date.parse(body.at) - Date.parse(body.since)).toBe(86_400_000);
  });

  it('counts devices, live accounts, unresolved events, and the last 24 hours', async () => {
    for (const status of ['active', 'active', 'active', 'failed', 'disconnected']) {
      await factories.device(t.pool, { status });
    }
    const warming = await factories.account(t.pool, { current_state: 'warming_p1' });
    await factories.account(t.pool, { current_state: 'warming_p1' });
    const poster = await factories.account(t.pool, { current_state: 'active' });
    await factories.account(t.pool, { current_state: 'banned' });
    await factories.account(t.pool, { current_state: 'active', deleted_at: new Date() });

    for (const severity of ['critical', 'warning', 'warning', 'info'])
      await factories.event(t.pool, { severity });
    await factories.event(t.pool, { severity: 'critical', ...resolvedEvent });

    const session = (startedAt: Date, data: Record<string, unknown> | null, completed = true) =>
      factories.warmingSession(t.pool, {
        account_id: warming.id,
        started_at: startedAt,
        completed_at: completed ? new Date(startedAt.getTime() + 600_000) : null,
        ...(data ? { session_data: JSON.stringify(data) } : {}),
      });
    await session(hoursAgo(1), { outcome: 'success' });
    await session(hoursAgo(2), { outcome: 'success' });
    await session(hoursAgo(3), { outcome: 'timeout' });
    await session(hoursAgo(0.1), null, false);
    await session(hoursAgo(4), null);
    await session(hoursAgo(30), { outcome: 'success' }); // outside the window

    const post = (values: Record<string, unknown>) =>
      factories.distribution(t.pool, { account_id: poster.id, ...values });
    await post({ status: 'posted', posted_at: hoursAgo(2) });
    await post({ status: 'posted', posted_at: hoursAgo(5), created_at: hoursAgo(40) });
    await post({ status: 'posted', posted_at: hoursAgo(30), created_at: hoursAgo(31) }); // outside
    await post({ status: 'failed', created_at: hoursAgo(1) });
    await post({ status: 'failed', created_at: hoursAgo(48) }); // outside
    await post({ status: 'pending' });

    const response = await get(api.reader.secret);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.devices).toEqual({ active: 3, failed: 1, disconnected: 1 });
    expect(body.accounts).toEqual({ warming_p1: 2, active: 1, banned: 1 });
    expect(body.unresolvedEvents).toEqual({ critical: 1, warning: 2, info: 1 });
    expect(body.sessions).toEqual({
      total: 5,
      byOutcome: { success: 2, timeout: 1, running: 1, unknown: 1 },
    });
    expect(body.posts).toEqual({ posted: 2, failed: 1 });
  });
});
