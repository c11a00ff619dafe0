// Distribution: who gets a video (niche, state, platform, cadence, quota), and publishing it exactly once.
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultContentPolicy, type ContentPolicy } from '../../src/content/content-policy.ts';
import type { Script } from '../../src/content/content-model.ts';
import { planDistributions } from '../../src/distributions/distribution-planner.ts';
import { markRemoved } from '../../src/distributions/distributions-service.ts';
import { checkPosts, publishDistribution } from '../../src/distributions/publishing.ts';
import { RetryLater } from '../../src/errors.ts';
import { PublishError, type Publisher } from '../../src/plugins/publisher.ts';
import { createSimulatorPublisher } from '../../src/plugins/simulator-publisher.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const never = new AbortController().signal;
const now = new Date('2026-05-01T12:00:00Z');
const script: Script = {
  title: 'Budgeting in 30 seconds',
  hook: 'Stop wasting money.',
  beats: [{ onScreenText: 'one', narration: 'one two three' }],
  cta: 'Follow for more.',
  narration: 'Stop wasting money. one two three Follow for more.',
  hashtags: ['money', 'budgeting', 'fyp'],
  writer: 'template',
};

let niche: string;
let other: string;
beforeEach(async () => {
  await t.pool.query(
    'DELETE FROM distributions; DELETE FROM content; DELETE FROM simulated_posts; DELETE FROM system_events; DELETE FROM activity_log; DELETE FROM accounts',
  );
  niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id;
  other = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
});

const content = async () =>
  String(
    (
      await factories.content(t.pool, {
        niche_id: niche,
        production_status: 'distributing',
        output_path: '/tmp/v.mp4',
        script_json: JSON.stringify(script),
      })
    ).id,
  );
const account = (values: Record<string, unknown> = {}) =>
  factories.account(t.pool, { current_state: 'active', niche_id: niche, ...values });
const plan = async (contentId: string, policy: ContentPolicy = defaultContentPolicy, format = 'faceless') =>
  t.db
    .transaction()
    .execute((trx) => planDistributions(trx, { contentId, nicheId: niche, format, script }, policy, now));

describe('planning distributions', () => {
  it('picks active, live accounts of the niche on the format’s platforms, least recently posting first', async () => {
    const fresh = await account({ last_post_at: null });
    const older = await account({ last_post_at: '2026-04-30T00:00:00Z' });
    const newer = await account({ last_post_at: '2026-05-01T06:00:00Z', platform: 'instagram' });
    await account({ last_post_at: '2026-04-01T00:00:00Z', current_state: 'warming_p3' });
    await account({ last_post_at: '2026-04-01T00:00:00Z', deleted_at: now });
    await factories.account(t.pool, { current_state: 'active', niche_id: other });
    const planned = await plan(await content());
    expect(planned.map((p) => p.accountId)).toEqual([fresh.id, older.id, newer.id]);
    const { rows } = await t.pool.query(
      `SELECT caption, hashtags, status FROM distributions WHERE account_id = $1`,
      [newer.id],
    );
    expect(rows[0]).toEqual({
      caption: 'Budgeting in 30 seconds. Follow for more.',
      hashtags: ['money', 'budgeting', 'fyp'],
      status: 'pending',
    });
  });

  it('respects the format’s platforms', async () => {
    await account({ platform: 'instagram' });
    const tiktok = await account({ platform: 'tiktok' });
    const planned = await plan(await content(), defaultContentPolicy, 'reddit_story');
    expect(planned.map((p) => p.accountId)).toEqual([tiktok.id]);
  });

  it('keeps each account within its cadence: posts per day and the gap since its last post', async () => {
    const policy = {
      ...defaultContentPolicy,
      distribution: {
        ...defaultContentPolicy.distribution,
        maxPostsPerAccountPerDay: 2,
        minGapMinutes: 60,
        accountsPerContent: 5,
      },
    };
    const recent = await account({ last_post_at: '2026-05-01T11:30:00Z' }); // 30 min ago: inside the gap
    const busy = await account({ last_post_at: '2026-05-01T10:00:00Z' });
    for (let i = 0; i < 2; i++) {
      await factories.distribution(t.pool, {
        account_id: busy.id,
        status: 'posted',
        posted_at: `2026-05-01T0${i + 1}:00:00Z`,
      });
    }
    const ok = await account({ last_post_at: '2026-05-01T10:00:00Z' });
    const planned = await plan(await content(), policy);
    expect(planned.map((p) => p.accountId)).toEqual([ok.id]);
    expect(planned.map((p) => p.accountId)).not.toContain(recent.id);
    // A planned (pending) post counts for the gap too: the same account is not picked again right away.
    expect(await plan(await content(), policy)).toEqual([]);
  });

  it('stops at the platform’s daily quota', async () => {
    const policy = {
      ...defaultContentPolicy,
      distribution: {
        ...defaultContentPolicy.distribution,
        accountsPerContent: 10,
        platformDailyQuota: { tiktok: 2, instagram: 1 },
      },
    };
    for (let i = 0; i < 4; i++) await account({ platform: 'tiktok' });
    for (let i = 0; i < 3; i++) await account({ platform: 'instagram' });
    await factories.distribution(t.pool, {
      account_id: (await account({ platform: 'tiktok' })).id,
      status: 'posted',
      posted_at: '2026-05-01T01:00:00Z',
    });
    const planned = await plan(await content(), policy);
    const byPlatform = planned.reduce<Record<string, number>>(
      (m, p) => ({ ...m, [p.platform]: (m[p.platform] ?? 0) + 1 }),
      {},
    );
    expect(byPlatform).toEqual({ tiktok: 1, instagram: 1 });
  });

  it('spends the daily quota once when ten planners run at once', async () => {
    const policy = {
      ...defaultContentPolicy,
      distribution: { ...defaultContentPolicy.distribution, platformDailyQuota: { tiktok: 4, instagram: 0 } },
    };
    for (let i = 0; i < 30; i++) await account({ platform: 'tiktok' });
    const contents = [];
    for (let i = 0; i < 10; i++) contents.push(await content());
    const planned = (await Promise.all(contents.map((c) => plan(c, policy)))).flat();
    expect(planned).toHaveLength(4);
    expect(new Set(planned.map((p) => p.accountId)).size).toBe(4);
  });

  it('spreads content planned in a row over the accounts', async () => {
    const accounts = [];
    // No gap between posts: only the order (a planned post counts as the account's latest) spreads them.
    const policy = {
      ...defaultContentPolicy,
      distribution: { ...defaultContentPolicy.distribution, minGapMinutes: 0 },
    };
    for (let i = 0; i < 6; i++) accounts.push((await account()).id);
    const first = await plan(await content(), policy);
    const second = await plan(await content(), policy);
    expect(new Set([...first, ...second].map((p) => p.accountId))).toEqual(new Set(accounts));
  });

  it('never gives one content to an account twice', async () => {
    await account();
    const c = await content();
    expect(await plan(c)).toHaveLength(1);
    expect(await plan(c)).toEqual([]);
  });
});

