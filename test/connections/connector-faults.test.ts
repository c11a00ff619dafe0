// The connectors under the platforms' faults: expired and revoked tokens, rate limits, dropped connections,
// 5xx answers, and a worker stopped mid-post. Against the local fakes, with the real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDueConnections } from '../../src/connections/connections-service.ts';
import { RetryLater } from '../../src/errors.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
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

const tokenCalls = () => h.tiktok.count('POST', '/v2/oauth/token/');
const deps = () => ({ db: t.db, vault: h.api.vault, settings: h.api.config.connectors, logger: quietLogger });
const status = async (accountId: string) =>
  (
    await t.pool.query<{ status: string; access_token_enc: Buffer }>(
      'SELECT status, access_token_enc FROM platform_connections WHERE account_id = $1',
      [accountId],
    )
  ).rows[0]!;

/** Waits until the post's progress at the platform has reached processing. */
const untilProcessing = (id: string, what: string) =>
  until(
    what,
    async () => {
      const { rows } = await t.pool.query<{ stage: string }>(
        'SELECT stage FROM platform_publishes WHERE distribution_id = $1',
        [id],
      );
      return rows[0]?.stage === 'processing' ? true : undefined;
    },
    { intervalMs: 20 },
  );

describe('tokens', () => {
  it('a token that expired mid-publish is refreshed and the post goes on', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
    h.tiktok.expireAccessTokens();
    const before = tokenCalls();
    expect((await publish(h, t, id)).status).toBe('posted');
    expect(tokenCalls()).toBe(before + 1);
    expect((await status(accountId)).status).toBe('connected');
  });

  it('an Instagram token about to expire is refreshed with itself before the post', async () => {
    const { accountId } = await connectAccount(h, t, 'instagram');
    await t.pool.query(
      `UPDATE platform_connections SET access_expires_at = now() + interval '2 minutes' WHERE account_id = $1`,
      [accountId],
    );
    const refreshes = h.instagram.count('GET', '/refresh_access_token');
    const id = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 1 * MB));
    expect((await publish(h, t, id)).status).toBe('posted');
    expect(h.instagram.count('GET', '/refresh_access_token')).toBe(refreshes + 1);
    const { rows } = await t.pool.query<{ expires: Date }>(
      'SELECT access_expires_at AS expires FROM platform_connections WHERE account_id = $1',
      [accountId],
    );
    expect(rows[0]!.expires.getTime()).toBeGreaterThan(Date.now() + 50 * 86_400_000);
  });

  it('a revoked refresh marks the connection reauth_needed once, and nothing retries it', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    const sealedBefore = (await status(accountId)).access_token_enc;
    h.tiktok.options.revokeRefresh = true;
    try {
      h.tiktok.expireAccessTokens();
      const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
      const outcome = await publish(h, t, id);
      expect(outcome).toMatchObject({ status: 'failed' });
      expect((outcome as { reason: string }).reason).toMatch(/reconnect/);
      const row = await status(accountId);
      expect(row.status).toBe('reauth_needed');
      // The failed refresh left the stored token as it was.
      expect(Buffer.compare(row.access_token_enc, sealedBefore)).toBe(0);
      // The refresh job skips it: no call, no second event, however often it runs.
      const calls = tokenCalls();
      await t.pool.query(`UPDATE platform_connections SET access_expires_at = now() WHERE account_id = $1`, [
        accountId,
      ]);
      await refreshDueConnections(deps());
      await refreshDueConnections(deps());
      expect(tokenCalls()).toBe(calls);
      expect(await eventsOf(t, 'connection_reauth_needed', accountId)).toHaveLength(1);
      // And a later post for it fails at once, without calling TikTok.
      const inits = h.tiktok.count('POST', '/v2/post/publish/creator_info/query/');
      const next = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
      expect(await publish(h, t, next)).toMatchObject({ status: 'failed' });
      expect(h.tiktok.count('POST', '/v2/post/publish/creator_info/query/')).toBe(inits);
    } finally {
      h.tiktok.options.revokeRefresh = false;
    }
  });

  it('a token that expires between the upload and the status polls is refreshed, and the polls go on', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'tiktok');
    // TikTok processes until the test lets it finish, so that the expiry lands between upload and completion.
    h.tiktok.options.processingMs = 10 * 60_000;
    try {
      const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
      const before = tokenCalls();
      const running = publish(h, t, id);
      await untilProcessing(id, 'the post to be processing at TikTok');
      h.tiktok.expireAccessTokens();
      // The next status poll is refused; sovi refreshes the token and polls on with the new one.
      await until('the token to be refreshed', async () => (tokenCalls() > before ? true : undefined), {
        intervalMs: 20,
      });
      const mine = () => [...h.tiktok.publishes.values()].filter((p) => p.openId === platformUserId);
      mine()[0]!.readyAt = Date.now();
      expect((await running).status).toBe('posted');
      expect(tokenCalls()).toBe(before + 1);
      expect((await status(accountId)).status).toBe('connected');
      // One initialisation and one upload: the refresh resumed the polls, it did not start the post again.
      expect(mine().map((p) => p.status)).toEqual(['PUBLISH_COMPLETE']);
    } finally {
      h.tiktok.options.processingMs = 200;
    }
  });

  it('an Instagram token revoked by its owner marks the connection reauth_needed once: no retry storm', async () => {
    const { accountId } = await connectAccount(h, t, 'instagram');
    const sealedBefore = (await status(accountId)).access_token_enc;
    // The owner removed the app: every token the fake issued so far stops working, refreshes too.
    h.instagram.revokeTokens();
    const graphCalls = () => [...h.instagram.calls.values()].reduce((n, c) => n + c, 0);
    const refreshes = () => h.instagram.count('GET', '/refresh_access_token');
    const refreshesBefore = refreshes();
    const id = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 1 * MB));
    const outcome = await publish(h, t, id);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { reason: string }).reason).toMatch(/reconnect/);
    expect(refreshes()).toBe(refreshesBefore + 1);
    const row = await status(accountId);
    expect(row.status).toBe('reauth_needed');
    expect(Buffer.compare(row.access_token_enc, sealedBefore)).toBe(0);
    // Neither the refresh job nor later posts call Instagram again for it, and the event stays one.
    const calls = graphCalls();
    await t.pool.query(`UPDATE platform_connections SET access_expires_at = now() WHERE account_id = $1`, [
      accountId,
    ]);
    await refreshDueConnections(deps());
    await refreshDueConnections(deps());
    for (let i = 0; i < 3; i++) {
      const next = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 64 * 1024));
      expect(await publish(h, t, next)).toMatchObject({ status: 'failed' });
    }
    expect(graphCalls()).toBe(calls);
    expect(await eventsOf(t, 'connection_reauth_needed', accountId)).toHaveLength(1);
  });

  it('the refresh job refreshes tokens near expiry, and a 5xx is counted and tried again, never wiping the token', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    await t.pool.query(
      `UPDATE platform_connections SET access_expires_at = now() + interval '10 minutes' WHERE account_id = $1`,
      [accountId],
    );
    const sealed = (await status(accountId)).access_token_enc;
    h.tiktok.faults.serverErrors.set('/v2/oauth/token/', 100);
    const failed = await refreshDueConnections(deps());
    h.tiktok.faults.serverErrors.set('/v2/oauth/token/', 0);
    expect(failed.failed).toBeGreaterThanOrEqual(1);
    const after = await t.pool.query<{ status: string; refresh_failures: number; access_token_enc: Buffer }>(
      'SELECT status, refresh_failures, access_token_enc FROM platform_connections WHERE account_id = $1',
      [accountId],
    );
    expect(after.rows[0]).toMatchObject({ status: 'connected', refresh_failures: 1 });
    expect(Buffer.compare(after.rows[0]!.access_token_enc, sealed)).toBe(0);
    const ok = await refreshDueConnections(deps());
    expect(ok.refreshed).toBeGreaterThanOrEqual(1);
    const refreshed = await t.pool.query<{ refresh_failures: number; expires: Date }>(
      'SELECT refresh_failures, access_expires_at AS expires FROM platform_connections WHERE account_id = $1',
      [accountId],
    );
    expect(refreshed.rows[0]!.refresh_failures).toBe(0);
    expect(refreshed.rows[0]!.expires.getTime()).toBeGreaterThan(Date.now() + 3_600_000);
  });
});

