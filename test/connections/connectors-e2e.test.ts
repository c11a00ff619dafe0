// Connect → publish → status against the local fakes of TikTok's and Instagram's official APIs, through the
// real API (connect, callback, connections) and the real publishing path (publishDistribution).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { findCanaries } from '../helpers/canary.ts';
import {
  MB,
  connectAccount,
  distribution,
  eventsOf,
  pendingPost,
  publish,
  startHarness,
  videoFile,
  type Harness,
} from './connector-harness.ts';

const t = useTestDatabase();
let h: Harness;

beforeAll(async () => {
  h = await startHarness(t);
});
afterAll(async () => h?.close());

describe('TikTok through the Content Posting API', () => {
  it('connects with PKCE, uploads in declared chunks, polls until complete, and records the post once', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'tiktok');
    const listed = await h.api.call('GET', '/api/v1/connections?platform=tiktok');
    const mine = listed
      .json<{
        connections: { accountId: string; status: string; scopes: string[]; platformUserId: string }[];
      }>()
      .connections.find((c) => c.accountId === accountId);
    expect(mine).toMatchObject({ status: 'connected', platformUserId });
    expect(mine!.scopes).toContain('video.publish');
    expect(listed.body).not.toMatch(/canary-tiktok-(access|refresh)/);
    const audit = await t.pool.query<{ actor: string; changes: Record<string, unknown> }>(
      `SELECT actor, changes FROM audit_log WHERE action = 'account.connect' AND target_id = $1`,
      [accountId],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.changes).toEqual({ access_token: 'changed', refresh_token: 'changed' });

    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 12 * MB));
    const putsBefore = [...h.tiktok.calls.entries()]
      .filter(([k]) => k.startsWith('PUT '))
      .reduce((s, [, v]) => s + v, 0);
    const outcome = await publish(h, t, id);
    expect(outcome.status).toBe('posted');
    const puts = [...h.tiktok.calls.entries()]
      .filter(([k]) => k.startsWith('PUT '))
      .reduce((s, [, v]) => s + v, 0);
    expect(puts - putsBefore).toBe(2); // 12 MB: a 5 MB chunk and a final 7 MB one.
    const post = [...h.tiktok.publishes.values()].find((p) => p.openId === platformUserId)!;
    expect(post.status).toBe('PUBLISH_COMPLETE');
    expect(post.postInfo).toMatchObject({
      privacy_level: 'PUBLIC_TO_EVERYONE',
      is_aigc: true,
      brand_content_toggle: false,
    });
    expect(String(post.postInfo.title)).toContain('#focus');
    const row = await distribution(t, id);
    expect(row).toMatchObject({ status: 'posted', platform_post_id: post.postId });

    // The same key again posts nothing more.
    const inits = h.tiktok.count('POST', '/v2/post/publish/video/init/');
    expect(await publish(h, t, id)).toEqual({ status: 'settled' });
    const again = await h.publisher.publish({
      idempotencyKey: id,
      platform: 'tiktok',
      account: { id: accountId, username: 'x' },
      videoPath: '/nonexistent',
      videoKey: 'nonexistent/video.mp4',
      caption: '',
      hashtags: [],
      options: {
        privacyLevel: 'public',
        allowComments: true,
        allowDuet: true,
        allowStitch: true,
        brandedContent: false,
        brandOrganic: false,
        aiGenerated: true,
      },
      scheduledAt: null,
      signal: new AbortController().signal,
    });
    expect(again.platformPostId).toBe(post.postId);
    expect(h.tiktok.count('POST', '/v2/post/publish/video/init/')).toBe(inits);
    const conn = await h.api.call('GET', '/api/v1/connections?platform=tiktok');
    expect(
      conn
        .json<{ connections: { accountId: string; lastCallAt: string | null }[] }>()
        .connections.find((c) => c.accountId === accountId)!.lastCallAt,
    ).not.toBeNull();
  });

  it('posts privately when the client is unaudited, and says so on the connection', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'tiktok', {
      unauditedClient: true,
      privacyLevelOptions: ['SELF_ONLY'],
    });
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
    expect((await publish(h, t, id)).status).toBe('posted');
    const post = [...h.tiktok.publishes.values()].find((p) => p.openId === platformUserId)!;
    expect(post.postInfo.privacy_level).toBe('SELF_ONLY');
    const listed = await h.api.call('GET', '/api/v1/connections');
    const mine = listed
      .json<{ connections: { accountId: string; postingNote: string | null }[] }>()
      .connections.find((c) => c.accountId === accountId)!;
    expect(mine.postingNote).toMatch(/only private posts/);
    const [published] = await eventsOf(t, 'post_published', accountId);
    expect(published!.message).toMatch(/only private posts \(SELF_ONLY\)/);
    expect(await distribution(t, id)).toMatchObject({ platform_post_id: post.id }); // A private post has no public id.
  });

  it('fails a post TikTok fails in processing, with TikTok’s reason', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB, false));
    const outcome = await publish(h, t, id);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { reason: string }).reason).toContain('file_format_check_failed');
    const [failed] = await eventsOf(t, 'post_failed', accountId);
    expect(failed!.context).toMatchObject({ platformCode: 'file_format_check_failed', retryable: false });
  });
});

