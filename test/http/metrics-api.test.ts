// Metrics over HTTP: batches of snapshots ingested with the import's checks (item N reported as line N,
// all or nothing unless onBadRows is skip, a replay changes nothing), and the dashboard's reads of the
// rollups once the refresh has folded them in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshRollups } from '../../src/metrics/rollup-refresh.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
const HOUR = 3_600_000;
// Whole hours, so the hourly buckets are predictable.
const base = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
const at = (hours: number) => new Date(base + hours * HOUR).toISOString();
let dists: { id: string; account: string; content: string }[];

beforeAll(async () => {
  api = await startTestApp(t);
  const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'tech_ai_tools'`)).rows[0].id;
  const content = await factories.content(t.pool, { niche_id: niche, topic: 'the best ai tools' });
  dists = [];
  for (let i = 0; i < 2; i++) {
    const account = await factories.account(t.pool, { niche_id: niche, username: `metrics_user_${i}` });
    const d = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      status: 'posted',
      posted_at: new Date(base - HOUR),
    });
    dists.push({ id: String(d.id), account: String(account.id), content: String(content.id) });
  }
});
afterAll(() => api.close());

const ingest = (body: unknown, secret?: string) =>
  api.call('POST', '/api/v1/metrics/snapshots', body, secret);
const get = (url: string) => api.call('GET', url);
const stored = async () =>
  (await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM metric_snapshots')).rows[0]!.n;

const goodBatch = () =>
  dists.flatMap((d, i) =>
    [0, 1, 2].map((h) => ({
      time: at(h),
      distribution_id: d.id,
      views: 1000 * (h + 1) + i,
      likes: 100 * (h + 1),
      comments: 5,
      shares: 2,
      saves: 3,
      completion_rate: 0.5,
      follower_count_at: 200 + h,
    })),
  );

describe('metric snapshots', () => {
  it('are ingested in a batch, and a replayed batch changes nothing', async () => {
    const first = await ingest({ snapshots: goodBatch() });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ rows: 6, inserted: 6, duplicates: 0, skippedRows: 0, skipped: [] });
    const { rows } = await t.pool.query(
      'SELECT account_id, engagement_rate FROM metric_snapshots WHERE distribution_id = $1 AND time = $2',
      [dists[0]!.id, at(0)],
    );
    // account_id from the distribution; engagement_rate computed: (100 + 5 + 2 + 3) / 1000.
    expect(rows[0]).toMatchObject({ account_id: dists[0]!.account, engagement_rate: 0.11 });

    const replay = await ingest({ snapshots: goodBatch() });
    expect(replay.json()).toMatchObject({ rows: 6, inserted: 0, duplicates: 6 });
    const more = await ingest({
      snapshots: [...goodBatch().slice(0, 2), { time: at(3), distribution_id: dists[0]!.id, views: 5000 }],
    });
    expect(more.json()).toMatchObject({ rows: 3, inserted: 1, duplicates: 2 });
    expect(await stored()).toBe(7);
  });

  it('with a bad item are refused whole, every problem named by line (the item, from 1) and field', async () => {
    const before = await stored();
    const response = await ingest({
      snapshots: [
        { time: at(4), distribution_id: dists[0]!.id, views: 10 },
        { time: at(4), distribution_id: dists[1]!.id, views: -3, completion_rate: 2 },
        'not an object',
        { time: 'yesterday-ish', distribution_id: '00000000-0000-4000-8000-000000000000' },
        { time: new Date(Date.now() + 86_400_000).toISOString(), distribution_id: dists[0]!.id },
        { time: at(4), distribution_id: dists[0]!.id, account_id: dists[1]!.account, colour: 'red' },
      ],
    });
    expect(response.statusCode, response.body).toBe(400);
    const error = response.json().error;
    expect(error).toMatchObject({ code: 'invalid_input', field: 'body.snapshots', badRows: 5 });
    const issues = error.issues as { line: number; field?: string; message: string }[];
    const at2 = issues.filter((i) => i.line === 2).map((i) => i.field);
    expect(at2.sort()).toEqual(['completion_rate', 'views']);
    expect(issues.find((i) => i.line === 3)?.message).toMatch(/expected a JSON object/);
    expect(
      issues
        .filter((i) => i.line === 4)
        .map((i) => i.field)
        .sort(),
    ).toEqual(['distribution_id', 'time']);
    expect(issues.find((i) => i.line === 5)).toMatchObject({
      field: 'time',
      message: expect.stringMatching(/future/),
    });
    const at6 = issues.filter((i) => i.line === 6);
    expect(at6.some((i) => /unknown field.*colour/.test(i.message))).toBe(true);
    expect(at6.some((i) => i.field === 'account_id')).toBe(true);
    expect(issues.some((i) => i.line === 1)).toBe(false);
    expect(await stored()).toBe(before);
  });

  it('with more bad items than are listed say how many were bad in all', async () => {
    const response = await ingest({
      snapshots: Array.from({ length: 1_200 }, () => ({
        time: at(4),
        distribution_id: dists[0]!.id,
        views: -1,
      })),
    });
    expect(response.statusCode, response.body).toBe(400);
    const error = response.json().error;
    expect(error).toMatchObject({ code: 'invalid_input', field: 'body.snapshots', badRows: 1_200 });
    const lines = new Set((error.issues as { line: number }[]).map((i) => i.line));
    expect(lines.size).toBe(1_000);
    expect(Math.max(...lines)).toBe(1_000);
  });

  it("with onBadRows 'skip' keep the good items and report the bad, with a warning event", async () => {
    const before = await stored();
    const response = await ingest({
      onBadRows: 'skip',
      snapshots: [
        { time: at(4), distribution_id: dists[0]!.id, views: 6000 },
        { time: at(4), distribution_id: dists[1]!.id, views: 'lots' },
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      rows: 2,
      inserted: 1,
      skippedRows: 1,
      skipped: [{ line: 2, field: 'views', message: expect.stringMatching(/whole number/) }],
    });
    expect(await stored()).toBe(before + 1);
    const { rows } = await t.pool.query(
      `SELECT 1 FROM system_events WHERE event_type = 'metrics_rows_skipped'`,
    );
    expect(rows).toHaveLength(1);
  });

  it('name an item holding a NUL byte by its line: refused whole, or left out with onBadRows skip', async () => {
    // A post of its own, in another niche, so that the reads below see only their own rows.
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id;
    const account = await factories.account(t.pool, { niche_id: niche, username: 'metrics_nul_user' });
    const content = await factories.content(t.pool, { niche_id: niche, topic: 'nul bytes' });
    const post = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      status: 'posted',
      posted_at: new Date(base - HOUR),
    });
    const before = await stored();
    const snapshots = [
      { time: at(0), distribution_id: String(post.id), views: 7000 },
      { time: '\u0000', distribution_id: String(post.id), views: 7000 },
      { time: at(1), distribution_id: String(post.id), views: 'lots' },
    ];
    const refused = await ingest({ snapshots });
    expect(refused.statusCode, refused.body).toBe(400);
    const error = refused.json().error;
    expect(error.message).toMatch(/line 2/);
    expect(error).toMatchObject({ field: 'body.snapshots', badRows: 2 });
    expect(error.issues).toEqual([
      { line: 2, message: expect.stringMatching(/^item\.time: contains a NUL byte/) },
      expect.objectContaining({ line: 3, field: 'views' }),
    ]);
    expect(await stored()).toBe(before);

    const skipped = await ingest({ snapshots, onBadRows: 'skip' });
    expect(skipped.statusCode, skipped.body).toBe(200);
    expect(skipped.json()).toMatchObject({ rows: 3, inserted: 1, skippedRows: 2 });
    expect(await stored()).toBe(before + 1);
  });

  it('batches of the wrong shape or size are a 400 naming the field', async () => {
    const empty = await ingest({ snapshots: [] });
    expect(fieldsOf(empty)).toEqual(['body.snapshots']);
    const big = await ingest({ snapshots: Array.from({ length: 10_001 }, () => ({})) });
    expect(big.statusCode).toBe(400);
    expect(fieldsOf(big)).toEqual(['body.snapshots']);
    const shape = await ingest({ rows: [], onBadRows: 'ignore' });
    expect(fieldsOf(shape).sort()).toEqual(['body.onBadRows', 'body.rows', 'body.snapshots']);
    expect((await ingest([{ time: at(0) }])).statusCode).toBe(400);
  });

  it('take up to 10,000 items in one request', async () => {
    const d = await factories.distribution(t.pool, { status: 'posted', posted_at: new Date(base - HOUR) });
    const start = base - 20 * 86_400_000;
    const snapshots = Array.from({ length: 10_000 }, (_, i) => ({
      time: new Date(start + i * 60_000).toISOString(),
      distribution_id: String(d.id),
      views: i,
      likes: Math.floor(i / 10),
      completion_rate: 0.42,
    }));
    const response = await ingest({ snapshots });
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    expect(response.json()).toMatchObject({ rows: 10_000, inserted: 10_000, duplicates: 0 });
  });

  it('need a read-write token', async () => {
    const before = await stored();
    const refused = await ingest({ snapshots: goodBatch() }, api.reader.secret);
    expect(refused.statusCode).toBe(403);
    const anonymous = await api.app.inject({
      method: 'POST',
      url: '/api/v1/metrics/snapshots',
      payload: { snapshots: goodBatch() },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(await stored()).toBe(before);
  });
});

describe('metric reads', () => {
  beforeAll(async () => {
    await refreshRollups(t.pool, { lateWindowHours: 72 });
  });

  it('show an account hour by hour', async () => {
    const response = await get(`/api/v1/metrics/accounts/metrics_user_0/hourly?days=2`);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.accountId).toBe(dists[0]!.account);
    expect(body.hours.map((h: { bucket: string; views: number }) => [h.bucket, h.views])).toEqual([
      [at(0), 1000],
      [at(1), 2000],
      [at(2), 3000],
      [at(3), 5000],
      [at(4), 6000],
    ]);
    expect(body.hours[0]).toMatchObject({ distributions: 1, samples: 1, likes: 100, followers: 200 });
    const byId = await get(`/api/v1/metrics/accounts/${dists[1]!.account}/hourly`);
    expect(byId.json().hours).toHaveLength(3);
  });

  it('show a niche day by day, the top content, and the rollups’ status', async () => {
    const niche = await get('/api/v1/metrics/niches/tech_ai_tools/daily?days=3');
    expect(niche.statusCode, niche.body).toBe(200);
    const gained = niche
      .json()
      .days.reduce((sum: number, d: { viewsGained: number }) => sum + d.viewsGained, 0);
    expect(gained).toBe(6000 + 3001);

    const top = await get('/api/v1/metrics/top?niche=tech_ai_tools&limit=5');
    expect(top.statusCode, top.body).toBe(200);
    expect(top.json().content).toEqual([
      expect.objectContaining({
        contentId: dists[0]!.content,
        topic: 'the best ai tools',
        viewsGained: 9001,
      }),
    ]);
    expect((await get('/api/v1/metrics/top?days=1')).statusCode).toBe(200);

    const status = await get('/api/v1/metrics/status');
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ path: 'tables', pendingRows: 0, pendingHours: 0 });
    expect(status.json().lastRunAt).not.toBeNull();
  });

  it('refuse bad parameters with a 400 and unknown accounts or niches with a 404', async () => {
    expect(fieldsOf(await get('/api/v1/metrics/accounts/metrics_user_0/hourly?days=0'))).toEqual([
      'querystring.days',
    ]);
    expect(fieldsOf(await get('/api/v1/metrics/top?days=400&limit=x')).sort()).toEqual([
      'querystring.days',
      'querystring.limit',
    ]);
    for (const url of [
      '/api/v1/metrics/accounts/nobody/hourly',
      '/api/v1/metrics/accounts/00000000-0000-4000-8000-000000000000/hourly',
      '/api/v1/metrics/niches/no_such_niche/daily',
      '/api/v1/metrics/top?niche=no_such_niche',
    ]) {
      expect((await get(url)).statusCode, url).toBe(404);
    }
    expect((await api.app.inject({ url: '/api/v1/metrics/status' })).statusCode).toBe(401);
  });
});
