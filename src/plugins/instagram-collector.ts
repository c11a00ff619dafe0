// The official Instagram metrics collector: the Instagram API with Instagram Login (graph.instagram.com),
// with the account's Instagram user access token.
//
//   GET /<version>/<ig-media-id>/insights?metric=views,likes,comments,shares,saved
//       https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
//       (a metric with no data yet is left out of `data`, not 0; one media a call)
//   GET /<version>/<ig-user-id>?fields=followers_count
//       https://developers.facebook.com/docs/instagram-platform/reference/ig-user
//   Errors: {error:{message, type, code, error_subcode, fbtrace_id}}; code 190 an invalid or expired token;
//   4, 17, 32 and 613 rate limits; X-App-Usage reports the app's use of its limit in percent
//       https://developers.facebook.com/docs/graph-api/overview/rate-limiting
//       https://developers.facebook.com/docs/graph-api/guides/error-handling
// sovi keeps each token under 200 calls an hour (the Instagram Platform's per-user budget), and stops
// calling once X-App-Usage reaches 95 % of any of its counters, until the hour has passed: for every token,
// in every sovi process (the error is app-wide, so the pull pauses the app's budget in the database).
import { z } from 'zod';
import {
  CollectorError,
  type CollectorAccount,
  type MetricsCollector,
  type MetricsCollectorFactory,
  type PostCounts,
} from './metrics-collector.ts';
import { countOf, officialCollectorOptions, platformCall, type PlatformAnswer } from './platform-call.ts';

const optionsSchema = z.object({
  graphVersion: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default('v23.0'),
});

const METRICS = ['views', 'likes', 'comments', 'shares', 'saved'] as const;
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
const USAGE_CEILING = 95;
const HOUR = 3_600_000;

interface GraphError {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  error_subcode?: unknown;
  fbtrace_id?: unknown;
}

function failureOf(answer: PlatformAnswer, what: string): CollectorError | undefined {
  const error = (answer.body as { error?: GraphError } | undefined)?.error;
  if (answer.status === 200 && !error) return undefined;
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const sub = typeof error?.error_subcode === 'number' ? error.error_subcode : undefined;
  const message = typeof error?.message === 'string' ? error.message.slice(0, 200) : '';
  const platformCode = code === undefined ? `http_${answer.status}` : `${code}${sub ? `/${sub}` : ''}`;
  const said = `${what}: Instagram answered ${answer.status}${code === undefined ? '' : ` (code ${platformCode})`}${message ? `: ${message}` : ''}`;
  if (code === 190 || answer.status === 401)
    return new CollectorError('unauthorized', `${said} (reconnect the account)`, { platformCode });
  if ((code !== undefined && RATE_LIMIT_CODES.has(code)) || answer.status === 429)
    return new CollectorError('rate_limited', said, {
      platformCode,
      retryAfterMs: HOUR,
      appWide: code === 4,
    });
  if (answer.status >= 500 || answer.body === undefined || code === 1 || code === 2)
    return new CollectorError('unavailable', said, { platformCode });
  return new CollectorError('refused', said, { platformCode });
}

/** The highest percentage X-App-Usage reports ({"call_count":…,"total_cputime":…,"total_time":…}). */
function appUsage(headers: Headers): number | undefined {
  const header = headers.get('x-app-usage');
  if (!header) return undefined;
  try {
    const usage = JSON.parse(header) as Record<string, unknown>;
    const values = Object.values(usage).filter((v): v is number => typeof v === 'number');
    return values.length ? Math.max(...values) : undefined;
  } catch {
    return undefined;
  }
}

export const createInstagramCollector: MetricsCollectorFactory = (options, context) => {
  const { options: parsed, budget } = officialCollectorOptions(optionsSchema, options, 'instagram', {
    calls: 200,
    windowMs: HOUR,
  });
  const { graphVersion } = parsed;
  const base = context.apiUrl.replace(/\/+$/, '');
  /** Set when X-App-Usage neared the app's limit: no call before then. */
  let pausedUntil = 0;

  const call = async (
    account: CollectorAccount,
    path: string,
    query: Record<string, string>,
    signal: AbortSignal,
    what: string,
  ) => {
    if (!account.access)
      throw new CollectorError('unauthorized', `${account.username}: no Instagram connection`);
    if (Date.now() < pausedUntil)
      throw new CollectorError(
        'rate_limited',
        `${what}: the app is near Instagram's limit (X-App-Usage); waiting`,
        { retryAfterMs: pausedUntil - Date.now(), appWide: true },
      );
    const url = new URL(`${base}/${graphVersion}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    url.searchParams.set('access_token', account.access.accessToken);
    const answer = await platformCall(url, { method: 'GET' }, { timeoutMs: context.timeoutMs, signal, what });
    const usage = appUsage(answer.headers);
    if (usage !== undefined && usage >= USAGE_CEILING) pausedUntil = Date.now() + HOUR;
    const failure = failureOf(answer, what);
    if (failure) throw failure;
    return answer.body as Record<string, unknown>;
  };

  const collector: MetricsCollector = {
    name: 'instagram-graph-api',
    needsConnection: true,
    postsPerCall: 1,
    callBudget: { ...budget, per: 'token' },
    async readPosts(account, posts, signal) {
      const counts: PostCounts[] = [];
      for (const post of posts) {
        const body = await call(
          account,
          `/${encodeURIComponent(post.platformPostId)}/insights`,
          { metric: METRICS.join(',') },
          signal,
          `insights of media ${post.platformPostId}`,
        );
        if (!Array.isArray(body.data))
          throw new CollectorError('unavailable', `insights of media ${post.platformPostId}: no data list`);
        const value = (name: string) => {
          const metric = (body.data as { name?: unknown; values?: { value?: unknown }[] }[]).find(
            (m) => m.name === name,
          );
          return countOf(metric?.values?.[0]?.value);
        };
        counts.push({
          platformPostId: post.platformPostId,
          views: value('views'),
          likes: value('likes'),
          comments: value('comments'),
          shares: value('shares'),
          saves: value('saved'),
        });
      }
      return counts;
    },
    async readFollowers(account, signal) {
      const body = await call(
        account,
        `/${encodeURIComponent(account.access?.platformUserId ?? 'me')}`,
        { fields: 'followers_count' },
        signal,
        `followers of ${account.username}`,
      );
      return countOf(body.followers_count);
    },
  };
  return collector;
};
