// A user limited to some niches sees and changes only those niches' accounts, content and metrics, through
// their tokens and their dashboard session alike; everything of another niche answers as if it did not
// exist. An unlimited user of the same role sees everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens-service.ts';
import { addUser } from '../../src/users/users-service.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
/** Bearer secrets: an operator limited to personal_finance, and an unlimited operator. */
let limited: string;
let everyNiche: string;
let finance: string;
let fitness: string;
let own: { account: string; content: string };
let other: { account: string; username: string; content: string };

beforeAll(async () => {
  api = await startTestApp(t);
  const niches = await t.pool.query<{ id: string; slug: string }>(
    `SELECT id, slug FROM niches WHERE slug IN ('personal_finance', 'ai_storytelling')`,
  );
  finance = niches.rows.find((n) => n.slug === 'personal_finance')!.id;
  fitness = niches.rows.find((n) => n.slug === 'ai_storytelling')!.id;
  const stamp = Date.now();
  const userWith = async (name: string, niches?: string[]) => {
    const user = await addUser(
      t.db,
      { name: `${name}-${stamp}`, role: 'operator', password: `a long password for ${name}`, niches },
      'test',
    );
    return (await createToken(t.db, { name: `${name}-${stamp}-token`, userId: user.id }, 'test')).secret;
  };
  limited = await userWith('finance-only', ['personal_finance']);
  everyNiche = await userWith('all-niches');

  const mine = await factories.account(t.pool, { niche_id: finance, username: `fin_${stamp}` });
  const theirs = await factories.account(t.pool, { niche_id: fitness, username: `fit_${stamp}` });
  const myContent = await factories.content(t.pool, { niche_id: finance, production_status: 'failed' });
  const theirContent = await factories.content(t.pool, { niche_id: fitness, production_status: 'complete' });
  own = { account: mine.id as string, content: myContent.id as string };
  other = {
    account: theirs.id as string,
    username: theirs.username as string,
    content: theirContent.id as string,
  };
  // A post of each niche's content, so the posts table and the per-content reads have something to show.
  await factories.distribution(t.pool, {
    content_id: own.content,
    account_id: own.account,
    status: 'posted',
    posted_at: new Date(),
  });
  await factories.distribution(t.pool, {
    content_id: other.content,
    account_id: other.account,
    status: 'posted',
    posted_at: new Date(),
  });
});
afterAll(() => api.close());

const ids = (items: { id: string }[]) => items.map((i) => i.id);

