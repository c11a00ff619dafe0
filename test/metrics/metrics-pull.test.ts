// Metric pulls against local fakes of TikTok's Display API and Instagram's Graph API: posts with platform ids
// are read in as few calls as the APIs allow, stored through the import path, folded into the rollups and
// seen by the hook feedback. Then the faults: an outage is one event (bumped, then resolved), a rate limit
// or a full budget defers the rest with no extra call, an expired token is reported once, a slow or dropped
// answer is an outage; and the tokens reach no log, event, snapshot or report. Two pullers on their own
// connection pools (two sovi processes) pulling at once stay within one budget, and one's pause stops the other.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, createPool, type Db } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import { recomputeHookScores } from '../../src/metrics/hook-feedback.ts';
import { createMetricsPuller, type MetricsPuller } from '../../src/metrics/metrics-puller.ts';
import { isPullDue, pullIntervalMs } from '../../src/metrics/pull-cadence.ts';
import { refreshRollups } from '../../src/metrics/rollup-refresh.ts';
import { defaultIngestSettings } from '../../src/metrics/snapshot-ingest.ts';
import type { AccessToken, TokenProvider } from '../../src/plugins/metrics-collector.ts';
import type { Platform } from '../../src/platforms.ts';
import {
  defaultMetricsPullSettings,
  type MetricsPullSettings,
} from '../../src/settings/metrics-pull-settings.ts';
import { canary, findCanaries, scanDatabaseForCanaries } from '../helpers/canary.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startFakeInstagram, type FakeInstagram } from '../fakes/instagram-graph-api.ts';
import { startFakeTikTok, type FakeTikTok } from '../fakes/tiktok-display-api.ts';

const t = useTestDatabase();
let tiktok: FakeTikTok;
let instagram: FakeInstagram;
let logged = '';
const logger = createLogger(
  { level: 'debug', format: 'json' },
  'debug',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  }),
);
let niche: string;
let seq = 0;

beforeAll(async () => {
  [tiktok, instagram] = await Promise.all([startFakeTikTok(), startFakeInstagram()]);
  niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
});
afterAll(async () => {
  await Promise.all([tiktok.close(), instagram.close()]);
});
beforeEach(async () => {
  // Each test reads only its own posts: earlier ones are no longer pullable.
  await t.pool.query(`UPDATE distributions SET platform_post_id = NULL`);
  // And starts with the budgets unused, as an hour after the last pull (they are shared through the database).
  await t.pool.query(`DELETE FROM platform_call_budget`);
  tiktok.fault = { kind: 'none' };
  instagram.fault = { kind: 'none' };
  tiktok.setRateLimit(600);
  instagram.setUserLimit(200);
  instagram.setAppLimit(10_000);
});

/** A token provider over the tokens the fakes issued; it notes what the pull told it. */
function tokenProvider() {
  const access = new Map<string, AccessToken>();
  const rejected: string[] = [];
  const succeeded: string[] = [];
  const provider: TokenProvider = {
    accessFor: async (id) => access.get(id) ?? null,
    rejected: async (id) => void rejected.push(id),
    succeeded: async (id) => void succeeded.push(id),
  };
  return { access, rejected, succeeded, provider };
}

const settings = (options: Record<string, unknown> = {}): MetricsPullSettings => ({
  ...defaultMetricsPullSettings,
  collectors: { tiktok: 'official', instagram: 'official' },
  collectorOptions: options,
  apiUrls: { tiktok: tiktok.url, instagram: instagram.url },
  callTimeoutMs: 5_000,
});

const puller = (
  tokens: TokenProvider,
  options: Record<string, unknown> = {},
  timeoutMs?: number,
  database: { db: Db; pool: typeof t.pool } = t,
) =>
  createMetricsPuller({
    db: database.db,
    pool: database.pool,
    logger,
    settings: { ...settings(options), ...(timeoutMs ? { callTimeoutMs: timeoutMs } : {}) },
    ingest: defaultIngestSettings,
    tokens,
  });

