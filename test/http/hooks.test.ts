// Hook templates over HTTP: added with the CLI's checks, listed in keyset pages with their scores, shown
// with their posteriors, and ranked on the leaderboard the dashboard shows; imported from CSV (all or none),
// changed and retired.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const nicheId = async (slug: string) =>
  (await t.pool.query<{ id: string }>('SELECT id FROM niches WHERE slug = $1', [slug])).rows[0]!.id;

describe('hooks', () => {
  it('are added, with a niche and a prior, and shown with their posteriors', async () => {
    const created = await api.call('POST', '/api/v1/hooks', {
      category: 'curiosity_gap',
      template: '  Nobody tells you this about {topic}.  ',
      niche: 'personal_finance',
      effectivenessScore: 0.8,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      category: 'curiosity_gap',
      template: 'Nobody tells you this about {topic}.',
      nicheSlug: 'personal_finance',
      effectivenessScore: 0.8,
      usageCount: 0,
      platformScores: {},
    });
    const shown = await api.call('GET', `/api/v1/hooks/${created.json().id}`);
    expect(shown.statusCode).toBe(200);
    // A prior of 0.8 worth two observations: Beta(1 + 1.6, 1 + 0.4).
    expect(shown.json().posteriors.tiktok.alpha).toBeCloseTo(2.6);
    expect(shown.json().posteriors.tiktok.beta).toBeCloseTo(1.4);
    expect(shown.json().posteriors.instagram.mean).toBeCloseTo(0.65);
  });

  it('are listed by category in keyset pages, filtered by niche and category', async () => {
    for (const [category, niche] of [
      ['bold_claim', null],
      ['bold_claim', 'motivation'],
      ['question', 'motivation'],
      ['bold_claim', 'motivation'],
    ] as const) {
      const response = await api.call('POST', '/api/v1/hooks', {
        category,
        template: `A ${category} about {topic}`,
        ...(niche ? { niche } : {}),
      });
      expect(response.statusCode).toBe(201);
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await api.call('GET', `/api/v1/hooks?limit=2${after ? `&after=${after}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().hooks.map((h: { category: string }) => h.category));
      after = page.json().nextCursor;
    } while (after);
    expect(seen).toEqual(['bold_claim', 'bold_claim', 'bold_claim', 'curiosity_gap', 'question']);

    const motivation = await api.call('GET', '/api/v1/hooks?niche=motivation&category=bold_claim');
    expect(motivation.json().hooks).toHaveLength(2);
    expect(motivation.json().nextCursor).toBeNull();
  });

  it('are ranked by their posterior mean on a platform, a niche’s own hooks with the generic ones', async () => {
    const finance = await nicheId('true_crime');
    const proven = await factories.hook(t.pool, {
      category: 'proven',
      niche_id: finance,
      effectiveness_score: 0.7,
      platform_scores: JSON.stringify({ tiktok: { score: 0.9, samples: 40 } }),
    });
    const flop = await factories.hook(t.pool, {
      category: 'flop',
      effectiveness_score: 0.2,
      platform_scores: JSON.stringify({ tiktok: { score: 0.1, samples: 40 } }),
    });
    const other = await factories.hook(t.pool, {
      category: 'elsewhere',
      niche_id: await nicheId('motivation'),
    });
    const board = await api.call(
      'GET',
      '/api/v1/hooks/leaderboard?platform=tiktok&niche=true_crime&limit=1000',
    );
    expect(board.statusCode, board.body).toBe(200);
    const ids = board.json().hooks.map((e: { hook: { id: string } }) => e.hook.id);
    expect(ids[0]).toBe(proven.id);
    expect(ids.at(-1)).toBe(flop.id);
    expect(ids).not.toContain(other.id);
    expect(board.json().hooks[0]).toMatchObject({ rank: 1, samples: 40, hook: { category: 'proven' } });
    expect(board.json().hooks[0].mean).toBeGreaterThan(0.85);

    const everything = await api.call('GET', '/api/v1/hooks/leaderboard?limit=3');
    expect(everything.json()).toMatchObject({ platform: 'tiktok' });
    expect(everything.json().hooks.map((e: { rank: number }) => e.rank)).toEqual([1, 2, 3]);
    // On a platform without posts, the priors decide.
    const instagram = await api.call('GET', '/api/v1/hooks/leaderboard?platform=instagram&niche=true_crime');
    expect(instagram.json().hooks[0].samples).toBe(0);
  });
});

