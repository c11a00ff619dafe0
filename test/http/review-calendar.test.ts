// Review and the calendar over HTTP, as each role: reviewers approve and reject (a viewer gets 403),
// operators reschedule, cancel, retry and edit posts (a reviewer gets 403); the queue and the calendar keep
// to a niche-limited user's niches; bad input names its field.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Role } from '../../src/auth/roles.ts';
import { addUser } from '../../src/users/users-service.ts';
import { listPipelineSink } from '../helpers/content.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startTestApp, type Method, type TestApp } from './helpers.ts';
import { signedInUser, type SignedIn } from './role-tokens.ts';

const extra = vi.hoisted(() => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('./domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
const sink = listPipelineSink();
let api: TestApp;
const as: Partial<Record<Role | 'limited', SignedIn>> = {};

beforeAll(async () => {
  extra.deps = { contentSink: sink };
  api = await startTestApp(t, { api: { signInAttemptsPerMinute: 1e9, authFailuresPerMinute: 1e9 } });
  for (const role of ['viewer', 'reviewer', 'operator'] as const) as[role] = await signedInUser(t, api, role);
  // A reviewer limited to personal_finance.
  const password = 'a long password for the limited reviewer';
  await addUser(
    t.db,
    { name: 'limited-reviewer', role: 'reviewer', password, niches: ['personal_finance'] },
    'test',
  );
  const signIn = await api.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { name: 'limited-reviewer', password },
  });
  as.limited = {
    name: 'limited-reviewer',
    userId: '',
    password,
    headers: {
      cookie: signIn.cookies.map((c) => `${c.name}=${c.value}`).join('; '),
      'x-csrf-token': signIn.json<{ csrfToken: string }>().csrfToken,
    },
  };
});
afterAll(() => api.close());

