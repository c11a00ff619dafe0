// The warming schedule over HTTP: the policy in force (from the configured file), what `sovi schedule
// status` shows, and the session history in keyset pages with its filters.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { configWithHome } from './domain-app.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';
import { loadPolicies } from '../../src/policies.ts';

const extra = vi.hoisted(() => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('./domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
let api: TestApp;
let home: string;
beforeAll(async () => {
  const { config, home: dir } = await configWithHome();
  home = dir;
  const policyFile = path.join(home, 'policy.json');
  fs.writeFileSync(policyFile, JSON.stringify({ active: { sessionsPerDay: 5 }, deviceFailureLimit: 7 }));
  const withPolicy = { ...config, scheduler: { ...config.scheduler, policyFile } };
  extra.deps = { config: withPolicy, policies: loadPolicies(withPolicy) };
  api = await startTestApp(t);
});
afterAll(async () => {
  await api.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const get = (url: string, secret?: string) => api.call('GET', url, undefined, secret);
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms);

describe('the warming policy', () => {
  it('is the defaults overridden by the configured file', async () => {
    const response = await get('/api/v1/warming/policy');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      source: 'file',
      created: { sessionsPerDay: 1, minGapMinutes: 0 },
      warming_p1: { sessionsPerDay: 2, minGapMinutes: 240, days: 3 },
      active: { sessionsPerDay: 5, minGapMinutes: 360 },
      sessionTimeoutSeconds: 1800,
      deviceFailureLimit: 7,
    });
  });
});

describe('the schedule status', () => {
  it('shows who is due in order, each device’s queue, and the last hour’s outcomes', async () => {
    const phone = await factories.device(t.pool, { name: 'status-phone', host: 'rack-w', status: 'active' });
    const never = await factories.account(t.pool, { username: 'never_warmed', current_state: 'created' });
    const old = await factories.account(t.pool, {
      username: 'warmed_long_ago',
      current_state: 'active',
      last_warmed_at: ago(24 * HOUR),
      device_id: phone.id,
    });
    // Warmed an hour ago, in a state that wants 4 h between sessions: not due.
    await factories.account(t.pool, {
      username: 'just_warmed',
      current_state: 'warming_p1',
      last_warmed_at: ago(HOUR),
    });
    // Banned accounts are never due.
    await factories.account(t.pool, { username: 'banned_one', current_state: 'banned' });
    await t.pool.query(
      `INSERT INTO warming_queue (session_key, account_id, device_id, host) VALUES (gen_random_uuid(), $1, $2, 'rack-w')`,
      [old.id, phone.id],
    );
    for (const outcome of ['success', 'success', 'device_lost']) {
      await factories.warmingSession(t.pool, {
        account_id: old.id,
        device_id: phone.id,
        started_at: ago(30 * 60_000),
        completed_at: ago(20 * 60_000),
        session_data: JSON.stringify({ outcome }),
      });
    }

    const response = await get('/api/v1/warming/status?host=rack-w&next=5');
    expect(response.statusCode, response.body).toBe(200);
    const status = response.json();
    expect(status.dueAccounts).toBe(2);
    expect(status.queuedSessions).toBe(1);
    expect(status.next.map((a: { username: string }) => a.username)).toEqual([
      'never_warmed',
      'warmed_long_ago',
    ]);
    expect(status.next[0]).toMatchObject({ id: never.id, device: null, queued: false, lastWarmedAt: null });
    expect(status.next[1]).toMatchObject({ device: 'status-phone', queued: true, state: 'active' });
    expect(status.devices).toEqual([
      expect.objectContaining({
        name: 'status-phone',
        host: 'rack-w',
        queued: 1,
        sessionsLastHour: 3,
        currentSession: null,
      }),
    ]);
    expect(status.devices[0].utilisation).toBeGreaterThan(0.4);
    expect(status.devices[0].utilisation).toBeLessThanOrEqual(1);
    expect(status.lastHour).toEqual({ success: 2, device_lost: 1 });

    const none = await get('/api/v1/warming/status?host=nowhere&next=0');
    expect(none.json()).toMatchObject({ devices: [], next: [], dueAccounts: 2 });
  });
});

describe('warming sessions', () => {
  it('are listed newest first in keyset pages, by account, device and time', async () => {
    const phone = await factories.device(t.pool, { name: 'history-phone', udid: 'history-udid' });
    const account = await factories.account(t.pool, { username: 'history_user', platform: 'instagram' });
    const other = await factories.account(t.pool, { username: 'other_history' });
    const started: Date[] = [];
    for (let i = 0; i < 5; i++) {
      const at = new Date(Date.UTC(2026, 0, 10, 8, 0, 0) + i * HOUR);
      started.push(at);
      await factories.warmingSession(t.pool, {
        account_id: account.id,
        device_id: phone.id,
        platform: 'instagram',
        warming_phase: 2,
        warming_day: i,
        started_at: at,
        completed_at: new Date(at.getTime() + 600_000),
        session_data: JSON.stringify({ outcome: i === 2 ? 'timeout' : 'success', videos_watched: i }),
      });
    }
    // Two sessions starting in the same microsecond: the id breaks the tie, none is lost between pages.
    const tie = new Date(Date.UTC(2026, 0, 9, 8));
    for (let i = 0; i < 2; i++) {
      await factories.warmingSession(t.pool, {
        account_id: account.id,
        device_id: phone.id,
        started_at: tie,
      });
    }
    await factories.warmingSession(t.pool, { account_id: other.id, started_at: tie });

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await get(
        `/api/v1/warming/sessions?account=instagram:history_user&limit=2${after ? `&after=${after}` : ''}`,
      );
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().sessions.map((s: { id: string }) => s.id));
      after = page.json().nextCursor;
      pages++;
    } while (after);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(7);

    const first = (await get('/api/v1/warming/sessions?account=history_user&limit=1')).json();
    expect(first.sessions[0]).toMatchObject({
      accountId: account.id,
      username: 'history_user',
      platform: 'instagram',
      deviceId: phone.id,
      deviceName: 'history-phone',
      phase: 2,
      day: 4,
      startedAt: started[4]!.toISOString(),
      outcome: 'success',
      data: { outcome: 'success', videos_watched: 4 },
    });

    const byDevice = await get('/api/v1/warming/sessions?device=history-udid&limit=100');
    expect(byDevice.json().sessions).toHaveLength(7);
    const window = await get(
      `/api/v1/warming/sessions?device=history-phone&since=${started[1]!.toISOString()}&until=${started[3]!.toISOString()}`,
    );
    expect(window.json().sessions.map((s: { outcome: string; day: number }) => [s.day, s.outcome])).toEqual([
      [2, 'timeout'],
      [1, 'success'],
    ]);
  });

  it('refuse bad filters with a 400 naming them, and unknown accounts or devices with a 404', async () => {
    const bad = await get('/api/v1/warming/sessions?since=yesterday&limit=0&colour=red');
    expect(bad.statusCode).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['querystring.colour', 'querystring.limit', 'querystring.since']);
    const cursor = await get('/api/v1/warming/sessions?after=bm9wZQ');
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().error.field).toBe('after');
    const backwards = await get('/api/v1/warming/sessions?since=1h&until=2h');
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.field).toBe('until');
    expect((await get('/api/v1/warming/sessions?account=nobody_here')).statusCode).toBe(404);
    expect((await get('/api/v1/warming/sessions?device=no-phone')).statusCode).toBe(404);
    expect((await get('/api/v1/warming/status?next=1001')).statusCode).toBe(400);
  });
});

describe('warming access', () => {
  it('wants a token; a read-only one reads everything', async () => {
    for (const url of ['/api/v1/warming/policy', '/api/v1/warming/status', '/api/v1/warming/sessions']) {
      const anonymous = await api.app.inject({ url });
      expect(anonymous.statusCode, url).toBe(401);
      expect((await get(url, api.reader.secret)).statusCode, url).toBe(200);
    }
  });
});