describe('a niche-limited user', () => {
  it('lists only their niches, their accounts, their content and their posts', async () => {
    const niches = await api.call('GET', '/api/v1/niches', undefined, limited);
    expect(niches.json().niches.map((n: { slug: string }) => n.slug)).toEqual(['personal_finance']);

    const accounts = (await api.call('GET', '/api/v1/accounts?limit=1000', undefined, limited)).json();
    expect(ids(accounts.accounts)).toContain(own.account);
    expect(ids(accounts.accounts)).not.toContain(other.account);
    expect(accounts.accounts.every((a: { nicheId: string }) => a.nicheId === finance)).toBe(true);

    const content = (await api.call('GET', '/api/v1/content?limit=1000', undefined, limited)).json();
    expect(ids(content.content)).toContain(own.content);
    expect(ids(content.content)).not.toContain(other.content);

    const counts = (await api.call('GET', '/api/v1/content/status', undefined, limited)).json();
    const all = (await api.call('GET', '/api/v1/content/status', undefined, everyNiche)).json();
    expect(counts.complete).toBeLessThan(all.complete);

    const posts = (await api.call('GET', '/api/v1/metrics/posts', undefined, limited)).json();
    expect(posts.posts.map((p: { niche: string }) => p.niche)).toEqual(['personal_finance']);
    const distributions = (await api.call('GET', '/api/v1/distributions', undefined, limited)).json();
    expect(distributions.distributions.map((d: { accountId: string }) => d.accountId)).toEqual([own.account]);
  });

  it("gets 404, as for something that does not exist, for another niche's account, content and metrics", async () => {
    const notThere = [
      `/api/v1/accounts/${other.account}`,
      `/api/v1/accounts/tiktok:${other.username}`,
      `/api/v1/content/${other.content}`,
      `/api/v1/content/${other.content}/video`,
      `/api/v1/metrics/accounts/${other.account}/hourly`,
      '/api/v1/metrics/niches/ai_storytelling/daily',
      '/api/v1/niches/ai_storytelling',
      '/api/v1/accounts?niche=ai_storytelling',
      `/api/v1/metrics/compare?kind=accounts&refs=${own.account},${other.account}`,
      `/api/v1/distributions?account=${other.account}`,
    ];
    for (const url of notThere) {
      const response = await api.call('GET', url, undefined, limited);
      expect(response.statusCode, url).toBe(404);
      // The answer names what was asked for, nothing more of the other niche (not even its id).
      expect(response.body, url).not.toContain(fitness);
      expect(response.json().error.code, url).toBe('not_found');
    }
    // The same reads work for an unlimited user of the same role.
    for (const url of notThere.filter((u) => !u.endsWith('/video'))) {
      expect((await api.call('GET', url, undefined, everyNiche)).statusCode, url).toBe(200);
    }
  });

  it("changes nothing of another niche's, and creates only in their niches", async () => {
    const before = await t.pool.query('SELECT bio, current_state FROM accounts WHERE id = $1', [
      other.account,
    ]);
    const writes: [string, string, unknown][] = [
      ['PATCH', `/api/v1/accounts/${other.account}`, { bio: 'mine now' }],
      ['POST', `/api/v1/accounts/${other.account}/state`, { state: 'warming_p1', reason: 'test' }],
      ['DELETE', `/api/v1/accounts/${other.account}`, undefined],
      ['POST', `/api/v1/content/${other.content}/archive`, {}],
    ];
    for (const [method, url, body] of writes) {
      const response = await api.call(method as 'POST', url, body, limited);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(404);
    }
    const after = await t.pool.query('SELECT bio, current_state FROM accounts WHERE id = $1', [
      other.account,
    ]);
    expect(after.rows).toEqual(before.rows);

    // A bulk change reports the other niche's account as not found, and changes the own one.
    const bulk = await api.call(
      'POST',
      '/api/v1/accounts/bulk-state',
      { accounts: [own.account, other.account], state: 'warming_p1', reason: 'start warming' },
      limited,
    );
    expect(bulk.statusCode, bulk.body).toBe(200);
    expect(
      bulk.json().results.map((r: { ok: boolean; error?: { code: string } }) => r.error?.code ?? 'ok'),
    ).toEqual(['ok', 'not_found']);

    // Moving an own account into another niche, or creating one there or in no niche, is refused.
    const move = await api.call(
      'PATCH',
      `/api/v1/accounts/${own.account}`,
      { niche: 'ai_storytelling' },
      limited,
    );
    expect(move.statusCode).toBe(404);
    expect(move.json().error.field).toBe('niche');
    const elsewhere = await api.call(
      'POST',
      '/api/v1/accounts',
      { platform: 'tiktok', username: `x${Date.now()}`, niche: 'ai_storytelling' },
      limited,
    );
    expect(elsewhere.statusCode).toBe(404);
    const nowhere = await api.call(
      'POST',
      '/api/v1/accounts',
      { platform: 'tiktok', username: `y${Date.now()}` },
      limited,
    );
    expect(nowhere.statusCode).toBe(400);
    expect(nowhere.json().error.message).toMatch(/niche: you are limited to some niches/);
    const created = await api.call(
      'POST',
      '/api/v1/accounts',
      { platform: 'tiktok', username: `z${Date.now()}`, niche: 'personal_finance' },
      limited,
    );
    expect(created.statusCode, created.body).toBe(201);

    // The CSV import names the line with a niche of someone else's, and writes nothing.
    const preview = await api.call(
      'POST',
      '/api/v1/accounts/import-preview',
      {
        csv: `platform,username,niche\ntiktok,ok_${Date.now()},personal_finance\ntiktok,no_${Date.now()},ai_storytelling\n`,
      },
      limited,
    );
    expect(preview.json().issues).toEqual([expect.objectContaining({ line: 3, field: 'niche' })]);

    const content = await api.call(
      'POST',
      '/api/v1/content',
      { topic: 'a topic of theirs', niche: 'ai_storytelling' },
      limited,
    );
    expect(content.statusCode).toBe(404);
    const mine = await api.call(
      'POST',
      '/api/v1/content',
      { topic: 'a topic of mine', niche: 'personal_finance' },
      limited,
    );
    expect(mine.statusCode, mine.body).toBe(201);

    // A batch of metrics may carry any account's counts: refused, saying why.
    const snapshots = await api.call(
      'POST',
      '/api/v1/metrics/snapshots',
      { snapshots: [{ distributionId: other.account, views: 1 }] },
      limited,
    );
    expect(snapshots.statusCode).toBe(403);
    expect(snapshots.json().error.field).toBe('snapshots');
  });
});
