// Trending topics over HTTP: imported from a JSON array (every bad item named by line, then all or none),
// listed best first in keyset pages, shown with their sightings, and turned into content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
const topics = async () =>
  (await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM trending_topics')).rows[0]!.n;

describe('trending topics', () => {
  it('are imported from a JSON array, scored and merged, and listed best first in keyset pages', async () => {
    const items = [
      ['Cash stuffing envelopes', 3000, 'https://www.tiktok.com/@a/video/1'],
      ['Cash-stuffing envelopes!', 2000, 'https://www.tiktok.com/@b/video/2'],
      ['The 50/30/20 budget', 1000, 'https://www.tiktok.com/@c/video/3'],
      ['Loud budgeting', 200, 'https://www.tiktok.com/@d/video/4'],
    ].map(([topic, engagement, url], i) => ({
      topic,
      niche: 'personal_finance',
      source: 'tiktok',
      source_url: url,
      engagement,
      published_at: hoursAgo(2 + i),
    }));
    const response = await api.call('POST', '/api/v1/trends/import', [
      ...items,
      { topic: 'No-spend February', niche: 'personal_finance', source: 'manual', overperformance_ratio: 4.5 },
      { topic: 'Stoic mornings', niche: 'motivation', source: 'manual', overperformance_ratio: '1.5' },
    ]);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ rows: 6, items: 6, tooOld: 0, created: 5, merged: 0 });
    const { rows } = await t.pool.query(
      `SELECT message FROM system_events WHERE event_type = 'trends_imported'`,
    );
    expect(rows[0].message).toContain(`token:${api.admin.name}`);

    const seen: { topic: string; trendScore: number | null }[] = [];
    let after: string | null = null;
    do {
      const page = await api.call('GET', `/api/v1/trends?limit=2${after ? `&after=${after}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().trends);
      after = page.json().nextCursor;
    } while (after);
    expect(seen).toHaveLength(5);
    const scores = seen.map((s) => s.trendScore ?? -1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const finance = await api.call('GET', '/api/v1/trends?niche=personal_finance&limit=100');
    expect(finance.json().trends).toHaveLength(4);
    expect(finance.json().trends.map((x: { nicheSlug: string }) => x.nicheSlug)).toEqual(
      Array(4).fill('personal_finance'),
    );
  });

  it('are shown with their sightings, and the inactive ones only with all=true', async () => {
    const list = (await api.call('GET', '/api/v1/trends?niche=personal_finance')).json().trends;
    const cash = list.find((x: { topic: string }) => x.topic.startsWith('Cash'));
    const shown = await api.call('GET', `/api/v1/trends/${cash.id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({
      id: cash.id,
      source: 'tiktok',
      isActive: true,
      nicheSlug: 'personal_finance',
    });
    expect(shown.json().history.length).toBeGreaterThanOrEqual(1);
    expect(shown.json().history[0]).toMatchObject({ source: 'tiktok', engagement: expect.any(Number) });

    await t.pool.query(`UPDATE trending_topics SET is_active = false WHERE id = $1`, [cash.id]);
    const active = (await api.call('GET', '/api/v1/trends?limit=100')).json().trends;
    expect(active.map((x: { id: string }) => x.id)).not.toContain(cash.id);
    const all = (await api.call('GET', '/api/v1/trends?all=true&limit=100')).json().trends;
    expect(all.map((x: { id: string }) => x.id)).toContain(cash.id);
  });

  it('become content, taking the topic and niche unless told otherwise', async () => {
    const [best] = (await api.call('GET', '/api/v1/trends?niche=motivation')).json().trends;
    const created = await api.call('POST', `/api/v1/trends/${best.id}/content`);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      topic: 'Stoic mornings',
      nicheSlug: 'motivation',
      trendId: best.id,
      status: 'scripting',
    });
    const own = await api.call('POST', `/api/v1/trends/${best.id}/content`, {
      topic: 'Stoicism at 5 am',
      format: 'reddit_story',
    });
    expect(own.json()).toMatchObject({ topic: 'Stoicism at 5 am', format: 'reddit_story', trendId: best.id });
    // This server queues nothing: producing at once is refused, and nothing is created.
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM content')).rows[0].n;
    const produce = await api.call('POST', `/api/v1/trends/${best.id}/content`, { produce: true });
    expect(produce.statusCode).toBe(503);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM content')).rows[0].n).toBe(before);
  });
});

describe('trend mistakes', () => {
  it('an import with a bad item imports nothing, and names every problem by line (the item) and field', async () => {
    const before = await topics();
    const response = await api.call('POST', '/api/v1/trends/import', [
      { topic: 'A fine topic', niche: 'motivation', source: 'manual' },
      { topic: 'No niche here', source: 'manual' },
      { topic: 'Unknown key', niche: 'motivation', source: 'manual', colour: 'red' },
      { topic: 'Bad source', niche: 'motivation', source: 'Not A Source', engagement: -5 },
      42,
      { topic: 'Nowhere', niche: 'no_such_niche', source: 'manual' },
      { topic: 'Stale', niche: 'motivation', source: 'manual', published_at: hoursAgo(24 * 30) },
    ]);
    expect(response.statusCode, response.body).toBe(400);
    const error = response.json().error;
    expect(error).toMatchObject({ code: 'invalid_input', field: 'body', badRows: 6 });
    const byLine = (line: number) =>
      (error.issues as { line: number; field?: string }[])
        .filter((i) => i.line === line)
        .map((i) => i.field ?? '')
        .sort();
    expect(byLine(1)).toEqual([]);
    expect(byLine(2)).toEqual(['niche']);
    expect(byLine(3)).toEqual(['colour']);
    expect(byLine(4)).toEqual(['engagement', 'source']);
    expect(byLine(5)).toEqual(['']);
    expect(byLine(6)).toEqual(['niche']);
    expect(byLine(7)).toEqual(['published_at']);
    expect(await topics()).toBe(before);
  });

  it('bodies of the wrong shape are a 400, unknown topics a 404', async () => {
    expect(fieldsOf(await api.call('POST', '/api/v1/trends/import', []))).toEqual(['body']);
    expect(fieldsOf(await api.call('POST', '/api/v1/trends/import', { topic: 'not an array' }))).toEqual([
      'body',
    ]);
    const content = await api.call('POST', `/api/v1/trends/00000000-0000-4000-8000-000000000000/content`, {
      colour: 'red',
    });
    expect(fieldsOf(content)).toEqual(['body.colour']);
    expect((await api.call('GET', '/api/v1/trends?all=maybe')).statusCode).toBe(400);
    expect((await api.call('GET', '/api/v1/trends?after=xyz')).json().error.field).toBe('after');
    for (const [method, url] of [
      ['GET', '/api/v1/trends/00000000-0000-4000-8000-000000000000'],
      ['GET', '/api/v1/trends/not-an-id'],
      ['GET', '/api/v1/trends?niche=no_such_niche'],
      ['POST', '/api/v1/trends/00000000-0000-4000-8000-000000000000/content'],
    ] as const) {
      expect((await api.call(method, url)).statusCode, url).toBe(404);
    }
  });

  it('a read-only token reads trends but may not import or make content', async () => {
    const before = await topics();
    const [any] = (await api.call('GET', '/api/v1/trends?all=true', undefined, api.reader.secret)).json()
      .trends;
    const imported = await api.call(
      'POST',
      '/api/v1/trends/import',
      [{ topic: 'Read only', niche: 'motivation', source: 'manual' }],
      api.reader.secret,
    );
    expect(imported.statusCode).toBe(403);
    expect(
      (await api.call('POST', `/api/v1/trends/${any.id}/content`, {}, api.reader.secret)).statusCode,
    ).toBe(403);
    expect((await api.app.inject({ url: '/api/v1/trends' })).statusCode).toBe(401);
    expect(await topics()).toBe(before);
  });
});
