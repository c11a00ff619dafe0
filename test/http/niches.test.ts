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

describe('niche management', () => {
  const write = (method: 'POST' | 'PATCH', url: string, payload: object, secret?: string) =>
    api.call(method, url, payload, secret);

  it('adds a niche, then finds it by slug and by id', async () => {
    const added = await write('POST', '/api/v1/niches', {
      name: 'Home cooking',
      slug: 'home_cooking',
      tier: '2',
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({
      name: 'Home cooking',
      slug: 'home_cooking',
      tier: '2',
      status: 'active',
    });
    expect((await get('/api/v1/niches/home_cooking')).json().id).toBe(added.json().id);
    expect((await get(`/api/v1/niches/${added.json().id as string}`)).json().slug).toBe('home_cooking');
    const events = await t.pool.query(`SELECT message FROM system_events WHERE event_type = 'niche_added'`);
    expect(events.rows.map((r) => r.message).join()).toMatch(/home_cooking/);
  });

  it('refuses a taken slug with 409 and a malformed one with 400, writing nothing', async () => {
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM niches')).rows[0].n;
    const taken = await write('POST', '/api/v1/niches', { name: 'Again', slug: 'personal_finance' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ code: 'conflict', field: 'slug' });
    const bad = await write('POST', '/api/v1/niches', { name: 'Bad', slug: 'Bad Slug!' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('slug');
    expect(bad.json().error.message).toMatch(/snake_case/);
    const noName = await write('POST', '/api/v1/niches', { name: '   ', slug: 'blank_name' });
    expect(noName.json().error.field).toBe('name');
    expect((await t.pool.query('SELECT count(*)::int AS n FROM niches')).rows[0].n).toBe(before);
  });

  it('changes a niche, and refuses a read-only token', async () => {
    await write('POST', '/api/v1/niches', { name: 'Gardening', slug: 'gardening' });
    const renamed = await write('PATCH', '/api/v1/niches/gardening', {
      name: 'Urban gardening',
      slug: 'urban_gardening',
      tier: null,
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Urban gardening', slug: 'urban_gardening', tier: null });
    expect((await get('/api/v1/niches/gardening')).statusCode).toBe(404);
    const taken = await write('PATCH', '/api/v1/niches/urban_gardening', { slug: 'personal_finance' });
    expect(taken.statusCode).toBe(409);
    const nothing = await write('PATCH', '/api/v1/niches/urban_gardening', {});
    expect(nothing.statusCode).toBe(400);
    const readOnly = await write('PATCH', '/api/v1/niches/urban_gardening', { name: 'x' }, api.reader.secret);
    expect(readOnly.statusCode).toBe(403);
  });

  it('says how many live accounts a niche has before deactivating it, and deactivates with force', async () => {
    await write('POST', '/api/v1/niches', { name: 'Pets', slug: 'pets' });
    const { rows } = await t.pool.query(`SELECT id FROM niches WHERE slug = 'pets'`);
    await t.pool.query(
      `INSERT INTO accounts (platform, username, niche_id) VALUES ('tiktok', 'pet_a', $1), ('instagram', 'pet_b', $1)`,
      [rows[0].id],
    );
    const refused = await write('PATCH', '/api/v1/niches/pets', { status: 'inactive' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toMatch(/2 live account/);
    expect((await get('/api/v1/niches/pets')).json().status).toBe('active');
    const forced = await write('PATCH', '/api/v1/niches/pets', { status: 'inactive', force: true });
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json().status).toBe('inactive');
  });
});
