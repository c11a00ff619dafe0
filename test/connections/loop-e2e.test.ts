// The loop, end to end, per platform, against one fake per platform (publishing and metrics at one URL, to the
// same tokens: test/fakes/platform-loop.ts): connect through OAuth → publish through the official publisher
// → pull the post's counts with the tokens the connections domain hands out (connectionTokens, as `sovi up`
// and `sovi metrics pull` wire it) → snapshots → rollups → hook feedback ranks the hook whose posts did well.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionTokens } from '../../src/connections/connection-tokens.ts';
import { recomputeHookScores } from '../../src/metrics/hook-feedback.ts';
import { createMetricsPuller } from '../../src/metrics/metrics-puller.ts';
import { refreshRollups } from '../../src/metrics/rollup-refresh.ts';
import { defaultIngestSettings } from '../../src/metrics/snapshot-ingest.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { joinInstagramInsights, joinTikTokDisplay, type Audience } from '../fakes/platform-loop.ts';
import type { FakeInstagram } from '../fakes/instagram-graph-api.ts';
import type { FakeTikTok } from '../fakes/tiktok-display-api.ts';
import {
  connectAccount,
  pendingPost,
  publish,
  startHarness,
  videoFile,
  type Harness,
} from './connector-harness.ts';

const t = useTestDatabase();
let h: Harness;
let display: FakeTikTok;
let insights: FakeInstagram;

// The audience likes the posts made with the strong hook.
const audience: Audience = (caption) =>
  caption.includes('strong')
    ? { views: 2_000, likes: 400, comments: 30, shares: 12, saved: 25 }
    : { views: 2_000, likes: 20, comments: 2, shares: 1, saved: 1 };

beforeAll(async () => {
  h = await startHarness(t, {
    SOVI_METRICS_COLLECTOR_TIKTOK: 'official',
    SOVI_METRICS_COLLECTOR_INSTAGRAM: 'official',
  });
  display = await joinTikTokDisplay(h.tiktok, audience);
  insights = await joinInstagramInsights(h.instagram, audience);
});
afterAll(async () => {
  await h?.close();
  await display?.close();
  await insights?.close();
});

/** The puller as the process wires it: the configured collectors, tokens from the connections domain. */
const puller = () =>
  createMetricsPuller({
    db: t.db,
    pool: t.pool,
    logger: quietLogger,
    settings: h.api.config.metricsPull,
    ingest: defaultIngestSettings,
    tokens: connectionTokens({
      db: t.db,
      vault: h.api.vault,
      settings: h.api.config.connectors,
      logger: quietLogger,
    }),
  });

async function pullOnce(accountId: string) {
  const p = await puller();
  try {
    return await p.pull({ accountId });
  } finally {
    await p.close();
  }
}

/** Connects an account and publishes four posts, two per hook, through the official publisher. */
async function connectAndPublish(platform: 'tiktok' | 'instagram') {
  const { accountId, platformUserId } = await connectAccount(h, t, platform);
  if (platform === 'tiktok') display.setFollowers(platformUserId, 4_321);
  else insights.setFollowers(platformUserId, 4_321);
  const strong = await factories.hook(t.pool, { template: `strong ${platform} {topic}` });
  const weak = await factories.hook(t.pool, { template: `weak ${platform} {topic}` });
  const posts: string[] = [];
  for (const hook of [strong, weak, strong, weak]) {
    const id = await pendingPost(t, accountId, platform, videoFile(h.mediaDir, 64 * 1024));
    const caption = hook === strong ? 'a strong hook' : 'a weak hook';
    await t.pool.query(
      `WITH d AS (UPDATE distributions SET caption = $2 WHERE id = $1 RETURNING content_id)
       UPDATE content SET hook_id = $3 FROM d WHERE content.id = d.content_id`,
      [id, caption, hook.id],
    );
    expect(await publish(h, t, id)).toMatchObject({ status: 'posted' });
    posts.push(id);
  }
  return { accountId, platformUserId, posts, strong: String(strong.id), weak: String(weak.id) };
}