describe('hook mistakes', () => {
  it('are a 400 naming the field, with the CLI’s checks', async () => {
    const types = await api.call('POST', '/api/v1/hooks', {
      category: 7,
      template: 'ok template',
      colour: 1,
    });
    expect(types.statusCode).toBe(400);
    expect(fieldsOf(types).sort()).toEqual(['body.category', 'body.colour']);
    const missing = await api.call('POST', '/api/v1/hooks', { category: 'x' });
    expect(fieldsOf(missing)).toEqual(['body.template']);
    const score = await api.call('POST', '/api/v1/hooks', {
      category: 'a',
      template: 'abcdef',
      effectivenessScore: 2,
    });
    expect(fieldsOf(score)).toEqual(['body.effectivenessScore']);
    for (const [body, field, message] of [
      [{ category: 'Not Snake', template: 'a fine template' }, 'category', /snake_case/],
      [{ category: 'ok', template: 'tiny' }, 'template', /5–300/],
      [{ category: 'ok', template: 'Hello {name}, about {topic}' }, 'template', /\{name\}/],
    ] as const) {
      const response = await api.call('POST', '/api/v1/hooks', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid_input', field, message });
    }
    expect((await api.call('GET', '/api/v1/hooks?limit=abc')).statusCode).toBe(400);
    expect((await api.call('GET', '/api/v1/hooks?after=garbage')).json().error.field).toBe('after');
    expect((await api.call('GET', '/api/v1/hooks/leaderboard?platform=myspace')).statusCode).toBe(400);
  });

  it('an unknown hook or niche is a 404', async () => {
    for (const url of [
      '/api/v1/hooks/00000000-0000-4000-8000-000000000000',
      '/api/v1/hooks/not-a-uuid',
      '/api/v1/hooks?niche=no_such_niche',
      '/api/v1/hooks/leaderboard?niche=no_such_niche',
    ]) {
      expect((await api.call('GET', url)).statusCode, url).toBe(404);
    }
    const add = await api.call('POST', '/api/v1/hooks', {
      category: 'ok',
      template: 'about {topic}',
      niche: 'no_such_niche',
    });
    expect(add.statusCode).toBe(404);
    expect(add.json().error.field).toBe('niche');
  });

  it('a read-only token reads hooks but may not add one; no token, nothing', async () => {
    expect((await api.call('GET', '/api/v1/hooks', undefined, api.reader.secret)).statusCode).toBe(200);
    const refused = await api.call(
      'POST',
      '/api/v1/hooks',
      { category: 'ok', template: 'about {topic}' },
      api.reader.secret,
    );
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('forbidden');
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/hooks', payload: {} })).statusCode).toBe(
      401,
    );
    const { rows } = await t.pool.query(
      `SELECT count(*)::int AS n FROM hooks WHERE template = 'about {topic}'`,
    );
    expect(rows[0].n).toBe(0);
  });
});

describe('hooks imported, changed and retired', () => {
  it('are imported from CSV text, all or none: every bad line is named by number', async () => {
    const bad = await api.call('POST', '/api/v1/hooks/import', {
      source: 'hooks.csv',
      csv: [
        'category,template,niche',
        'bold_claim,Everyone gets {topic} wrong,',
        'Not Snake,A fine template here,',
        'question,tiny,',
        'question,Why does {topic} work?,no_such_niche',
      ].join('\n'),
    });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().error.issues).toEqual([
      expect.objectContaining({ line: 3, field: 'category' }),
      expect.objectContaining({ line: 4, field: 'template' }),
      expect.objectContaining({ line: 5, field: 'niche' }),
    ]);
    const none = await t.pool.query(`SELECT 1 FROM hooks WHERE template = 'Everyone gets {topic} wrong'`);
    expect(none.rowCount).toBe(0);

    const good = await api.call('POST', '/api/v1/hooks/import', {
      csv: 'category,template,niche\nbold_claim,Everyone gets {topic} wrong,\nquestion,Why does {topic} work?,motivation\n',
    });
    expect(good.statusCode, good.body).toBe(201);
    expect(good.json()).toEqual({ imported: 2 });
  });

  it('are changed (use counts stay) and retired: the selector skips a retired hook', async () => {
    const created = (
      await api.call('POST', '/api/v1/hooks', {
        category: 'story',
        template: 'Here is a story about {topic}',
      })
    ).json();
    await t.pool.query('UPDATE hooks SET usage_count = 7 WHERE id = $1', [created.id]);
    const changed = await api.call('PATCH', `/api/v1/hooks/${created.id}`, {
      template: 'Here is the story of {topic}',
      niche: 'motivation',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      template: 'Here is the story of {topic}',
      nicheSlug: 'motivation',
      usageCount: 7,
      retiredAt: null,
    });
    const invalid = await api.call('PATCH', `/api/v1/hooks/${created.id}`, { template: 'hey' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.field).toBe('template');

    const retired = await api.call('PATCH', `/api/v1/hooks/${created.id}`, { retired: true });
    expect(retired.json().retiredAt).not.toBeNull();
    const board = await api.call('GET', '/api/v1/hooks/leaderboard?niche=motivation&limit=1000');
    expect(board.json().hooks.map((h: { hook: { id: string } }) => h.hook.id)).not.toContain(created.id);
    // Still listed, marked retired; and it can be put back.
    const listed = await api.call('GET', '/api/v1/hooks?category=story');
    expect(listed.json().hooks[0].retiredAt).not.toBeNull();
    const back = await api.call('PATCH', `/api/v1/hooks/${created.id}`, { retired: false });
    expect(back.json().retiredAt).toBeNull();

    const refused = await api.call(
      'PATCH',
      `/api/v1/hooks/${created.id}`,
      { retired: true },
      api.reader.secret,
    );
    expect(refused.statusCode).toBe(403);
  });
});
