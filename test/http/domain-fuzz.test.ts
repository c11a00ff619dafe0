// No client mistake is a 500, for the domain routes too: for every write route of hooks, content,
// distributions, metrics and trends, a few hundred generated bodies a run (FUZZ_RUNS for more;
// test/helpers/fuzz.ts): anything at all, and near-valid bodies whose fields now and then hold odd values,
// against the real database, through an app with a job sink and a media folder, so that valid bodies reach
// the services. Each must be answered below 500, and enough must get past validation to exercise the services.
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listPipelineSink } from '../helpers/content.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { fuzzRuns } from '../helpers/fuzz.ts';
import { configWithHome } from './domain-app.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const extra = vi.hoisted(() => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('./domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const RUNS = fuzzRuns(300);
const t = useTestDatabase();
let api: TestApp;
let home: string;
const ids = {
  content: [] as string[],
  distributions: [] as string[],
  trends: [] as string[],
  hooks: [] as string[],
};

beforeAll(async () => {
  const configured = await configWithHome();
  home = configured.home;
  extra.deps = { config: configured.config, contentSink: listPipelineSink() };
  api = await startTestApp(t);
  const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
  for (const status of ['scripting', 'failed', 'complete', 'distributing']) {
    const content = await factories.content(t.pool, {
      niche_id: niche,
      production_status: status,
      asset_manifest: JSON.stringify(
        status === 'failed'
          ? { failure: { stage: 'assembling', reason: 'x', at: '2026-01-01T00:00:00Z' } }
          : {},
      ),
    });
    ids.content.push(String(content.id));
  }
  for (let i = 0; i < 4; i++) {
    const d = await factories.distribution(t.pool, {
      content_id: ids.content[3],
      ...(i < 2 ? { status: 'posted', posted_at: new Date(), platform_post_id: `p${i}` } : {}),
    });
    ids.distributions.push(String(d.id));
  }
  for (const topic of ['Fuzzed topic one', 'Fuzzed topic two']) {
    const { rows } = await t.pool.query(
      `INSERT INTO trending_topics (topic, source, niche_id) VALUES ($1, 'manual', $2) RETURNING id`,
      [topic, niche],
    );
    ids.trends.push(rows[0].id);
  }
  for (const template of ['Fuzzed hook about {topic}', 'Another fuzzed {topic}']) {
    ids.hooks.push(String((await factories.hook(t.pool, { template })).id));
  }
});
afterAll(async () => {
  await api.close();
  fs.rmSync(home, { recursive: true, force: true });
});

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
    '-1',
    '2026-02-30T25:00:00Z',
    "'; DROP TABLE content; --",
  ),
);
const odd = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, Number.MAX_VALUE, -0, 1e308),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
/** A field's plausible values, and now and then an odd one: most bodies get past validation. */
const field = (...plausible: unknown[]) =>
  fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...plausible) }, { weight: 1, arbitrary: odd });
/** Plausible values from a generator, and now and then an odd one. */
const mostly = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 15, arbitrary: plausible }, { weight: 1, arbitrary: odd });

const anything = fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true });

/** Bodies for a route: anything, or records of its fields (any subset, plus an unknown one now and then). */
function bodies(fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) {
  return fc.oneof(
    { weight: 1, arbitrary: anything },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((raw) => ({ raw })) },
    { weight: 6, arbitrary: fc.record(fields, { requiredKeys: required }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.record(fields, { requiredKeys: required }), fc.string({ maxLength: 8 }), odd)
        .map(([body, key, value]) => ({ ...body, [key]: value })),
    },
  );
}

/** Any value as a URL path segment. */
function segment(value: unknown): string {
  const raw = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  return encodeURIComponent(raw.toWellFormed());
}

const missing = '00000000-0000-4000-8000-000000000000';
const contentRef = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0).chain(() => fc.constantFrom(...ids.content)) },
  { weight: 1, arbitrary: fc.constantFrom(missing, 'not-an-id') },
  { weight: 1, arbitrary: odd },
);
const trendRef = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0).chain(() => fc.constantFrom(...ids.trends)) },
  { weight: 1, arbitrary: fc.constantFrom(missing, 'nope') },
  { weight: 1, arbitrary: odd },
);
const distributionRef = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0).chain(() => fc.constantFrom(...ids.distributions)) },
  { weight: 1, arbitrary: fc.constantFrom(missing, 'nope') },
  { weight: 1, arbitrary: odd },
);
const niche = field('motivation', 'personal_finance', 'no_such_niche', missing);
const recentTime = fc
  .integer({ min: -600, max: 5 * 86_400 })
  .map((secondsAgo) => new Date(Date.now() - secondsAgo * 1000).toISOString());
/** Published within the last two days (older topics are refused as inactive at once). */
const publishedAt = fc
  .integer({ min: 0, max: 2 * 86_400 })
  .map((secondsAgo) => new Date(Date.now() - secondsAgo * 1000).toISOString());
const count = mostly(fc.integer({ min: 0, max: 1_000_000 }));
const rate = mostly(fc.double({ min: 0, max: 1, noNaN: true }));

const snapshot = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record(
      {
        time: mostly(recentTime),
        distribution_id: mostly(fc.constant(0).chain(() => fc.constantFrom(...ids.distributions))),
        account_id: field(null, missing),
        views: count,
        likes: count,
        comments: count,
        shares: count,
        saves: count,
        completion_rate: rate,
        engagement_rate: rate,
        follower_count_at: count,
      },
      { requiredKeys: ['time', 'distribution_id'] },
    ),
  },
  { weight: 1, arbitrary: anything },
);