/** An account on `platform` with `n` posts made `ageHours` ago, known to the fake. */
async function accountWithPosts(
  platform: Platform,
  n: number,
  options: { hookId?: string; likes?: (i: number) => number; ageHours?: number; token?: string } = {},
) {
  const account = await factories.account(t.pool, { platform, current_state: 'active', niche_id: niche });
  const platformUserId = `1784${String(++seq).padStart(11, '0')}`;
  const token =
    platform === 'tiktok'
      ? tiktok.issueToken(platformUserId, { followers: 1234 + seq, token: options.token })
      : instagram.issueToken(platformUserId, { followers: 4321 + seq, token: options.token });
  const posts: { distributionId: string; platformPostId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const content = await factories.content(t.pool, { niche_id: niche, hook_id: options.hookId ?? null });
    const platformPostId = `${platform === 'tiktok' ? '7' : '18'}${String(++seq).padStart(12, '0')}`;
    const d = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      platform,
      status: 'posted',
      platform_post_id: platformPostId,
      posted_at: new Date(Date.now() - (options.ageHours ?? 2) * 3_600_000),
    });
    const counts = { views: 1_000 + i, likes: options.likes?.(i) ?? 10 + i, comments: 3, shares: 2 };
    if (platform === 'tiktok')
      tiktok.addVideo({
        id: platformPostId,
        openId: platformUserId,
        view_count: counts.views,
        like_count: counts.likes,
        comment_count: counts.comments,
        share_count: counts.shares,
      });
    else instagram.addMedia({ id: platformPostId, userId: platformUserId, ...counts, saved: 5 });
    posts.push({ distributionId: String(d.id), platformPostId });
  }
  return { id: String(account.id), token: { accessToken: token, platformUserId }, posts };
}

const snapshotsOf = async (accountId: string) =>
  (
    await t.pool.query(
      `SELECT distribution_id, views, likes, comments, shares, saves, follower_count_at
       FROM metric_snapshots WHERE account_id = $1 ORDER BY views`,
      [accountId],
    )
  ).rows;

const openPullEvents = async (platform: string) =>
  (
    await t.pool.query(
      `SELECT id, resolved, context FROM system_events
       WHERE event_type = 'metrics_pull_failed' AND context->>'platform' = $1 ORDER BY id`,
      [platform],
    )
  ).rows;

describe('the pull cadence', () => {
  it('reads new posts hourly, older ones less often, and stops at the horizon', () => {
    const h = 3_600_000;
    expect(pullIntervalMs(2 * h, 30)).toBe(h);
    expect(pullIntervalMs(48 * h, 30)).toBe(3 * h);
    expect(pullIntervalMs(5 * 24 * h, 30)).toBe(12 * h);
    expect(pullIntervalMs(20 * 24 * h, 30)).toBe(24 * h);
    expect(pullIntervalMs(31 * 24 * h, 30)).toBeUndefined();
    const now = new Date();
    const posted = (hours: number) => new Date(now.getTime() - hours * h);
    expect(isPullDue({ postedAt: posted(2), lastReadAt: null }, now, 30)).toBe(true);
    expect(isPullDue({ postedAt: posted(2), lastReadAt: posted(0.5) }, now, 30)).toBe(false);
    expect(isPullDue({ postedAt: posted(2), lastReadAt: posted(0.95) }, now, 30)).toBe(true);
    expect(isPullDue({ postedAt: posted(100), lastReadAt: posted(2) }, now, 30)).toBe(false);
    expect(isPullDue({ postedAt: posted(100), lastReadAt: posted(13) }, now, 30)).toBe(true);
  });
});