describe('Instagram through content publishing', () => {
  it('connects (short → long-lived token), creates a REELS container, polls it, publishes, records the media id', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'instagram');
    const id = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 2 * MB));
    const outcome = await publish(h, t, id);
    expect(outcome.status).toBe('posted');
    const media = h.instagram.published.find((p) => p.userId === platformUserId)!;
    expect(await distribution(t, id)).toMatchObject({ status: 'posted', platform_post_id: media.mediaId });
    const container = h.instagram.containers.get(media.containerId)!;
    expect(container.caption).toContain('#habits');
    expect(container.bytes).toBe(2 * MB);
    expect(
      h.instagram.count('GET', `/v23.0/${platformUserId}/content_publishing_limit`),
    ).toBeGreaterThanOrEqual(1);
  });

  it('defers a post when the account is at its publishing limit, without creating a container', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'instagram');
    const first = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 1 * MB));
    expect((await publish(h, t, first)).status).toBe('posted');
    h.instagram.options.quotaTotal = 1;
    try {
      const containers = h.instagram.count('POST', `/v23.0/${platformUserId}/media`);
      const second = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 1 * MB));
      expect(await publish(h, t, second)).toMatchObject({
        status: 'deferred',
        reason: expect.stringMatching(/24 hours/),
      });
      expect(h.instagram.count('POST', `/v23.0/${platformUserId}/media`)).toBe(containers);
      expect(await distribution(t, second)).toMatchObject({ status: 'pending', attempts: 0 });
      expect((await eventsOf(t, 'post_deferred', accountId)).length).toBe(1);
    } finally {
      h.instagram.options.quotaTotal = 100;
    }
  });

  it('fails a post whose container Instagram could not process, with Instagram’s words', async () => {
    const { accountId } = await connectAccount(h, t, 'instagram');
    h.instagram.options.failProcessing = 'The video codec is not supported (2207011)';
    const id = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 1 * MB));
    const outcome = await publish(h, t, id);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { reason: string }).reason).toContain('codec is not supported');
  });
});

describe('secrets', () => {
  it('never reach the log, the events or the API’s answers', async () => {
    const secrets = [...h.tiktok.issuedSecrets(), ...h.instagram.issuedSecrets()];
    expect(secrets.length).toBeGreaterThan(4);
    const { rows } = await t.pool.query<{ text: string }>(`
      SELECT row_to_json(e)::text AS text FROM system_events e
      UNION ALL SELECT row_to_json(p)::text FROM platform_publishes p
      UNION ALL SELECT row_to_json(a)::text FROM audit_log a`);
    const listing = (await h.api.call('GET', '/api/v1/connections')).body;
    const haystack = [h.api.log(), listing, ...rows.map((r) => r.text)].join('\n');
    for (const secret of secrets)
      expect(haystack.includes(secret), 'a token or app secret leaked').toBe(false);
    expect(findCanaries(haystack)).toEqual([]);
  });
});
