// Every route in the OpenAPI document, called by a signed-in user of every role (session cookie and CSRF
// token, as the dashboard calls it): a role below the one the document names gets 403, every other role a
// success (200, 201, 202, 204 or 206). Each call gets fresh rows to act on, so a
// delete or a state change by one role leaves the next role something to do. A route added without a sample
// here fails the first test: the walk covers the whole document or nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { roles, type Role } from '../../src/auth/roles.ts';
import { listPipelineSink } from '../helpers/content.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { configWithHome } from './domain-app.ts';
import { startTestApp, type TestApp } from './helpers.ts';
import { signedInUser, signedInUsers, type SignedIn } from './role-tokens.ts';
import { createToken } from '../../src/auth/tokens-service.ts';
import { startConnect } from '../../src/connections/connections-service.ts';

const extra = vi.hoisted(() => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('./domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
let api: TestApp;
let home: string;
let mediaDir: string;
let users: Record<Role, SignedIn>;

interface Operation {
  'x-sovi-role'?: Role;
  'x-sovi-action'?: string;
  security?: unknown[];
}

interface Sample {
  /** The path with its parameters filled in, and a query string if any. */
  url: string;
  body?: unknown;
  /** Another caller of the same role, when the call would end the shared one's session. */
  as?: SignedIn;
}

/** Connecting needs an app and a public URL configured; nothing here calls the platform. */
const connectorEnv = {
  SOVI_PUBLIC_URL: 'http://sovi.test',
  SOVI_TIKTOK_CLIENT_KEY: 'walk-client-key',
  SOVI_TIKTOK_CLIENT_SECRET: 'walk-client-secret',
};

let seq = 0;
const unique = (prefix: string) => `${prefix}_${process.pid}_${++seq}`;
const niche = async () =>
  (await t.pool.query<{ id: string; slug: string }>(`SELECT id, slug FROM niches WHERE slug = 'motivation'`))
    .rows[0]!;
const account = async () => {
  const row = await factories.account(t.pool, { username: unique('walk') });
  return { id: String(row.id), ref: `tiktok:${String(row.username)}` };
};
const device = async () => String((await factories.device(t.pool)).name);
const content = async (values: Record<string, unknown> = {}) =>
  String((await factories.content(t.pool, { niche_id: (await niche()).id, ...values })).id);
const event = async () => Number((await factories.event(t.pool, { severity: 'error' })).id);
/** A proposal of the triage agent waiting for a decision (nothing to run: accepting resolves its event). */
const proposal = async () => {
  const { rows } = await t.pool.query<{ id: number }>(
    `INSERT INTO agent_triage (event_id, fingerprint, agent, mode, status, summary)
     VALUES ($1, 'walk', 'llm_agent:triage (sovi)', 'propose', 'proposed', 'nothing to run') RETURNING id`,
    [await event()],
  );
  return rows[0]!.id;
};
const trend = async () => {
  const { rows } = await t.pool.query<{ id: string }>(
    `INSERT INTO trending_topics (topic, source, niche_id) VALUES ($1, 'manual', $2) RETURNING id`,
    [unique('Walked topic'), (await niche()).id],
  );
  return rows[0]!.id;
};
const postedDistribution = async () =>
  String(
    (
      await factories.distribution(t.pool, {
        status: 'posted',
        posted_at: new Date(),
        platform_post_id: unique('post'),
      })
    ).id,
  );

/** Content awaiting review, with one post awaiting a decision; its id. */
const awaitingReview = async () => {
  const id = await content({ production_status: 'distributing', review_state: 'awaiting' });
  await factories.distribution(t.pool, {
    content_id: id,
    review: 'awaiting',
    scheduled_at: new Date(Date.now() + 3_600_000),
  });
  return id;
};
const pendingDistribution = async (values: Record<string, unknown> = {}) =>
  String(
    (await factories.distribution(t.pool, { scheduled_at: new Date(Date.now() + 3_600_000), ...values })).id,
  );
const scheduleBody = { timeZone: 'Europe/Berlin', windows: ['09:00', '18:30'] };
const withSchedule = async (column: 'niche_id' | 'account_id', id: string) => {
  await t.pool.query(
    `INSERT INTO posting_schedules (${column}, time_zone, windows, max_per_day) VALUES ($1, 'UTC', '{09:00}', 1)
     ON CONFLICT (${column}) DO NOTHING`,
    [id],
  );
};

/** A valid request for each operation, keyed as the document spells it. */
const samples: Record<string, (role: Role) => Promise<Sample>> = {
  'GET /api/v1/session': async () => ({ url: '/api/v1/session' }),
  'GET /api/v1/settings': async () => ({ url: '/api/v1/settings' }),
  'GET /api/v1/overview': async () => ({ url: '/api/v1/overview' }),
  'GET /api/v1/audit': async () => ({ url: '/api/v1/audit?since=1h' }),

  'POST /api/v1/accounts/{id}/connect': async () => ({
    url: `/api/v1/accounts/${(await account()).id}/connect`,
  }),
  'GET /api/v1/connections': async () => ({ url: '/api/v1/connections' }),
  'GET /api/v1/connections/requests/{connectId}': async (role) => {
    // A request of this very user (one only its starter may read), made through the service.
    const started = await startConnect(
      { db: t.db, vault: api.vault, settings: api.config.connectors },
      (await account()).id,
      { actor: `user:${users[role].name}`, userId: users[role].userId },
    );
    return { url: `/api/v1/connections/requests/${started.connectId}` };
  },

  'GET /api/v1/niches': async () => ({ url: '/api/v1/niches' }),
  'GET /api/v1/niches/{ref}': async () => ({ url: '/api/v1/niches/motivation' }),
  'POST /api/v1/niches': async () => {
    const slug = unique('walk').toLowerCase();
    return { url: '/api/v1/niches', body: { name: `Walk ${slug}`, slug } };
  },
  'PATCH /api/v1/niches/{ref}': async () => ({ url: '/api/v1/niches/motivation', body: { tier: '2' } }),

  'GET /api/v1/devices': async () => ({ url: '/api/v1/devices' }),
  'GET /api/v1/devices/{ref}': async () => ({ url: `/api/v1/devices/${await device()}` }),
  'POST /api/v1/devices': async () => ({
    url: '/api/v1/devices',
    body: { name: unique('walk-phone'), udid: unique('walk-udid') },
  }),
  'PATCH /api/v1/devices/{ref}': async () => ({
    url: `/api/v1/devices/${await device()}`,
    body: { model: 'iPhone 15' },
  }),
  'DELETE /api/v1/devices/{ref}': async () => ({ url: `/api/v1/devices/${await device()}` }),

  'GET /api/v1/accounts': async () => ({ url: '/api/v1/accounts' }),
  'GET /api/v1/accounts/{ref}': async () => ({ url: `/api/v1/accounts/${(await account()).ref}` }),
  'POST /api/v1/accounts': async () => ({
    url: '/api/v1/accounts',
    body: { platform: 'tiktok', username: unique('walk_new'), secrets: { password: 'walk-password' } },
  }),
  'PATCH /api/v1/accounts/{ref}': async () => ({
    url: `/api/v1/accounts/${(await account()).ref}`,
    body: { bio: 'walked' },
  }),
  'DELETE /api/v1/accounts/{ref}': async () => ({ url: `/api/v1/accounts/${(await account()).ref}` }),
  'POST /api/v1/accounts/{ref}/restore': async () => {
    const { id, ref } = await account();
    const deleted = await api.call('DELETE', `/api/v1/accounts/${ref}`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    return { url: `/api/v1/accounts/${id}/restore` };
  },
  'POST /api/v1/accounts/{ref}/state': async () => ({
    url: `/api/v1/accounts/${(await account()).ref}/state`,
    body: { state: 'warming_p1', reason: 'the walk' },
  }),
  'POST /api/v1/accounts/{ref}/reveal': async () => ({
    url: `/api/v1/accounts/${(await addedAccount()).ref}/reveal`,
  }),
  'POST /api/v1/accounts/{ref}/totp': async () => ({
    url: `/api/v1/accounts/${(await addedAccount({ totp_secret: 'JBSWY3DPEHPK3PXP' })).ref}/totp`,
  }),

  'GET /api/v1/events': async () => ({ url: '/api/v1/events' }),
  'GET /api/v1/events/{id}': async () => ({ url: `/api/v1/events/${await event()}` }),
  'POST /api/v1/events/{id}/resolve': async () => ({
    url: `/api/v1/events/${await event()}/resolve`,
    body: { by: 'human', note: 'walked' },
  }),

  'GET /api/v1/warming/policy': async () => ({ url: '/api/v1/warming/policy' }),
  'GET /api/v1/warming/status': async () => ({ url: '/api/v1/warming/status' }),
  'GET /api/v1/warming/sessions': async () => ({ url: '/api/v1/warming/sessions' }),

  'GET /api/v1/hooks': async () => ({ url: '/api/v1/hooks' }),
  'GET /api/v1/hooks/leaderboard': async () => ({ url: '/api/v1/hooks/leaderboard' }),
  'GET /api/v1/hooks/{id}': async () => ({
    url: `/api/v1/hooks/${String((await factories.hook(t.pool)).id)}`,
  }),
  'POST /api/v1/hooks': async () => ({
    url: '/api/v1/hooks',
    body: { category: 'curiosity_gap', template: `Nobody tells you this about {topic} ${++seq}` },
  }),

  'GET /api/v1/content': async () => ({ url: '/api/v1/content' }),
  'GET /api/v1/content/status': async () => ({ url: '/api/v1/content/status' }),
  'GET /api/v1/content/{id}': async () => ({ url: `/api/v1/content/${await content()}` }),
  'GET /api/v1/content/{id}/video': async () => {
    const id = await content();
    const file = path.join(mediaDir, id, 'video.mp4');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'walked video');
    await t.pool.query('UPDATE content SET output_path = $1 WHERE id = $2', [file, id]);
    return { url: `/api/v1/content/${id}/video` };
  },
  'POST /api/v1/content': async () => ({
    url: '/api/v1/content',
    body: { topic: unique('walked topic'), niche: 'motivation' },
  }),
  'POST /api/v1/content/{id}/produce': async () => ({ url: `/api/v1/content/${await content()}/produce` }),
  'POST /api/v1/content/{id}/retry': async () => ({
    url: `/api/v1/content/${await content({
      production_status: 'failed',
      asset_manifest: JSON.stringify({
        failure: { stage: 'assembling', reason: 'x', at: '2026-01-01T00:00:00Z' },
      }),
    })}/retry`,
  }),

  'GET /api/v1/content/review': async () => ({ url: '/api/v1/content/review' }),
  'POST /api/v1/content/{id}/approve': async () => ({
    url: `/api/v1/content/${await awaitingReview()}/approve`,
  }),
  'POST /api/v1/content/{id}/reject': async () => ({
    url: `/api/v1/content/${await awaitingReview()}/reject`,
    body: { reason: 'off brand' },
  }),

  'GET /api/v1/calendar': async () => ({ url: '/api/v1/calendar?from=1d' }),
  'GET /api/v1/niches/{ref}/posting-schedule': async () => ({
    url: '/api/v1/niches/motivation/posting-schedule',
  }),
  'PUT /api/v1/niches/{ref}/posting-schedule': async () => ({
    url: '/api/v1/niches/motivation/posting-schedule',
    body: scheduleBody,
  }),
  'DELETE /api/v1/niches/{ref}/posting-schedule': async () => {
    await withSchedule('niche_id', (await niche()).id);
    return { url: '/api/v1/niches/motivation/posting-schedule' };
  },
  'GET /api/v1/accounts/{ref}/posting-schedule': async () => ({
    url: `/api/v1/accounts/${(await account()).ref}/posting-schedule`,
  }),
  'PUT /api/v1/accounts/{ref}/posting-schedule': async () => ({
    url: `/api/v1/accounts/${(await account()).ref}/posting-schedule`,
    body: scheduleBody,
  }),
  'DELETE /api/v1/accounts/{ref}/posting-schedule': async () => {
    const a = await account();
    await withSchedule('account_id', a.id);
    return { url: `/api/v1/accounts/${a.ref}/posting-schedule` };
  },

  'GET /api/v1/distributions': async () => ({ url: '/api/v1/distributions' }),
  'GET /api/v1/distributions/{id}': async () => ({
    url: `/api/v1/distributions/${await pendingDistribution()}`,
  }),
  'POST /api/v1/distributions/{id}/reschedule': async () => ({
    url: `/api/v1/distributions/${await pendingDistribution()}/reschedule`,
    body: { at: new Date(Date.now() + 7_200_000).toISOString() },
  }),
  'POST /api/v1/distributions/{id}/cancel': async () => ({
    url: `/api/v1/distributions/${await pendingDistribution()}/cancel`,
  }),
  'POST /api/v1/distributions/{id}/retry': async () => ({
    url: `/api/v1/distributions/${await pendingDistribution({ status: 'failed' })}/retry`,
  }),
  'PATCH /api/v1/distributions/{id}': async () => ({
    url: `/api/v1/distributions/${await pendingDistribution()}`,
    body: { caption: 'walked caption' },
  }),
  'POST /api/v1/distributions/{id}/removed': async () => ({
    url: `/api/v1/distributions/${await postedDistribution()}/removed`,
    body: { reason: 'the walk' },
  }),

  'GET /api/v1/metrics/status': async () => ({ url: '/api/v1/metrics/status' }),
  'GET /api/v1/metrics/top': async () => ({ url: '/api/v1/metrics/top' }),
  'GET /api/v1/metrics/accounts/{ref}/hourly': async () => ({
    url: `/api/v1/metrics/accounts/${(await account()).ref}/hourly`,
  }),
  'GET /api/v1/metrics/niches/{ref}/daily': async () => ({ url: '/api/v1/metrics/niches/motivation/daily' }),
  'POST /api/v1/metrics/snapshots': async () => {
    const id = await postedDistribution();
    return {
      url: '/api/v1/metrics/snapshots',
      body: {
        snapshots: [{ time: new Date(Date.now() - 60_000).toISOString(), distribution_id: id, views: 10 }],
      },
    };
  },

  'GET /api/v1/trends': async () => ({ url: '/api/v1/trends' }),
  'GET /api/v1/trends/{id}': async () => ({ url: `/api/v1/trends/${await trend()}` }),
  'POST /api/v1/trends/import': async () => ({
    url: '/api/v1/trends/import',
    body: [{ topic: unique('Imported topic'), niche: 'motivation', source: 'manual' }],
  }),
  'POST /api/v1/trends/{id}/content': async () => ({ url: `/api/v1/trends/${await trend()}/content` }),

  'GET /api/v1/content/formats': async () => ({ url: '/api/v1/content/formats' }),
  'POST /api/v1/content/{id}/archive': async () => ({
    url: `/api/v1/content/${await content({ production_status: 'complete' })}/archive`,
  }),
  'POST /api/v1/content/{id}/restore': async () => ({
    url: `/api/v1/content/${await content({ production_status: 'complete', archived_at: new Date() })}/restore`,
  }),
  'GET /api/v1/events/types': async () => ({ url: '/api/v1/events/types' }),
  'GET /api/v1/events/{id}/triage': async () => ({ url: `/api/v1/events/${await event()}/triage` }),
  'POST /api/v1/events/proposals/{id}/accept': async () => ({
    url: `/api/v1/events/proposals/${await proposal()}/accept`,
    body: { note: 'walked' },
  }),
  'POST /api/v1/events/proposals/{id}/reject': async () => ({
    url: `/api/v1/events/proposals/${await proposal()}/reject`,
  }),
  'POST /api/v1/events/resolve': async () => ({
    url: '/api/v1/events/resolve',
    body: { ids: [await event(), await event()], by: 'human', note: 'walked in bulk' },
  }),
  'GET /api/v1/metrics/posts': async () => ({ url: '/api/v1/metrics/posts' }),
  'GET /api/v1/metrics/compare': async () => ({
    url: `/api/v1/metrics/compare?kind=accounts&refs=${(await account()).ref},${(await account()).ref}`,
  }),
  'PATCH /api/v1/hooks/{id}': async () => ({
    url: `/api/v1/hooks/${String((await factories.hook(t.pool)).id)}`,
    body: { retired: true },
  }),
  'POST /api/v1/hooks/import': async () => ({
    url: '/api/v1/hooks/import',
    body: {
      csv: `category,template\ncuriosity_gap,Nobody tells you this about {topic} (${unique('walk')})\n`,
    },
  }),
  'POST /api/v1/accounts/import-preview': async () => ({
    url: '/api/v1/accounts/import-preview',
    body: { csv: `platform,username\ntiktok,${unique('walk_csv')}\n` },
  }),
  'POST /api/v1/accounts/import': async () => ({
    url: '/api/v1/accounts/import',
    body: { csv: `platform,username\ntiktok,${unique('walk_csv')}\n` },
  }),
  'POST /api/v1/accounts/bulk-state': async () => ({
    url: '/api/v1/accounts/bulk-state',
    body: { accounts: [(await account()).id, (await account()).id], state: 'warming_p1', reason: 'the walk' },
  }),
  'POST /api/v1/accounts/bulk-move': async () => ({
    url: '/api/v1/accounts/bulk-move',
    body: { accounts: [(await account()).id], device: await device() },
  }),
  'POST /api/v1/devices/{ref}/check': async () => {
    // In maintenance the check leaves the phone alone and says so: no WebDriverAgent needed.
    const name = String(
      (await factories.device(t.pool, { host: 'api-test-host', status: 'maintenance' })).name,
    );
    return { url: `/api/v1/devices/${name}/check` };
  },
  'POST /api/v1/session/password': async (role) => {
    // Changing a password ends the caller's other sessions: a caller of its own.
    const caller = await signedInUser(t, api, role);
    return {
      url: '/api/v1/session/password',
      body: { current: caller.password, new: `${caller.password} and more` },
      as: caller,
    };
  },
  'GET /api/v1/tokens': async () => ({ url: '/api/v1/tokens' }),
  'POST /api/v1/tokens': async () => ({ url: '/api/v1/tokens', body: { name: unique('walk-token') } }),
  'DELETE /api/v1/tokens/{ref}': async (role) => {
    const { token } = await createToken(
      t.db,
      { name: unique('walk-token'), userId: users[role].userId },
      'test',
    );
    return { url: `/api/v1/tokens/${token.id}` };
  },
  'GET /api/v1/users': async () => ({ url: '/api/v1/users' }),
  'GET /api/v1/users/{ref}': async () => ({ url: `/api/v1/users/${await someone()}` }),
  'POST /api/v1/users': async () => ({
    url: '/api/v1/users',
    body: { name: unique('walk-user'), role: 'viewer', password: 'a long enough password' },
  }),
  'PATCH /api/v1/users/{ref}': async () => ({
    url: `/api/v1/users/${await someone()}`,
    body: { role: 'reviewer' },
  }),
  'POST /api/v1/users/{ref}/disable': async () => ({ url: `/api/v1/users/${await someone()}/disable` }),
  'POST /api/v1/users/{ref}/enable': async () => {
    const name = await someone();
    await t.pool.query('UPDATE users SET disabled_at = now() WHERE name = $1', [name]);
    return { url: `/api/v1/users/${name}/enable` };
  },
  'POST /api/v1/users/{ref}/password': async () => ({
    url: `/api/v1/users/${await someone()}/password`,
    body: { password: 'another long password' },
  }),

  'GET /api/v1/notifications/channels': async () => ({ url: '/api/v1/notifications/channels' }),
  'GET /api/v1/notifications/channels/{id}': async () => ({
    url: `/api/v1/notifications/channels/${await notificationChannel()}`,
  }),
  'POST /api/v1/notifications/channels': async () => ({
    url: '/api/v1/notifications/channels',
    body: { name: unique('walk-channel'), kind: 'webhook', url: 'http://127.0.0.1:9/walk' },
  }),
  'PATCH /api/v1/notifications/channels/{id}': async () => ({
    url: `/api/v1/notifications/channels/${await notificationChannel()}`,
    body: { enabled: false },
  }),
  'DELETE /api/v1/notifications/channels/{id}': async () => ({
    url: `/api/v1/notifications/channels/${await notificationChannel()}`,
  }),
  'POST /api/v1/notifications/channels/{id}/test': async () => ({
    url: `/api/v1/notifications/channels/${await notificationChannel()}/test`,
  }),
  'GET /api/v1/notifications/rules': async () => ({ url: '/api/v1/notifications/rules' }),
  'POST /api/v1/notifications/rules': async () => ({
    url: '/api/v1/notifications/rules',
    body: { channel: await notificationChannel(), minSeverity: 'critical', categories: ['device'] },
  }),
  'DELETE /api/v1/notifications/rules/{id}': async () => ({
    url: `/api/v1/notifications/rules/${await notificationRule()}`,
  }),
  'GET /api/v1/notifications/deliveries': async () => ({ url: '/api/v1/notifications/deliveries' }),
};

/** A Slack channel added through the API (its URL sealed by the app's vault), posting to a closed port. */
async function notificationChannel(): Promise<string> {
  const response = await api.call('POST', '/api/v1/notifications/channels', {
    name: unique('walk-channel'),
    kind: 'slack',
    url: 'http://127.0.0.1:9/walk',
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ channel: { id: string } }>().channel.id;
}

async function notificationRule(): Promise<string> {
  const response = await api.call('POST', '/api/v1/notifications/rules', {
    channel: await notificationChannel(),
    minSeverity: 'error',
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

/** A user to act on. */
async function someone(): Promise<string> {
  // A copy of the viewer's row: hashing a password per call (scrypt, on purpose slow) would dominate the walk.
  const name = unique('walk-someone');
  await t.pool.query(
    `INSERT INTO users (name, password_hash, role) SELECT $1, password_hash, 'viewer' FROM users WHERE name = $2`,
    [name, users.viewer.name],
  );
  return name;
}

/** An account added through the API, so that its secrets are sealed by the app's vault. */
async function addedAccount(secretValues: Record<string, string> = {}) {
  const username = unique('walk_secret');
  const response = await api.call('POST', '/api/v1/accounts', {
    platform: 'tiktok',
    username,
    secrets: { password: 'walk-password', ...secretValues },
  });
  expect(response.statusCode, response.body).toBe(201);
  return { ref: `tiktok:${username}` };
}

const operations: { key: string; method: string; role: Role }[] = [];

beforeAll(async () => {
  const configured = await configWithHome(connectorEnv);
  home = configured.home;
  mediaDir = configured.mediaDir;
  extra.deps = { config: configured.config, contentSink: listPipelineSink() };
  api = await startTestApp(t, {
    api: { signInAttemptsPerMinute: 1e9, authFailuresPerMinute: 1e9 },
    env: connectorEnv,
  });
  users = await signedInUsers(t, api);
  const document = (await api.app.inject({ url: '/api/openapi.json' })).json<{
    paths: Record<string, Record<string, Operation>>;
  }>();
  for (const [url, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!url.startsWith('/api/v1/')) continue;
      const key = `${method.toUpperCase()} ${url}`;
      if (operation.security?.length === 0) continue; // public: sign-in and sign-out
      if (url.endsWith('/stream')) continue; // streams: walked in live-streams.test.ts
      const role = operation['x-sovi-role'];
      if (role === undefined) throw new Error(`${key} names no role in the OpenAPI document`);
      operations.push({ key, method: method.toUpperCase(), role });
    }
  }
});
afterAll(async () => {
  await api?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('every route, every role', () => {
  it('has a sample request for every operation in the document, and none for a gone one', () => {
    expect(operations.length).toBeGreaterThan(40);
    const documented = operations.map((o) => o.key).sort();
    expect(Object.keys(samples).sort()).toEqual(documented);
  });

  it('answers each role as the document says: 403 below the named role, a success from it up', async () => {
    const outcomes: string[] = [];
    for (const { key, method, role: needed } of operations) {
      for (const role of roles) {
        const sample = await samples[key]!(role);
        const response = await api.app.inject({
          method: method as 'GET',
          url: sample.url,
          headers: (sample.as ?? users[role]).headers,
          ...(sample.body === undefined ? {} : { payload: sample.body as object }),
        });
        const allowed = roles.indexOf(role) >= roles.indexOf(needed);
        const ok = allowed
          ? response.statusCode >= 200 && response.statusCode < 300
          : response.statusCode === 403 && response.body.includes(`needs the ${needed} role`);
        if (!ok) {
          outcomes.push(
            `${key} as ${role} (needs ${needed}): ${response.statusCode} ${response.body.slice(0, 200)}`,
          );
        }
      }
    }
    expect(outcomes).toEqual([]);
  }, 600_000);
});
