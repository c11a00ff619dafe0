// Distributions (posts) over HTTP: listed newest first in keyset pages with the CLI's filters, and marked
// removed when a platform took a post down (only a posted one, with an event saying why).
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

const posted = (values: Record<string, unknown> = {}) =>
  factories.distribution(t.pool, {
    status: 'posted',
    posted_at: new Date(),
    platform_post_id: `post-${Math.random().toString(36).slice(2)}`,
    caption: 'a caption',
    hashtags: ['money', 'tips'],
    ...values,
  });

describe('distributions', () => {
  it('are listed newest first in keyset pages, by content, account and status', async () => {
    const content = await factories.content(t.pool, { topic: 'listed content' });
    const account = await factories.account(t.pool, { username: 'poster_one' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = await factories.distribution(t.pool, {
        content_id: content.id,
        created_at: new Date(Date.UTC(2026, 1, 1, i)),
        ...(i === 4 ? { account_id: account.id } : {}),
        ...(i % 2 ? { status: 'failed', attempts: 4 } : {}),
      });
      ids.push(String(d.id));
    }
    await factories.distribution(t.pool);

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await api.call(
        'GET',
        `/api/v1/distributions?content=${String(content.id)}&limit=2${after ? `&after=${after}` : ''}`,
      );
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().distributions.map((d: { id: string }) => d.id));
      after = page.json().nextCursor;
    } while (after);
    expect(seen).toEqual([...ids].reverse());

    const failed = await api.call('GET', `/api/v1/distributions?content=${String(content.id)}&status=failed`);
    expect(failed.json().distributions.map((d: { id: string }) => d.id)).toEqual([ids[3], ids[1]]);
    expect(failed.json().distributions[0]).toMatchObject({
      status: 'failed',
      attempts: 4,
      contentId: content.id,
    });
    const mine = await api.call('GET', '/api/v1/distributions?account=poster_one');
    expect(mine.json().distributions).toEqual([
      expect.objectContaining({ id: ids[4], username: 'poster_one', platform: 'tiktok', status: 'pending' }),
    ]);
    const both = await api.call(
      'GET',
      `/api/v1/distributions?content=${String(content.id)}&status=pending,failed`,
    );
    expect(both.json().distributions).toHaveLength(5);
  });

  it('that were posted are marked removed, with an event naming the reason', async () => {
    const d = await posted();
    const response = await api.call('POST', `/api/v1/distributions/${String(d.id)}/removed`, {
      reason: 'community guidelines',
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      id: d.id,
      status: 'removed',
      platformPostId: d.platform_post_id,
      hashtags: ['money', 'tips'],
    });
    const { rows } = await t.pool.query(
      `SELECT message, context FROM system_events WHERE event_type = 'post_removed' AND context->>'distributionId' = $1`,
      [d.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].context.reason).toBe('community guidelines');

    const again = await api.call('POST', `/api/v1/distributions/${String(d.id)}/removed`, {
      reason: 'twice',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/is removed/),
    });
  });
});

describe('distribution mistakes', () => {
  it('only a posted distribution can be marked removed: 409 otherwise, 404 when there is none', async () => {
    const pending = await factories.distribution(t.pool);
    const refused = await api.call('POST', `/api/v1/distributions/${String(pending.id)}/removed`, {
      reason: 'nope',
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toMatch(/is pending/);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const missing = await api.call('POST', `/api/v1/distributions/${id}/removed`, { reason: 'gone' });
      expect(missing.statusCode, id).toBe(404);
    }
  });

  it('bad bodies and filters are a 400 naming the field', async () => {
    const d = await posted();
    const empty = await api.call('POST', `/api/v1/distributions/${String(d.id)}/removed`, { reason: '' });
    expect(fieldsOf(empty)).toEqual(['body.reason']);
    const extra = await api.call('POST', `/api/v1/distributions/${String(d.id)}/removed`, {
      reason: 'x',
      by: 'me',
    });
    expect(fieldsOf(extra)).toEqual(['body.by']);
    const none = await api.call('POST', `/api/v1/distributions/${String(d.id)}/removed`);
    expect(none.statusCode).toBe(400);
    const status = await api.call('GET', '/api/v1/distributions?status=deleted');
    expect(fieldsOf(status)[0]).toMatch(/^querystring\.status/);
    const content = await api.call('GET', '/api/v1/distributions?content=abc');
    expect(content.json().error.field).toBe('content');
    expect((await api.call('GET', '/api/v1/distributions?after=xyz')).json().error.field).toBe('after');
    expect((await api.call('GET', '/api/v1/distributions?account=nobody_at_all')).statusCode).toBe(404);
    // Nothing changed.
    const { rows } = await t.pool.query('SELECT status FROM distributions WHERE id = $1', [d.id]);
    expect(rows[0].status).toBe('posted');
  });

  it('a read-only token lists but may not mark; no token, nothing', async () => {
    const d = await posted();
    expect((await api.call('GET', '/api/v1/distributions', undefined, api.reader.secret)).statusCode).toBe(
      200,
    );
    const refused = await api.call(
      'POST',
      `/api/v1/distributions/${String(d.id)}/removed`,
      { reason: 'x' },
      api.reader.secret,
    );
    expect(refused.statusCode).toBe(403);
    expect((await api.app.inject({ url: '/api/v1/distributions' })).statusCode).toBe(401);
    const { rows } = await t.pool.query('SELECT status FROM distributions WHERE id = $1', [d.id]);
    expect(rows[0].status).toBe('posted');
  });
});