const trendItem = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record(
      {
        topic: mostly(fc.stringMatching(/^[A-Za-z][A-Za-z ]{4,40}$/)),
        // Plausible values only: an item is refused when any field is odd, and a batch when any item is.
        niche: field('motivation', 'personal_finance'),
        source: field('manual', 'tiktok'),
        source_url: field('https://example.com/a', 'https://example.com/b'),
        source_group: field('r/GetMotivated', 'tiktok/motivation'),
        engagement: mostly(fc.integer({ min: 0, max: 100_000 })),
        overperformance_ratio: mostly(fc.double({ min: 0, max: 20, noNaN: true })),
        published_at: mostly(publishedAt),
      },
      { requiredKeys: ['topic', 'niche', 'source'] },
    ),
  },
  { weight: 1, arbitrary: anything },
);

const contentFields = {
  topic: mostly(fc.stringMatching(/^[A-Za-z][A-Za-z ]{2,60}$/)),
  niche,
  format: field('faceless', 'reddit_story', 'hologram'),
  produce: field(true, false),
};

const hookRef = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0).chain(() => fc.constantFrom(...ids.hooks)) },
  { weight: 1, arbitrary: fc.constantFrom(missing, 'not-an-id') },
  { weight: 1, arbitrary: odd },
);

const csvLine = fc.oneof(
  fc.constantFrom(
    'curiosity_gap,Nobody tells you this about {topic}.,motivation,0.5',
    'Not Snake,A fine template,,',
    'question,Why {oops}?,,',
    'bold_claim,"unterminated,,',
    'story,A story about {topic},no_such_niche,2',
    'a,b,c,d,e,f',
  ),
  fc.string({ maxLength: 40 }),
);

interface WriteRoute {
  method?: 'PATCH';
  url: fc.Arbitrary<string>;
  body: fc.Arbitrary<unknown>;
}

const routes: Record<string, WriteRoute> = {
  'POST /hooks': {
    url: fc.constant('/api/v1/hooks'),
    body: bodies(
      {
        category: field('curiosity_gap', 'bold_claim', 'question', 'Not Snake'),
        template: field(
          'Nobody tells you this about {topic}.',
          'A {niche} secret',
          'Stop scrolling: {topic}',
          'Hi {name} there',
        ),
        niche: field('motivation', 'personal_finance', 'no_such_niche'),
        effectivenessScore: field(0, 0.5, 1, 1.5),
      },
      ['category', 'template'],
    ),
  },
  'POST /hooks/import': {
    url: fc.constant('/api/v1/hooks/import'),
    body: bodies(
      {
        csv: mostly(
          fc
            .array(csvLine, { minLength: 0, maxLength: 4 })
            .map((lines) => ['category,template,niche,effectiveness_score', ...lines].join('\n')),
        ),
        source: field('hooks.csv'),
      },
      ['csv'],
    ),
  },
  'PATCH /hooks/:id': {
    method: 'PATCH',
    url: hookRef.map((id) => `/api/v1/hooks/${segment(id)}`),
    body: bodies({
      category: field('curiosity_gap', 'Not Snake'),
      template: field('Nobody tells you this about {topic}.', 'Hi {name} there', 'tiny'),
      niche: field('motivation', null, 'no_such_niche'),
      effectivenessScore: field(0.5, null, 1.5),
      retired: field(true, false),
    }),
  },
  'POST /content': {
    url: fc.constant('/api/v1/content'),
    body: bodies({ ...contentFields, fromTrend: mostly(trendRef) }),
  },
  'POST /content/:id/produce': {
    url: contentRef.map((id) => `/api/v1/content/${segment(id)}/produce`),
    body: fc.oneof(bodies({}), fc.constant(undefined)),
  },
  'POST /content/:id/retry': {
    url: contentRef.map((id) => `/api/v1/content/${segment(id)}/retry`),
    body: fc.oneof(bodies({}), fc.constant(undefined)),
  },
  'POST /distributions/:id/removed': {
    url: distributionRef.map((id) => `/api/v1/distributions/${segment(id)}/removed`),
    body: bodies({ reason: field('community guidelines', '') }, ['reason']),
  },
  'POST /metrics/snapshots': {
    url: fc.constant('/api/v1/metrics/snapshots'),
    body: bodies(
      {
        snapshots: mostly(fc.array(snapshot, { minLength: 1, maxLength: 4 })),
        onBadRows: field('reject', 'skip'),
      },
      ['snapshots'],
    ),
  },
  'POST /trends/import': {
    url: fc.constant('/api/v1/trends/import'),
    body: fc.oneof(
      { weight: 6, arbitrary: fc.array(trendItem, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: anything },
    ),
  },
  'POST /trends/:id/content': {
    url: trendRef.map((id) => `/api/v1/trends/${segment(id)}/content`),
    body: fc.oneof(bodies(contentFields), fc.constant(undefined)),
  },
};

describe('no generated body to a domain write route is answered with a 5xx', () => {
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
              method: route.method ?? 'POST',
              url,
              headers: {
                ...bearer(api.admin.secret),
                ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              },
              ...(body === undefined ? {} : { payload: raw ?? JSON.stringify(body) }),
            });
            statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
            if (response.statusCode >= 500) {
              failures.push(
                `${route.method ?? 'POST'} ${url} ${JSON.stringify(body)?.slice(0, 300)} → ${response.statusCode} ${response.body}`,
              );
            }
            return response.statusCode < 500;
          }),
          { numRuns: RUNS },
        );
        expect(failures).toEqual([]);
        // The runs reach past validation into the services and the database, not just the 400 path.
        const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
        expect(answered).toBe(RUNS);
        expect(answered - (statuses[400] ?? 0), JSON.stringify(statuses)).toBeGreaterThanOrEqual(RUNS / 10);
      },
      300_000,
    );
  }

  it('left nothing for the server to log as a failure', () => {
    expect(api.log()).not.toMatch(/"level":50/);
  });
});