describe('a metric pull from the official APIs', () => {
  it('stores every due post’s counts through the ingest path, and the rollups and hook feedback see them', async () => {
    const strong = await factories.hook(t.pool, { niche_id: niche, template: 'strong {topic}' });
    const weak = await factories.hook(t.pool, { niche_id: niche, template: 'weak {topic}' });
    const tokens = tokenProvider();
    // 25 TikTok posts (two video queries of at most 20 ids), 4 Instagram ones (one insights call each).
    const tt = await accountWithPosts('tiktok', 25, {
      hookId: undefined,
      likes: (i) => (i % 2 === 0 ? 300 : 10),
    });
    const ig = await accountWithPosts('instagram', 4);
    const unconnected = await accountWithPosts('tiktok', 2);
    const old = await accountWithPosts('tiktok', 1, { ageHours: 40 * 24 });
    tokens.access.set(tt.id, tt.token);
    tokens.access.set(ig.id, ig.token);
    tokens.access.set(old.id, old.token);
    // The strong hook's posts are the liked ones.
    for (const [i, post] of tt.posts.entries())
      await t.pool.query(
        `UPDATE content SET hook_id = $1 WHERE id = (SELECT content_id FROM distributions WHERE id = $2)`,
        [i % 2 === 0 ? strong.id : weak.id, post.distributionId],
      );
    const before = { video: tiktok.callsTo('/v2/video/query/'), user: tiktok.callsTo('/v2/user/info/') };

    const p = await puller(tokens.provider);
    const progress: [number, number][] = [];
    const report = await p.pull({ onProgress: (done, total) => progress.push([done, total]) });
    expect(report).toMatchObject({
      accounts: 3,
      due: 31,
      read: 29,
      inserted: 29,
      calls: 2 + 1 + 4 + 1,
      deferred: 2,
      notConnected: 1,
      failures: [],
    });
    expect(progress.at(-1)).toEqual([31, 31]);
    expect(tiktok.callsTo('/v2/video/query/') - before.video).toBe(2);
    expect(tiktok.callsTo('/v2/user/info/') - before.user).toBe(1);
    // No call carried a post of the account without a connection, nor the post past the horizon.
    const asked = tiktok.requests
      .filter((r) => r.path === '/v2/video/query/')
      .flatMap((r) => (JSON.parse(r.body) as { filters: { video_ids: string[] } }).filters.video_ids);
    for (const post of [...unconnected.posts, ...old.posts]) expect(asked).not.toContain(post.platformPostId);

    const ttRows = await snapshotsOf(tt.id);
    expect(ttRows).toHaveLength(25);
    expect(ttRows[0]).toMatchObject({ views: 1000, comments: 3, shares: 2, saves: null });
    expect(ttRows[0].follower_count_at).toBeGreaterThan(1234);
    const igRows = await snapshotsOf(ig.id);
    expect(igRows.map((r) => r.saves)).toEqual([5, 5, 5, 5]);
    expect(igRows[3]).toMatchObject({ views: 1003, likes: 13 });
    const followers = (await t.pool.query(`SELECT followers FROM accounts WHERE id = $1`, [ig.id])).rows[0];
    expect(followers.followers).toBe(igRows[0].follower_count_at);
    expect(tokens.succeeded.sort()).toEqual([tt.id, ig.id].sort());

    await refreshRollups(t.pool, { lateWindowHours: 72 });
    const daily = await t.pool.query(
      `SELECT count(*)::int AS n FROM metrics_daily WHERE distribution_id = ANY($1::uuid[])`,
      [tt.posts.map((p) => p.distributionId)],
    );
    expect(daily.rows[0].n).toBe(25);
    await recomputeHookScores(t.db, { windowDays: 30 });
    const scores = Object.fromEntries(
      (
        await t.pool.query(`SELECT id, effectiveness_score FROM hooks WHERE id = ANY($1::uuid[])`, [
          [strong.id, weak.id],
        ])
      ).rows.map((r) => [r.id, r.effectiveness_score as number]),
    );
    expect(scores[strong.id as string]).toBeGreaterThan(scores[weak.id as string]);

    // Read a moment ago: only the unconnected account's posts are still due, and no call is made.
    const again = await p.pull();
    expect(again).toMatchObject({ due: 2, calls: 0, inserted: 0, notConnected: 1 });
    await p.close();
  });
});