/** Snapshots → rollups → hook scores: the strong hook ranks above the weak one on `platform`. */
async function expectFeedback(platform: string, posts: string[], strong: string, weak: string) {
  const snapshots = await t.pool.query(
    `SELECT likes, views, saves, follower_count_at FROM metric_snapshots
     WHERE distribution_id = ANY($1::uuid[]) ORDER BY likes`,
    [posts],
  );
  expect(snapshots.rows.map((r) => r.likes)).toEqual([20, 20, 400, 400]);
  expect(snapshots.rows.every((r) => r.views === 2_000 && r.follower_count_at === 4_321)).toBe(true);
  expect(snapshots.rows.map((r) => r.saves)).toEqual(
    platform === 'instagram' ? [1, 1, 25, 25] : [null, null, null, null], // TikTok offers no saves.
  );
  await refreshRollups(t.pool, { lateWindowHours: 72 });
  const daily = await t.pool.query(
    `SELECT count(*)::int AS n FROM metrics_daily WHERE distribution_id = ANY($1::uuid[])`,
    [posts],
  );
  expect(daily.rows[0].n).toBe(4);
  await recomputeHookScores(t.db, { windowDays: 30 });
  const scores = Object.fromEntries(
    (
      await t.pool.query(
        `SELECT id, effectiveness_score, platform_scores FROM hooks WHERE id = ANY($1::uuid[])`,
        [[strong, weak]],
      )
    ).rows.map((r) => [r.id, r]),
  );
  expect(scores[strong].effectiveness_score).toBeGreaterThan(scores[weak].effectiveness_score);
  expect(scores[strong].platform_scores[platform]).toMatchObject({ samples: 2 });
}

describe('the loop through the official APIs', () => {
  it('TikTok: connect → chunked upload, status → Display API counts with a refreshed token → rollups → feedback', async () => {
    const { accountId, posts, strong, weak } = await connectAndPublish('tiktok');

    // The token expires before the pull: TikTok refuses it, connectionTokens refreshes it once, and the next
    // pull reads with the new one.
    h.tiktok.expireAccessTokens();
    const refreshes = h.tiktok.count('POST', '/v2/oauth/token/');
    const refused = await pullOnce(accountId);
    expect(refused).toMatchObject({ due: 4, read: 0 });
    expect(refused.failures).toMatchObject([
      { failure: 'unauthorized', platformCode: 'access_token_invalid' },
    ]);
    expect(h.tiktok.count('POST', '/v2/oauth/token/')).toBe(refreshes + 1);
    const connection = await t.pool.query(
      `SELECT status, last_call_at FROM platform_connections WHERE account_id = $1`,
      [accountId],
    );
    expect(connection.rows[0].status).toBe('connected');

    const queries = display.callsTo('/v2/video/query/');
    const report = await pullOnce(accountId);
    expect(report).toMatchObject({ due: 4, read: 4, inserted: 4, failures: [] });
    expect(display.callsTo('/v2/video/query/') - queries).toBe(1); // Four ids in one query.
    const followers = await t.pool.query(`SELECT followers FROM accounts WHERE id = $1`, [accountId]);
    expect(followers.rows[0].followers).toBe(4_321);
    await expectFeedback('tiktok', posts, strong, weak);
  });

  it('Instagram: connect → REELS container, status, media_publish → insights → rollups → feedback', async () => {
    const { accountId, posts, strong, weak } = await connectAndPublish('instagram');
    const report = await pullOnce(accountId);
    expect(report).toMatchObject({ due: 4, read: 4, inserted: 4, failures: [] });
    expect(insights.callsTo('/insights')).toBe(4); // One media a call.
    const connection = await t.pool.query(
      `SELECT status, last_call_at FROM platform_connections WHERE account_id = $1`,
      [accountId],
    );
    expect(connection.rows[0]).toMatchObject({ status: 'connected', last_call_at: expect.any(Date) });
    await expectFeedback('instagram', posts, strong, weak);
  });
});