describe('publishing', () => {
  const deps = (publisher: Publisher, maxAttempts = 3) => ({
    db: t.db,
    publisher,
    logger: quietLogger,
    maxAttempts,
  });
  const simulator = (options: Record<string, unknown> = {}) =>
    createSimulatorPublisher(
      { transientFailureRate: 0, rejectionRate: 0, removalRate: 0, ...options },
      { db: t.db, logger: quietLogger },
    );

  it('posts, records the post and the account’s last post, and completes the content once all settle', async () => {
    const c = await content();
    const a = await account();
    const b = await account();
    await plan(c);
    const ids = (
      await t.pool.query('SELECT id FROM distributions WHERE content_id = $1 ORDER BY id', [c])
    ).rows.map((r) => r.id);
    const first = await publishDistribution(deps(simulator()), ids[0], never);
    expect(first).toMatchObject({ status: 'posted', platformPostId: expect.stringMatching(/^sim_/) });
    expect(
      (await t.pool.query('SELECT production_status FROM content WHERE id = $1', [c])).rows[0]
        .production_status,
    ).toBe('distributing');
    await publishDistribution(deps(simulator()), ids[1], never);
    const { rows } = await t.pool.query(
      `SELECT c.production_status, (SELECT count(*)::int FROM accounts WHERE id IN ($2, $3) AND last_post_at IS NOT NULL) AS posted_accounts,
              (SELECT count(*)::int FROM system_events WHERE event_type = 'content_complete') AS complete_events
       FROM content c WHERE c.id = $1`,
      [c, a.id, b.id],
    );
    expect(rows[0]).toEqual({ production_status: 'complete', posted_accounts: 2, complete_events: 1 });
  });

  it('completes the content when its last distributions settle at the same moment', async () => {
    // Each settling transaction used to see the others still pending and none completed the content.
    // A barrier releases all publishes together, so their commits race; several rounds make it likely.
    for (let round = 0; round < 5; round++) {
      await t.pool.query('DELETE FROM distributions; DELETE FROM content; DELETE FROM accounts');
      const c = await content();
      for (let i = 0; i < 3; i++) await account();
      await plan(c);
      const ids = (await t.pool.query('SELECT id FROM distributions WHERE content_id = $1', [c])).rows.map(
        (r) => r.id,
      );
      expect(ids).toHaveLength(3);
      const real = simulator();
      let arrived = 0;
      let release: () => void = () => {};
      const barrier = new Promise<void>((resolve) => (release = resolve));
      const together: Publisher = {
        name: 'together',
        publish: async (request) => {
          const result = await real.publish(request);
          if (++arrived === ids.length) release();
          await barrier;
          return result;
        },
      };
      await Promise.all(ids.map((id) => publishDistribution(deps(together), id, never)));
      const { rows } = await t.pool.query(
        `SELECT production_status, (SELECT count(*)::int FROM system_events WHERE event_type = 'content_complete' AND context->>'contentId' = $1::text) AS events
         FROM content WHERE id = $1::uuid`,
        [c],
      );
      expect(rows[0]).toEqual({ production_status: 'complete', events: 1 });
    }
  });

  it('never publishes twice, even when the worker dies between the publish and the commit', async () => {
    const c = await content();
    await account();
    await plan(c);
    const [id] = (await t.pool.query('SELECT id FROM distributions WHERE content_id = $1', [c])).rows.map(
      (r) => r.id,
    );
    const real = simulator();
    // The platform takes the post, then the worker dies (its job's claim goes) before sovi records it.
    const died = new AbortController();
    const dying: Publisher = {
      name: 'dying',
      publish: async (request) => {
        await real.publish(request);
        died.abort();
        throw new Error('worker killed');
      },
    };
    await expect(publishDistribution(deps(dying), id, died.signal)).rejects.toThrow('worker killed');
    expect((await t.pool.query('SELECT status FROM distributions WHERE id = $1', [id])).rows[0].status).toBe(
      'pending',
    );
    // The retried job asks again with the same idempotency key: the platform returns the same post.
    const retried = await publishDistribution(deps(real), id, never);
    const { rows } = await t.pool.query(
      'SELECT count(*)::int AS posts, max(attempts) AS attempts, max(platform_post_id) AS post FROM simulated_posts',
    );
    expect(rows[0]).toEqual({
      posts: 1,
      attempts: 2,
      post: (retried as { platformPostId: string }).platformPostId,
    });
    expect(await publishDistribution(deps(real), id, never)).toEqual({ status: 'settled' });
  });

  it('retries a transient failure, then fails for good with an event after the last attempt', async () => {
    const c = await content();
    await account();
    await plan(c);
    const [id] = (await t.pool.query('SELECT id FROM distributions WHERE content_id = $1', [c])).rows.map(
      (r) => r.id,
    );
    const flaky: Publisher = {
      name: 'flaky',
      publish: async () => Promise.reject(new PublishError('rate limited', true)),
    };
    await expect(publishDistribution(deps(flaky, 3), id, never)).rejects.toBeInstanceOf(RetryLater);
    await expect(publishDistribution(deps(flaky, 3), id, never)).rejects.toBeInstanceOf(RetryLater);
    expect(await publishDistribution(deps(flaky, 3), id, never)).toEqual({
      status: 'failed',
      reason: 'rate limited',
    });
    const { rows } = await t.pool.query(
      `SELECT d.status, d.attempts, c.production_status, (SELECT context->>'attempts' FROM system_events WHERE event_type = 'post_failed') AS event_attempts
       FROM distributions d JOIN content c ON c.id = d.content_id WHERE d.id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({
      status: 'failed',
      attempts: 3,
      production_status: 'complete',
      event_attempts: '3',
    });
  });

  it('fails at once when the platform refuses for good', async () => {
    const c = await content();
    await account();
    await plan(c);
    const [id] = (await t.pool.query('SELECT id FROM distributions WHERE content_id = $1', [c])).rows.map(
      (r) => r.id,
    );
    expect(await publishDistribution(deps(simulator({ rejectionRate: 1 })), id, never)).toMatchObject({
      status: 'failed',
    });
  });

  it('marks posts the platform removed, with an event', async () => {
    const c = await content();
    await account();
    await account();
    await plan(c);
    const ids = (await t.pool.query('SELECT id FROM distributions WHERE content_id = $1', [c])).rows.map(
      (r) => r.id,
    );
    const publisher = simulator({ removalRate: 1 });
    for (const id of ids) await publishDistribution(deps(publisher), id, never);
    expect(await checkPosts(deps(publisher), new Date(0))).toBe(2);
    const { rows } = await t.pool.query(
      `SELECT count(*)::int AS n FROM distributions WHERE status = 'removed'`,
    );
    expect(rows[0].n).toBe(2);
    expect(await markRemoved(t.db, ids[0], 'again')).toBe(false); // Already removed.
    expect(
      (await t.pool.query(`SELECT count(*)::int AS n FROM system_events WHERE event_type = 'post_removed'`))
        .rows[0].n,
    ).toBe(2);
  });
});