describe('metric pull faults', () => {
  it('an outage is one event, not one per post or account; it is bumped, then resolved when the API answers', async () => {
    const tokens = tokenProvider();
    const a = await accountWithPosts('tiktok', 5);
    const b = await accountWithPosts('tiktok', 5);
    tokens.access.set(a.id, a.token);
    tokens.access.set(b.id, b.token);
    const p = await puller(tokens.provider);
    tiktok.fault = { kind: 'down', status: 503 };
    const calls = tiktok.requests.length;
    const first = await p.pull();
    expect(first).toMatchObject({ read: 0, inserted: 0, calls: 1, deferred: 10 });
    expect(first.failures).toHaveLength(1);
    expect(tiktok.requests.length - calls).toBe(1);
    let events = await openPullEvents('tiktok');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      resolved: false,
      context: { scope: 'platform', failures: 1, platformCode: 'internal_error' },
    });

    tiktok.fault = { kind: 'drop' };
    expect((await p.pull()).failures[0]).toMatchObject({ failure: 'unavailable' });
    events = await openPullEvents('tiktok');
    expect(events).toHaveLength(1);
    expect(events[0].context.failures).toBe(2);

    tiktok.fault = { kind: 'none' };
    const healed = await p.pull();
    expect(healed).toMatchObject({ read: 10, inserted: 10, failures: [] });
    events = await openPullEvents('tiktok');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ resolved: true, context: { resolution: { recovered: true } } });
    await p.close();
  });

  it('a slow answer past the deadline is an outage too', async () => {
    const tokens = tokenProvider();
    const a = await accountWithPosts('instagram', 1);
    tokens.access.set(a.id, a.token);
    const p = await puller(tokens.provider, {}, 300);
    instagram.fault = { kind: 'slow', ms: 3_000 };
    const report = await p.pull();
    expect(report.failures[0]).toMatchObject({ failure: 'unavailable' });
    expect(report.failures[0]!.message).toMatch(/no answer within 300 ms/);
    expect((await openPullEvents('instagram')).filter((e) => !e.resolved)).toHaveLength(1);
    instagram.fault = { kind: 'none' };
    expect(await p.pull()).toMatchObject({ read: 1, failures: [] });
    expect((await openPullEvents('instagram')).filter((e) => !e.resolved)).toHaveLength(0);
    await p.close();
  });

  it('a rate limit defers the rest with no extra call, and the next pull waits it out', async () => {
    const tokens = tokenProvider();
    const a = await accountWithPosts('tiktok', 25);
    const b = await accountWithPosts('tiktok', 3);
    tokens.access.set(a.id, a.token);
    tokens.access.set(b.id, b.token);
    tiktok.setRateLimit(1);
    const p = await puller(tokens.provider);
    const calls = tiktok.requests.length;
    const report = await p.pull();
    // Calls went through until the first 429; after it, nothing more was asked, of either account.
    const made = tiktok.requests.slice(calls);
    expect(made.map((r) => r.status).indexOf(429)).toBe(made.length - 1);
    expect(report.calls).toBe(made.length);
    expect(report.read + report.deferred).toBe(28);
    expect(report.inserted).toBe(report.read);
    expect(report.deferred).toBeGreaterThan(0);
    expect(report.failures).toEqual([
      expect.objectContaining({ failure: 'rate_limited', platformCode: 'rate_limit_exceeded' }),
    ]);
    // The next pull waits the window out: no call at all.
    expect(await p.pull()).toMatchObject({ calls: 0, read: 0 });
    expect(tiktok.requests.length - calls).toBe(made.length);
    expect(await openPullEvents('tiktok').then((e) => e.filter((x) => !x.resolved))).toHaveLength(0);
    await p.close();
  });

  it('keeps within the declared budget before the platform says a word', async () => {
    const tokens = tokenProvider();
    const a = await accountWithPosts('instagram', 6);
    tokens.access.set(a.id, a.token);
    const p = await puller(tokens.provider, { budgets: { instagram: { calls: 3, windowMs: 3_600_000 } } });
    const calls = instagram.requests.length;
    const report = await p.pull();
    expect(report).toMatchObject({ calls: 3, read: 3, deferred: 3, failures: [] });
    expect(instagram.requests.length - calls).toBe(3);
    await p.close();
  });

  it('stops calling once X-App-Usage nears the app’s limit', async () => {
    const tokens = tokenProvider();
    const a = await accountWithPosts('instagram', 4);
    tokens.access.set(a.id, a.token);
    instagram.setAppLimit(1);
    const p = await puller(tokens.provider);
    const calls = instagram.requests.length;
    const report = await p.pull();
    expect(instagram.requests.length - calls).toBe(1);
    expect(report).toMatchObject({ read: 1, deferred: 3 });
    expect(report.failures[0]).toMatchObject({ failure: 'rate_limited' });
    await p.close();
  });

  it('an expired token is reported once per account, and the account is left for the next pull', async () => {
    const tokens = tokenProvider();
    const tt = await accountWithPosts('tiktok', 25);
    const ig = await accountWithPosts('instagram', 3);
    tokens.access.set(tt.id, tt.token);
    tokens.access.set(ig.id, ig.token);
    tiktok.expireToken(tt.token.accessToken);
    instagram.expireToken(ig.token.accessToken);
    const p = await puller(tokens.provider);
    const before = { tt: tiktok.requests.length, ig: instagram.requests.length };
    const report = await p.pull();
    expect(tokens.rejected.sort()).toEqual([tt.id, ig.id].sort());
    expect(tiktok.requests.length - before.tt).toBe(1);
    expect(instagram.requests.length - before.ig).toBe(1);
    expect(report).toMatchObject({ read: 0, deferred: 28 });
    expect(report.failures.map((f) => f.platformCode).sort()).toEqual(['190/463', 'access_token_invalid']);
    expect(tokens.succeeded).toEqual([]);
    await p.close();
  });

  it('a scope the account did not grant is a refusal recorded for that account', async () => {
    const tokens = tokenProvider();
    const a = await accountWithPosts('tiktok', 1);
    const narrow = tiktok.issueToken(a.token.platformUserId, { scopes: ['user.info.basic'] });
    tokens.access.set(a.id, { ...a.token, accessToken: narrow });
    const p = await puller(tokens.provider);
    const report = await p.pull();
    expect(report.failures[0]).toMatchObject({
      failure: 'refused',
      platformCode: 'scope_not_authorized',
      accountId: a.id,
    });
    const events = (await openPullEvents('tiktok')).filter((e) => e.context.scope === a.id);
    expect(events).toHaveLength(1);
    expect(tokens.rejected).toEqual([]);
    await p.close();
  });

  it('never lets a token reach the log, an event, a snapshot or the report', async () => {
    const tokens = tokenProvider();
    const tt = await accountWithPosts('tiktok', 3, { token: canary('tiktok-token') });
    const ig = await accountWithPosts('instagram', 2, { token: canary('instagram-token') });
    tokens.access.set(tt.id, tt.token);
    tokens.access.set(ig.id, ig.token);
    const p = await puller(tokens.provider);
    const reports = [await p.pull()];
    // Failures too: an outage, then an expired token, each with its messages.
    await t.pool.query(`DELETE FROM metric_snapshots WHERE account_id = ANY($1::uuid[])`, [[tt.id, ig.id]]);
    tiktok.fault = { kind: 'down', status: 500 };
    instagram.expireToken(ig.token.accessToken);
    reports.push(await p.pull());
    tiktok.fault = { kind: 'none' };
    await p.close();
    expect(findCanaries(logged)).toEqual([]);
    expect(findCanaries(JSON.stringify(reports))).toEqual([]);
    expect(await scanDatabaseForCanaries(t.pool)).toEqual([]);
    const snapshots = await t.pool.query(`SELECT row_to_json(s)::text AS text FROM metric_snapshots s`);
    expect(findCanaries(snapshots.rows.map((r) => r.text).join('\n'))).toEqual([]);
    expect(reports[0]).toMatchObject({ read: 5 });
  });
});