const call = (who: Role | 'limited', method: Method, url: string, payload?: unknown) =>
  api.app.inject({
    method,
    url,
    headers: as[who]!.headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const motivation = async () =>
  (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id as string;

/** Content awaiting review in motivation, with posts on two accounts an hour ahead. */
async function awaitingReview() {
  const niche = await motivation();
  const content = await factories.content(t.pool, {
    niche_id: niche,
    production_status: 'distributing',
    review_state: 'awaiting',
    review_requested_at: new Date(),
    output_path: '/tmp/video.mp4',
  });
  const posts = [];
  for (const platform of ['tiktok', 'instagram']) {
    const account = await factories.account(t.pool, { niche_id: niche, platform, current_state: 'active' });
    posts.push(
      await factories.distribution(t.pool, {
        content_id: content.id,
        account_id: account.id,
        platform,
        review: 'awaiting',
        caption: 'planned caption',
        hashtags: ['mornings'],
        scheduled_at: new Date(Date.now() + 3_600_000),
      }),
    );
  }
  return { id: String(content.id), posts: posts.map((p) => String(p.id)) };
}

describe('review over HTTP', () => {
  it('shows the queue with each post’s caption and slot, within the caller’s niches', async () => {
    const { id, posts } = await awaitingReview();
    const queue = await call('viewer', 'GET', '/api/v1/content/review');
    expect(queue.statusCode, queue.body).toBe(200);
    const item = queue.json().content.find((c: { id: string }) => c.id === id);
    expect(item.review.state).toBe('awaiting');
    expect(item.hasVideo).toBe(true);
    expect(item.distributions.map((d: { id: string }) => d.id).sort()).toEqual([...posts].sort());
    expect(item.distributions[0]).toMatchObject({
      caption: 'planned caption',
      hashtags: ['mornings'],
      state: 'awaiting_review',
      options: { aiGenerated: true },
    });
    expect(item.distributions[0].scheduledAt).toEqual(expect.any(String));
    const limited = await call('limited', 'GET', '/api/v1/content/review');
    expect(limited.json().content.map((c: { id: string }) => c.id)).not.toContain(id);
    expect((await call('limited', 'POST', `/api/v1/content/${id}/approve`)).statusCode).toBe(404);
  });

  it('lets a reviewer approve some posts with an edited caption, and refuses a viewer', async () => {
    const { id, posts } = await awaitingReview();
    const [first, second] = posts as [string, string];
    const body = { approve: [{ post: first, caption: 'An edited caption' }] };
    expect((await call('viewer', 'POST', `/api/v1/content/${id}/approve`, body)).statusCode).toBe(403);
    const approved = await call('reviewer', 'POST', `/api/v1/content/${id}/approve`, body);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().approved.map((a: { id: string }) => a.id)).toEqual([first]);
    expect(approved.json().rejected.map((r: { id: string }) => r.id)).toEqual([second]);
    expect(sink.publishJobs.filter((j) => j.distributionId === first)).toHaveLength(1);
    expect(sink.publishJobs.filter((j) => j.distributionId === second)).toHaveLength(0);
    const { rows } = await t.pool.query(
      `SELECT id, caption, review FROM distributions WHERE content_id = $1`,
      [id],
    );
    expect(rows.find((r) => r.id === first)).toMatchObject({
      caption: 'An edited caption',
      review: 'approved',
    });
    expect(rows.find((r) => r.id === second)).toMatchObject({ review: 'rejected' });
    // Decided: a second decision is a conflict.
    expect(
      (await call('reviewer', 'POST', `/api/v1/content/${id}/reject`, { reason: 'late' })).statusCode,
    ).toBe(409);
  });

  it('refuses a caption too long for the platform, naming the field', async () => {
    const { id, posts } = await awaitingReview();
    const tiktok = (
      await t.pool.query(`SELECT id FROM distributions WHERE id = ANY($1) AND platform = 'tiktok'`, [posts])
    ).rows[0].id;
    const response = await call('reviewer', 'POST', `/api/v1/content/${id}/approve`, {
      approve: [{ post: tiktok, caption: 'x'.repeat(151) }],
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.field).toBe('approve[0].caption');
  });

  it('lets a reviewer reject with a reason: the content fails at scripting and its posts are rejected', async () => {
    const { id } = await awaitingReview();
    expect(
      (await call('viewer', 'POST', `/api/v1/content/${id}/reject`, { reason: 'off brand' })).statusCode,
    ).toBe(403);
    const rejected = await call('reviewer', 'POST', `/api/v1/content/${id}/reject`, { reason: 'off brand' });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json()).toMatchObject({
      status: 'failed',
      review: { state: 'rejected', note: 'off brand' },
    });
    const { rows } = await t.pool.query(`SELECT review FROM distributions WHERE content_id = $1`, [id]);
    expect(rows.map((r) => r.review)).toEqual(['rejected', 'rejected']);
  });
});

describe('the calendar over HTTP', () => {
  it('lets an operator reschedule within the account’s windows (or forced), and refuses a reviewer', async () => {
    const { posts } = await awaitingReview();
    const post = posts[0]!;
    const account = (await t.pool.query(`SELECT account_id FROM distributions WHERE id = $1`, [post])).rows[0]
      .account_id;
    const set = await call('operator', 'PUT', `/api/v1/accounts/${account}/posting-schedule`, {
      timeZone: 'Asia/Tokyo',
      windows: ['21:30'],
    });
    expect(set.statusCode, set.body).toBe(200);
    // The next 21:30 in Tokyo (12:30Z), at least a day out so that it is surely in the future.
    const day = new Date(Date.now() + 2 * 86_400_000);
    const window = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 12, 30));
    const offWindow = new Date(window.getTime() + 3_600_000);

    expect(
      (
        await call('reviewer', 'POST', `/api/v1/distributions/${post}/reschedule`, {
          at: window.toISOString(),
        })
      ).statusCode,
    ).toBe(403);
    const refused = await call('operator', 'POST', `/api/v1/distributions/${post}/reschedule`, {
      at: offWindow.toISOString(),
    });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json().error.field).toBe('at');
    const moved = await call('operator', 'POST', `/api/v1/distributions/${post}/reschedule`, {
      at: window.toISOString(),
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().scheduledAt).toBe(window.toISOString());
    const forced = await call('operator', 'POST', `/api/v1/distributions/${post}/reschedule`, {
      at: offWindow.toISOString(),
      force: true,
    });
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json().scheduledAt).toBe(offWindow.toISOString());

    const calendar = await call(
      'viewer',
      'GET',
      `/api/v1/calendar?from=${new Date().toISOString()}&to=${new Date(Date.now() + 5 * 86_400_000).toISOString()}&account=${account}`,
    );
    expect(calendar.statusCode, calendar.body).toBe(200);
    expect(calendar.json().entries).toEqual([
      expect.objectContaining({ id: post, state: 'awaiting_review', at: offWindow.toISOString() }),
    ]);
    const limited = await call('limited', 'GET', '/api/v1/calendar?from=1d');
    expect(limited.json().entries.map((e: { id: string }) => e.id)).not.toContain(post);
  });

  it('lets an operator edit, cancel and retry posts, each only when it still can', async () => {
    const { posts } = await awaitingReview();
    const [post, other] = posts as [string, string];
    expect(
      (await call('reviewer', 'PATCH', `/api/v1/distributions/${post}`, { caption: 'x' })).statusCode,
    ).toBe(403);
    const edited = await call('operator', 'PATCH', `/api/v1/distributions/${post}`, {
      caption: 'A better caption',
      hashtags: ['#Mornings', 'discipline'],
      options: { allowDuet: false },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({
      caption: 'A better caption',
      hashtags: ['mornings', 'discipline'],
      options: { allowDuet: false, aiGenerated: true },
    });
    const cancelled = await call('operator', 'POST', `/api/v1/distributions/${post}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'pending', state: 'cancelled' });
    expect((await call('operator', 'POST', `/api/v1/distributions/${post}/cancel`)).statusCode).toBe(409);
    expect(
      (await call('operator', 'PATCH', `/api/v1/distributions/${post}`, { caption: 'y' })).statusCode,
    ).toBe(409);
    // Only a failed post is retried.
    expect((await call('operator', 'POST', `/api/v1/distributions/${other}/retry`)).statusCode).toBe(409);
    await t.pool.query(`UPDATE distributions SET status = 'failed', attempts = 4 WHERE id = $1`, [other]);
    const retried = await call('operator', 'POST', `/api/v1/distributions/${other}/retry`);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: 0 });
    expect(sink.publishJobs.filter((j) => j.distributionId === other)).toHaveLength(1);
  });

  it('refuses a posting schedule with an unknown time zone or a bad window, naming the field', async () => {
    const zone = await call('operator', 'PUT', '/api/v1/niches/motivation/posting-schedule', {
      timeZone: 'Mars/Olympus',
      windows: ['09:00'],
    });
    expect(zone.statusCode).toBe(400);
    expect(zone.json().error.field).toBe('timeZone');
    const window = await call('operator', 'PUT', '/api/v1/niches/motivation/posting-schedule', {
      timeZone: 'Europe/Berlin',
      windows: ['9am'],
    });
    expect(window.statusCode).toBe(400);
    expect(window.json().error.field).toBe('windows');
    expect(
      (
        await call('viewer', 'PUT', '/api/v1/niches/motivation/posting-schedule', {
          timeZone: 'UTC',
          windows: ['09:00'],
        })
      ).statusCode,
    ).toBe(403);
  });
});
