// No client mistake is a 500: for every write route, a few hundred generated bodies a run (FUZZ_RUNS for more;
// test/helpers/fuzz.ts): anything at all, and near-valid bodies whose fields now and then hold odd values,
// against the real database. Each must be answered below 500, and enough of them must get past validation to
// exercise the services.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryTotpSecret } from '../helpers/canary.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { fuzzRuns } from '../helpers/fuzz.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const RUNS = fuzzRuns(300);
const t = useTestDatabase();
let api: TestApp;
let eventId: number;
beforeAll(async () => {
  // No rate limit gets in the way of thousands of sign-ins.
  api = await startTestApp(t, { api: { signInAttemptsPerMinute: 1e9, authFailuresPerMinute: 1e9 } });
  await factories.device(t.pool, { name: 'fuzz-phone', udid: 'fuzz-udid' });
  for (const username of ['fuzz_a', 'fuzz_b']) {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      headers: bearer(api.admin.secret),
      payload: { platform: 'tiktok', username, secrets: { totp_secret: canaryTotpSecret(), password: 'p' } },
    });
    expect(response.statusCode).toBe(201);
  }
  for (const [i, id] of accountIds.entries()) {
    await factories.account(t.pool, {
      id,
      username: `fuzz_id_${i}`,
      platform: i % 2 ? 'tiktok' : 'instagram',
    });
  }
  eventId = Number((await factories.event(t.pool, { severity: 'error' })).id);
});
afterAll(() => api.close());

// Odd values: the kinds of thing clients send by mistake, and things a database chokes on.
const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '💥',
    'x'.repeat(5000),
    '1e309',
    'null',
    "'; DROP TABLE accounts; --",
  ),
);
const odd = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, Number.MAX_VALUE, -0),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
/** Free text: strings of every kind, now and then not a string at all. */
const text = fc.oneof({ weight: 15, arbitrary: oddString }, { weight: 1, arbitrary: odd });
/** A field's plausible values, and now and then an odd one: most bodies get past validation. */
const field = (...plausible: unknown[]) =>
  fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...plausible) }, { weight: 1, arbitrary: odd });

const anything = fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true });

/** Bodies for a route: anything, or records of its fields (any subset, plus an unknown one now and then). */
function bodies(fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) {
  return fc.oneof(
    { weight: 1, arbitrary: anything },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((text) => ({ raw: text })) },
    { weight: 6, arbitrary: fc.record(fields, { requiredKeys: required }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.record(fields, { requiredKeys: required }), fc.string({ maxLength: 8 }), odd)
        .map(([body, key, value]) => ({ ...body, [key]: value })),
    },
  );
}

const platform = field('tiktok', 'instagram');
const state = field('created', 'warming_p1', 'active', 'cooldown', 'banned', 'flagged');
const username = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.]{1,30}$/) },
  { weight: 1, arbitrary: odd },
);
const secretFields = fc.record(
  {
    email: field('a@b.c', ''),
    password: field('pw'),
    totp_secret: field('JBSWY3DPEHPK3PXPJBSWY3DP', 'not base32'),
    proxy_credentials: field('u:p@h:1'),
  },
  { requiredKeys: [] },
);
// Accounts made for the runs, by name and (for restore, which finds deleted accounts by id only) by id.
const accountIds = [1, 2, 3, 4].map((i) => `00000000-0000-4000-8000-00000000000${i}`);
const accountRef = field(
  ...accountIds,
  'fuzz_a',
  'fuzz_b',
  'tiktok:fuzz_a',
  'instagram:fuzz_a',
  'a:b:c',
  '00000000-0000-0000-0000-000000000000',
);
const deviceRef = field('fuzz-phone', 'fuzz-udid', 'nope');

interface WriteRoute {
  method: 'POST' | 'PATCH' | 'DELETE';
  url: fc.Arbitrary<string>;
  body: fc.Arbitrary<unknown>;
  auth?: boolean;
}

/** Any value as a URL path or query segment. */
function segment(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  return encodeURIComponent(text.toWellFormed());
}

const path = (template: string, ref: fc.Arbitrary<unknown>) =>
  ref.map((value) => template.replace(':ref', segment(value)));