describe('rate limits', () => {
  /** A small TikTok post of the account, pending. */
  const smallPost = (accountId: string) =>
    pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 64 * 1024));

  /** Publishes `count` posts of the account one after another, each posted: as many initialisations. */
  async function postInARow(accountId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++)
      expect((await publish(h, t, await smallPost(accountId))).status).toBe('posted');
  }

  it('keeps TikTok publish initialisations under 6 a minute per account: the 7th is deferred with no call', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    await postInARow(accountId, 6);
    const inits = h.tiktok.count('POST', '/v2/post/publish/video/init/');
    const seventh = await smallPost(accountId);
    const outcome = await publish(h, t, seventh);
    expect(outcome).toMatchObject({ status: 'deferred' });
    // Until the first of the six leaves the one-minute window: within a minute, not on a retry's backoff.
    const waitMs = (outcome as { until: Date }).until.getTime() - Date.now();
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(60_000);
    expect(h.tiktok.count('POST', '/v2/post/publish/video/init/')).toBe(inits);
    expect(await distribution(t, seventh)).toMatchObject({ status: 'pending', attempts: 0 });
    const [deferred] = await eventsOf(t, 'post_deferred', accountId);
    expect(deferred!.context).toMatchObject({ platformCode: 'rate_limit_exceeded' });
  });

  it("gives an account's last slot of the minute to one of the posts published at once", async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    await postInARow(accountId, 5);
    const inits = h.tiktok.count('POST', '/v2/post/publish/video/init/');
    // Three posts of the account at once, as three workers would publish them: one slot is left.
    const posts = await Promise.all([1, 2, 3].map(() => smallPost(accountId)));
    const outcomes = await Promise.all(posts.map((id) => publish(h, t, id)));
    expect(outcomes.map((o) => o.status).sort()).toEqual(['deferred', 'deferred', 'posted']);
    expect(h.tiktok.count('POST', '/v2/post/publish/video/init/')).toBe(inits + 1);
  });
});