describe('pulls in two processes at once', () => {
  /** The second process's connections. */
  let second: { db: Db; pool: typeof t.pool };
  beforeAll(() => {
    const pool = createPool(
      { url: t.url },
      { min: 0, max: 5, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'sovi test 2' },
      quietLogger,
    );
    second = { db: createDb(pool), pool };
  });
  afterAll(async () => {
    await second.db.destroy();
  });

  it('take from one budget: together they stay within the platform’s limit', async () => {
    const tokens = tokenProvider();
    for (let i = 0; i < 3; i++) {
      const a = await accountWithPosts('tiktok', 25);
      tokens.access.set(a.id, a.token);
    }
    // Each pull alone would make 9 calls (two video queries and one user info per account): the fake takes
    // 4 per endpoint a minute, sovi's budget 4 a minute for the app.
    tiktok.setRateLimit(4);
    const options = { budgets: { tiktok: { calls: 4, windowMs: 60_000 } } };
    const [a, b] = await Promise.all([
      puller(tokens.provider, options),
      puller(tokens.provider, options, undefined, second),
    ]);
    const before = tiktok.requests.length;
    const reports = await Promise.all([a.pull(), b.pull()]);
    const made = tiktok.requests.slice(before);
    expect(made).toHaveLength(4);
    expect(made.filter((r) => r.status === 429)).toEqual([]);
    expect(reports[0].calls + reports[1].calls).toBe(4);
    for (const report of reports) {
      expect(report.failures).toEqual([]);
      expect(report.deferred).toBeGreaterThan(0);
    }
    await Promise.all([a.close(), b.close()]);
  });

  it('take from one budget per token', async () => {
    const tokens = tokenProvider();
    const account = await accountWithPosts('instagram', 6);
    tokens.access.set(account.id, account.token);
    instagram.setUserLimit(3);
    const options = { budgets: { instagram: { calls: 3, windowMs: 3_600_000 } } };
    const [a, b] = await Promise.all([
      puller(tokens.provider, options),
      puller(tokens.provider, options, undefined, second),
    ]);
    const before = instagram.requests.length;
    const reports = await Promise.all([a.pull(), b.pull()]);
    const made = instagram.requests.slice(before);
    expect(made).toHaveLength(3);
    expect(made.every((r) => r.status === 200)).toBe(true);
    expect(reports[0].calls + reports[1].calls).toBe(3);
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('a rate limit one process met stops the other’s pull before it calls', async () => {
    const tokens = tokenProvider();
    // Two video queries: the fake answers the second with 429.
    const account = await accountWithPosts('tiktok', 25);
    tokens.access.set(account.id, account.token);
    tiktok.setRateLimit(1);
    const a = await puller(tokens.provider);
    const b = await puller(tokens.provider, {}, undefined, second);
    const first = await a.pull();
    expect(first.failures).toEqual([expect.objectContaining({ failure: 'rate_limited' })]);
    const before = tiktok.requests.length;
    expect(await b.pull()).toMatchObject({ calls: 0, read: 0, deferred: 5, failures: [] });
    expect(tiktok.requests.length).toBe(before);
    await Promise.all([a.close(), b.close()]);
  });

  it('X-App-Usage near the ceiling in one process stops every token in the other', async () => {
    const tokens = tokenProvider();
    const first = await accountWithPosts('instagram', 2);
    const other = await accountWithPosts('instagram', 2);
    tokens.access.set(first.id, first.token);
    instagram.setAppLimit(1);
    const a = await puller(tokens.provider);
    const report = await a.pull();
    expect(report.failures).toEqual([expect.objectContaining({ failure: 'rate_limited' })]);
    // The other account's token, read by the other process (whose collector has seen no X-App-Usage).
    tokens.access.delete(first.id);
    tokens.access.set(other.id, other.token);
    const b = await puller(tokens.provider, {}, undefined, second);
    const before = instagram.requests.length;
    expect(await b.pull()).toMatchObject({ calls: 0, read: 0, failures: [] });
    expect(instagram.requests.length).toBe(before);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('the simulator collector', () => {
  it('is the default, needs no connection, and its numbers grow with a post’s age', async () => {
    const account = await factories.account(t.pool, {
      platform: 'instagram',
      current_state: 'active',
      niche_id: niche,
    });
    const content = await factories.content(t.pool, { niche_id: niche });
    const d = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      platform: 'instagram',
      status: 'posted',
      platform_post_id: 'sim_post_1',
      posted_at: new Date(Date.now() - 3 * 3_600_000),
    });
    // A post a real publisher made: the simulator never invents numbers for it.
    await factories.distribution(t.pool, {
      content_id: (await factories.content(t.pool, { niche_id: niche })).id,
      account_id: account.id,
      platform: 'instagram',
      status: 'posted',
      platform_post_id: '17912345678901234',
      posted_at: new Date(Date.now() - 3 * 3_600_000),
    });
    const pullAt = async (now: Date): Promise<MetricsPuller> =>
      createMetricsPuller({
        db: t.db,
        pool: t.pool,
        logger,
        settings: { ...defaultMetricsPullSettings, collectorOptions: { seed: 7, now: now.toISOString() } },
        ingest: defaultIngestSettings,
      });
    const now = new Date(Date.now() - 2 * 3_600_000);
    const first = await pullAt(now);
    expect(first.collectors).toEqual({ tiktok: 'simulator', instagram: 'simulator' });
    expect(await first.pull({ accountId: String(account.id), now })).toMatchObject({
      due: 2,
      read: 1,
      inserted: 1,
    });
    const later = new Date(now.getTime() + 2 * 3_600_000);
    const second = await pullAt(later);
    expect(await second.pull({ accountId: String(account.id), now: later })).toMatchObject({
      read: 1,
      inserted: 1,
    });
    const { rows } = await t.pool.query(
      `SELECT views, likes FROM metric_snapshots WHERE distribution_id = $1 ORDER BY time`,
      [d.id],
    );
    expect(rows).toHaveLength(2);
    expect(rows[1].views).toBeGreaterThan(rows[0].views);
  });
});