const routes: Record<string, WriteRoute> = {
  'POST /session': {
    method: 'POST',
    url: fc.constant('/api/v1/session'),
    body: bodies(
      {
        token: fc.oneof(
          field('sovi_x', `sovi_${'a'.repeat(43)}`),
          // The real token, read when the run starts.
          fc.constant(0).map(() => api.admin.secret),
        ),
      },
      ['token'],
    ),
    auth: false,
  },
  'DELETE /session': { method: 'DELETE', url: fc.constant('/api/v1/session'), body: bodies({}), auth: false },
  'POST /devices': {
    method: 'POST',
    url: fc.constant('/api/v1/devices'),
    body: bodies(
      {
        name: fc.oneof(
          { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,20}$/) },
          { weight: 1, arbitrary: odd },
        ),
        udid: fc.oneof(
          { weight: 6, arbitrary: fc.stringMatching(/^[A-F0-9-]{1,40}$/) },
          { weight: 1, arbitrary: odd },
        ),
        host: field('rack', 'bad host!'),
        model: field('iPhone', null),
        iosVersion: field('17.5', null),
        wdaPort: field(8100, 0, 65536, null),
        status: field('active', 'maintenance', 'failed', 'disconnected'),
      },
      ['name', 'udid'],
    ),
  },
  'PATCH /devices/:ref': {
    method: 'PATCH',
    url: path('/api/v1/devices/:ref', deviceRef),
    body: bodies({
      name: field('fuzz-phone', 'fuzz-renamed'),
      host: field('rack'),
      model: field('iPhone', null),
      iosVersion: field('17', null),
      wdaPort: field(8100, null),
      status: field('active', 'maintenance'),
      batteryLevel: field(0, 50, 100, 101, null),
      storageFreeGb: field(0, 1.5, null),
    }),
  },
  'DELETE /devices/:ref': {
    method: 'DELETE',
    url: fc
      .tuple(deviceRef, field('true', 'false', 'yes'))
      .map(([ref, force]) => `/api/v1/devices/${segment(ref)}?force=${segment(force)}`),
    body: bodies({}),
  },
  'POST /accounts': {
    method: 'POST',
    url: fc.constant('/api/v1/accounts'),
    body: bodies(
      {
        platform,
        username,
        niche: field('motivation', 'nope', '00000000-0000-0000-0000-000000000000'),
        device: deviceRef,
        state,
        bio: text,
        profilePicUrl: text,
        followers: field(0, 10),
        following: field(0, 10),
        secrets: fc.oneof({ weight: 6, arbitrary: secretFields }, { weight: 1, arbitrary: odd }),
      },
      ['platform', 'username'],
    ),
  },
  'PATCH /accounts/:ref': {
    method: 'PATCH',
    url: path('/api/v1/accounts/:ref', accountRef),
    body: bodies({
      username,
      niche: field('motivation', null),
      device: fc.oneof(deviceRef, fc.constant(null)),
      bio: text,
      profilePicUrl: text,
      followers: field(0, 5),
      following: field(0, 5),
      secrets: fc.oneof({ weight: 6, arbitrary: secretFields }, { weight: 1, arbitrary: odd }),
    }),
  },
  'DELETE /accounts/:ref': {
    method: 'DELETE',
    url: fc
      .tuple(accountRef, oddString)
      .map(([ref, reason]) => `/api/v1/accounts/${segment(ref)}?reason=${segment(reason)}`),
    body: bodies({}),
  },
  'POST /accounts/:ref/restore': {
    method: 'POST',
    url: path('/api/v1/accounts/:ref/restore', accountRef),
    body: fc.oneof(bodies({}), fc.constant(undefined)),
  },
  'POST /accounts/:ref/state': {
    method: 'POST',
    url: path('/api/v1/accounts/:ref/state', accountRef),
    body: bodies({ state, reason: field('because', ''), from: state }, ['state', 'reason']),
  },
  'POST /accounts/:ref/reveal': {
    method: 'POST',
    url: path('/api/v1/accounts/:ref/reveal', accountRef),
    body: fc.oneof(
      bodies({
        fields: fc.oneof(fc.array(field('email', 'password', 'totp_secret', 'proxy_credentials')), odd),
      }),
      fc.constant(undefined),
    ),
  },
  'POST /accounts/:ref/totp': {
    method: 'POST',
    url: path('/api/v1/accounts/:ref/totp', accountRef),
    body: fc.oneof(bodies({}), fc.constant(undefined)),
  },
  'POST /events/:id/resolve': {
    method: 'POST',
    url: fc
      .oneof(fc.constant(0), fc.integer({ min: -5, max: 10 }), odd)
      .map((id) => `/api/v1/events/${segment(id === 0 ? eventId : id)}/resolve`),
    body: bodies({ by: field('human', 'llm_agent', 'auto', 'robot'), note: text }, ['by']),
  },
};

describe('no generated body is answered with a 5xx', () => {
  for (const [name, route] of Object.entries(routes)) {
    it(
      name,
      async () => {
        const failures: string[] = [];
        const statuses: Record<number, number> = {};
        await fc.assert(
          fc.asyncProperty(route.url, route.body, async (url, body) => {
            const raw =
              body !== null && typeof body === 'object' && 'raw' in body ? String(body.raw) : undefined;
            const response = await api.app.inject({
              method: route.method,
              url,
              headers: {
                ...(route.auth === false ? {} : bearer(api.admin.secret)),
                ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              },
              ...(body === undefined ? {} : { payload: raw ?? JSON.stringify(body) }),
            });
            statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
            if (response.statusCode >= 500) {
              failures.push(
                `${route.method} ${url} ${JSON.stringify(body)?.slice(0, 300)} → ${response.statusCode} ${response.body}`,
              );
            }
            return response.statusCode < 500;
          }),
          { numRuns: RUNS },
        );
        expect(failures).toEqual([]);
        // The runs reach past validation into the services and the database, not just the 400 path.
        const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
        expect(answered - (statuses[400] ?? 0), JSON.stringify(statuses)).toBeGreaterThanOrEqual(RUNS / 10);
      },
      180_000,
    );
  }

  it('left nothing for the server to log as a failure', () => {
    expect(api.log()).not.toMatch(/"level":50/);
  });
});
