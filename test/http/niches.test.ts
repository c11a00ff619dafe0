// Niches over HTTP: listed by slug in keyset pages, filtered by status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
  await t.pool.query(`INSERT INTO niches (name, slug, status) VALUES ('Retired', 'zz_retired', 'inactive')`);
});
afterAll(() => api.close());

const get = (url: string) => api.call('GET', url, undefined, api.reader.secret);

describe('niches', () => {
  it('are listed by slug in keyset pages', async () => {
    const { rows } = await t.pool.query<{ slug: string }>('SELECT slug FROM niches ORDER BY slug');
    const slugs: string[] = [];
    let after: string | null = null;
    do {
      const page = await get(`/api/v1/niches?limit=2${after ? `&after=${after}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      slugs.push(...page.json().niches.map((n: { slug: string }) => n.slug));
      after = page.json().nextCursor;
    } while (after);
    expect(slugs).toEqual(rows.map((r) => r.slug));
    expect(slugs.length).toBeGreaterThan(3);
  });

  it('are filtered by status', async () => {
    const inactive = await get('/api/v1/niches?status=inactive');
    expect(inactive.json()).toEqual({
      niches: [
        {
          id: expect.any(String),
          name: 'Retired',
          slug: 'zz_retired',
          tier: null,
          status: 'inactive',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      ],
      nextCursor: null,
    });
    const active = await get('/api/v1/niches?status=active&limit=1000');
    expect(active.json().niches.map((n: { slug: string }) => n.slug)).not.toContain('zz_retired');
  });

  it('refuse a bad filter or cursor with a 400 naming it', async () => {
    expect(fieldsOf(await get('/api/v1/niches?status=paused&limit=x'))).toEqual([
      'querystring.status',
      'querystring.limit',
    ]);
    expect((await get('/api/v1/niches?after=%%%')).json().error.field).toBe('after');
  });
});