describe('interrupted posts', () => {
  it('a dropped connection mid-upload is retried from the bytes TikTok has, with one initialisation', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'tiktok');
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 16 * MB));
    const inits = h.tiktok.count('POST', '/v2/post/publish/video/init/');
    // Drop the second chunk's connection once: the first attempt fails as transient. Every chunk sent is
    // noted, so the resumed upload is seen to start at the chunk TikTok lacks.
    let dropped = 0;
    const ranges: string[] = [];
    h.tiktok.faults.dropWhen = (req) => {
      if (req.method !== 'PUT') return false;
      const range = String(req.headers['content-range']);
      ranges.push(range);
      return range.startsWith(`bytes ${5 * MB}-`) && dropped++ === 0;
    };
    try {
      await expect(publish(h, t, id)).rejects.toBeInstanceOf(RetryLater);
    } finally {
      h.tiktok.faults.dropWhen = undefined;
    }
    expect(dropped).toBeGreaterThanOrEqual(1);
    expect(await distribution(t, id)).toMatchObject({ status: 'pending' });
    try {
      h.tiktok.faults.dropWhen = (req) => {
        if (req.method === 'PUT') ranges.push(String(req.headers['content-range']));
        return false;
      };
      expect((await publish(h, t, id)).status).toBe('posted');
    } finally {
      h.tiktok.faults.dropWhen = undefined;
    }
    // 16 MB in 5 MB chunks (the last takes 6 MB): the first chunk once, the dropped second one again, the last.
    expect(ranges).toEqual([
      `bytes 0-${5 * MB - 1}/${16 * MB}`,
      `bytes ${5 * MB}-${10 * MB - 1}/${16 * MB}`,
      `bytes ${5 * MB}-${10 * MB - 1}/${16 * MB}`,
      `bytes ${10 * MB}-${16 * MB - 1}/${16 * MB}`,
    ]);
    expect(h.tiktok.count('POST', '/v2/post/publish/video/init/')).toBe(inits + 1);
    const mine = [...h.tiktok.publishes.values()].filter((p) => p.openId === platformUserId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.status).toBe('PUBLISH_COMPLETE');
  });

  it('a worker stopped while TikTok processes resumes polling and never posts twice', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'tiktok');
    h.tiktok.options.processingMs = 3_000;
    try {
      const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
      const stop = new AbortController();
      const first = publish(h, t, id, stop.signal);
      await untilProcessing(id, 'the post to be processing at TikTok');
      stop.abort(new Error('the worker is stopping'));
      await expect(first).rejects.toThrow();
      expect(await distribution(t, id)).toMatchObject({ status: 'pending' });
      h.tiktok.options.processingMs = 100;
      expect((await publish(h, t, id)).status).toBe('posted');
      expect([...h.tiktok.publishes.values()].filter((p) => p.openId === platformUserId)).toHaveLength(1);
    } finally {
      h.tiktok.options.processingMs = 200;
    }
  });

  it('an Instagram worker stopped while the container processes resumes it: one container, one post', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'instagram');
    h.instagram.options.processingMs = 3_000;
    try {
      const id = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 1 * MB));
      const stop = new AbortController();
      const first = publish(h, t, id, stop.signal);
      await untilProcessing(id, 'the container to be processing');
      stop.abort(new Error('the worker is stopping'));
      await expect(first).rejects.toThrow();
      expect((await publish(h, t, id)).status).toBe('posted');
      expect([...h.instagram.containers.values()].filter((c) => c.userId === platformUserId)).toHaveLength(1);
      expect(h.instagram.published.filter((p) => p.userId === platformUserId)).toHaveLength(1);
    } finally {
      h.instagram.options.processingMs = 150;
    }
  });

  it('a 5xx from TikTok is a retryable failure, not a lost post', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    h.tiktok.faults.serverErrors.set('/v2/post/publish/creator_info/query/', 1);
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
    await expect(publish(h, t, id)).rejects.toBeInstanceOf(RetryLater);
    expect((await publish(h, t, id)).status).toBe('posted');
  });
});

