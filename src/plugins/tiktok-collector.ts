// The official TikTok metrics collector: the Display API, with the account's OAuth token.
//
//   POST /v2/video/query/?fields=id,view_count,like_count,comment_count,share_count,create_time
//        body {"filters":{"video_ids":[…]}}, at most 20 ids a call
//        https://developers.tiktok.com/doc/tiktok-api-v2-video-query
//   GET  /v2/user/info/?fields=open_id,follower_count
//        https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
//   Both answer {data, error:{code, message, log_id}}, error.code "ok" on success; a bad or expired token
//   is HTTP 401 access_token_invalid; over the limit is HTTP 429 rate_limit_exceeded.
//   Limits: 600 requests a minute per endpoint, a one-minute sliding window
//        https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit
// The Display API offers no saves count: TikTok's snapshots leave saves empty.
import { z } from 'zod';
import {
  CollectorError,
  type CollectorAccount,
  type MetricsCollector,
  type MetricsCollectorFactory,
} from './metrics-collector.ts';
import { countOf, officialCollectorOptions, platformCall, type PlatformAnswer } from './platform-call.ts';

/** The video query's limit on ids per call. */
export const TIKTOK_VIDEO_IDS_PER_QUERY = 20;
const VIDEO_FIELDS = 'id,view_count,like_count,comment_count,share_count,create_time';

interface Envelope {
  data?: unknown;
  error?: { code?: unknown; message?: unknown; log_id?: unknown };
}

/** A non-ok answer as a CollectorError with TikTok's own code. */
function failureOf(answer: PlatformAnswer, what: string): CollectorError | undefined {
  const envelope = (answer.body ?? {}) as Envelope;
  const code = typeof envelope.error?.code === 'string' ? envelope.error.code : undefined;
  if (answer.status === 200 && code === 'ok') return undefined;
  const message = typeof envelope.error?.message === 'string' ? envelope.error.message.slice(0, 200) : '';
  const said = `${what}: TikTok answered ${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  const platformCode = code ?? `http_${answer.status}`;
  // TikTok answers a scope the user did not grant with 401 too, but the token itself is fine.
  if (code === 'scope_not_authorized')
    return new CollectorError('refused', `${said} (reconnect the account granting the scope)`, {
      platformCode,
    });
  if (answer.status === 401 || code === 'access_token_invalid')
    return new CollectorError('unauthorized', `${said} (reconnect the account)`, { platformCode });
  if (answer.status === 429 || code === 'rate_limit_exceeded')
    return new CollectorError('rate_limited', said, { platformCode, retryAfterMs: 60_000 });
  if (answer.status >= 500 || answer.body === undefined)
    return new CollectorError('unavailable', said, { platformCode });
  return new CollectorError('refused', said, { platformCode });
}

export const createTikTokCollector: MetricsCollectorFactory = (options, context) => {
  const { budget } = officialCollectorOptions(z.object({}), options, 'tiktok', {
    calls: 600,
    windowMs: 60_000,
  });
  const base = context.apiUrl.replace(/\/+$/, '');
  const tokenOf = (account: CollectorAccount) => {
    if (!account.access)
      throw new CollectorError('unauthorized', `${account.username}: no TikTok connection`);
    return account.access.accessToken;
  };
  const call = async (
    account: CollectorAccount,
    path: string,
    init: { method: 'GET' | 'POST'; body?: unknown },
    signal: AbortSignal,
    what: string,
  ) => {
    const answer = await platformCall(
      new URL(`${base}${path}`),
      {
        method: init.method,
        headers: {
          authorization: `Bearer ${tokenOf(account)}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      },
      { timeoutMs: context.timeoutMs, signal, what },
    );
    const failure = failureOf(answer, what);
    if (failure) throw failure;
    return (answer.body as Envelope).data;
  };

  const collector: MetricsCollector = {
    name: 'tiktok-display-api',
    needsConnection: true,
    postsPerCall: TIKTOK_VIDEO_IDS_PER_QUERY,
    // TikTok counts per app and endpoint: sovi keeps the whole fleet under it.
    callBudget: { ...budget, per: 'app' },
    async readPosts(account, posts, signal) {
      const ids = posts.map((p) => p.platformPostId);
      const data = (await call(
        account,
        `/v2/video/query/?fields=${VIDEO_FIELDS}`,
        { method: 'POST', body: { filters: { video_ids: ids } } },
        signal,
        `video query for ${account.username}`,
      )) as { videos?: unknown } | undefined;
      if (!Array.isArray(data?.videos))
        throw new CollectorError(
          'unavailable',
          `video query for ${account.username}: TikTok sent no videos list`,
        );
      // A video TikTok no longer returns (deleted, private) is simply absent: no counts for it this time.
      return (data.videos as Record<string, unknown>[]).flatMap((video) =>
        typeof video.id === 'string'
          ? [
              {
                platformPostId: video.id,
                views: countOf(video.view_count),
                likes: countOf(video.like_count),
                comments: countOf(video.comment_count),
                shares: countOf(video.share_count),
              },
            ]
          : [],
      );
    },
    async readFollowers(account, signal) {
      const data = (await call(
        account,
        '/v2/user/info/?fields=open_id,follower_count',
        { method: 'GET' },
        signal,
        `user info of ${account.username}`,
      )) as { user?: { follower_count?: unknown } } | undefined;
      return countOf(data?.user?.follower_count);
    },
  };
  return collector;
};