describe('platform answers', () => {
  it('a platform slower than SOVI_PLATFORM_TIMEOUT_MS is a retryable failure at any step, and the post is made once', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'tiktok');
    const impatient = await h.publisherWith({ requestTimeoutMs: 1_000 });
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB));
    const retryLater = (what: string) =>
      publish(h, t, id, undefined, 3, impatient).then(
        (outcome) => expect.fail(`${what}: expected a retryable failure, got ${JSON.stringify(outcome)}`),
        (err: unknown) => {
          expect(err, what).toBeInstanceOf(RetryLater);
          expect(String((err as Error).message), what).toMatch(/1000 ms/);
        },
      );
    // Held far past the deadline (a held request ends when sovi hangs up).
    const slow = (path: string) => (h.tiktok.faults.delayWhen = (req) => (req.path === path ? 60_000 : 0));
    try {
      slow('/v2/post/publish/video/init/');
      await retryLater('a slow initialisation');
      slow('/v2/post/publish/status/fetch/');
      await retryLater('a slow status answer');
      expect(await distribution(t, id)).toMatchObject({ status: 'pending' });
    } finally {
      h.tiktok.faults.delayWhen = undefined;
    }
    // Answering in time again, TikTok gets the post from where it stands.
    expect((await publish(h, t, id)).status).toBe('posted');
    const mine = [...h.tiktok.publishes.values()].filter((p) => p.openId === platformUserId);
    expect(mine.filter((p) => p.status === 'PUBLISH_COMPLETE')).toHaveLength(1);
    expect(mine.filter((p) => p.received.size > 0)).toHaveLength(1);
  });

  it('a privacy level TikTok does not offer fails the post with privacy_level_option_mismatch and what to do', async () => {
    // sovi's own check: creator_info offers no public posts to this creator.
    const { accountId } = await connectAccount(h, t, 'tiktok', {
      privacyLevelOptions: ['MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'],
    });
    const inits = () => h.tiktok.count('POST', '/v2/post/publish/video/init/');
    const before = inits();
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 64 * 1024));
    const outcome = await publish(h, t, id);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { reason: string }).reason).toMatch(
      /privacy PUBLIC_TO_EVERYONE.*offered: MUTUAL_FOLLOW_FRIENDS, SELF_ONLY/,
    );
    expect(inits()).toBe(before);
    expect(await distribution(t, id)).toMatchObject({ status: 'failed' });

    // TikTok's own refusal: the creator's options change between creator_info and the initialisation.
    const { accountId: other, platformUserId } = await connectAccount(h, t, 'tiktok');
    const creator = h.tiktok.creators.get(platformUserId)!;
    h.tiktok.faults.dropWhen = (req) => {
      if (req.path === '/v2/post/publish/video/init/')
        creator.privacyLevelOptions = ['SELF_ONLY', 'FOLLOWER_OF_CREATOR'];
      return false;
    };
    try {
      const refused = await pendingPost(t, other, 'tiktok', videoFile(h.mediaDir, 64 * 1024));
      const answer = await publish(h, t, refused);
      expect(answer).toMatchObject({ status: 'failed' });
      expect((answer as { reason: string }).reason).toMatch(/privacy_level/);
      expect(await distribution(t, refused)).toMatchObject({ status: 'failed', attempts: 1 });
    } finally {
      h.tiktok.faults.dropWhen = undefined;
    }
    for (const account of [accountId, other]) {
      const [failed] = await eventsOf(t, 'post_failed', account);
      expect(failed!.context).toMatchObject({ platformCode: 'privacy_level_option_mismatch' });
      expect(failed!.context.advice).toEqual(expect.stringMatching(/privacy/));
    }
  });
});
