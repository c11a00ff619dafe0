// A fake of the Instagram API with Instagram Login (graph.instagram.com), the part sovi's metrics read,
// written from the public documentation:
//   GET /<version>/<ig-media-id>/insights?metric=…&access_token=…
//       https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
//       metrics views, likes, comments, shares, saved, reach, total_interactions (period lifetime); the
//       token must own the media.
//   GET /<version>/<ig-user-id>?fields=…&access_token=…
//       https://developers.facebook.com/docs/instagram-platform/reference/ig-user
//   Errors {error:{message, type, code, error_subcode, fbtrace_id}}: 190 (OAuthException; subcode 463 when
//   expired) for a bad token, 100 for a bad parameter or unknown object, 17 when a user's calls pass the
//   limit; X-App-Usage {"call_count","total_cputime","total_time"} in percent of the app's limit on every
//   answer (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
import { randomBytes } from 'node:crypto';
import {
  startFakeServer,
  slidingWindow,
  type FakeAnswer,
  type FakeRequest,
  type FakeServer,
} from './fake-server.ts';

const MEDIA_METRICS = new Set([
  'views',
  'likes',
  'comments',
  'shares',
  'saved',
  'reach',
  'total_interactions',
]);
const USER_FIELDS = new Set([
  'id',
  'user_id',
  'username',
  'name',
  'account_type',
  'profile_picture_url',
  'followers_count',
  'follows_count',
  'media_count',
]);

export interface FakeInstagramMedia {
  id: string;
  userId: string;
  views: number;
  likes: number;
  comments: number;
  shares: number;
  saved: number;
}

export interface FakeInstagram extends FakeServer {
  issueToken(userId: string, options?: { followers?: number; expiresInMs?: number; token?: string }): string;
  expireToken(token: string): void;
  addMedia(media: FakeInstagramMedia): void;
  /** Calls one user token may make per hour; default 200. */
  setUserLimit(perHour: number): void;
  /** The app's calls per hour that X-App-Usage's call_count is a percentage of; default 10,000. */
  setAppLimit(perHour: number): void;
  callsTo(pathPart: string): number;
  setFollowers(userId: string, followers: number): void;
  /** Answers one request as the server does (for a fake that serves these paths at its own URL). */
  handle(request: FakeRequest): FakeAnswer;
}

/** A token granted elsewhere (by the content publishing fake's Business Login, when the two are joined). */
export type InstagramGrantLookup = (token: string) => { userId: string; expiresAt: number } | undefined;

export async function startFakeInstagram(
  version = 'v23.0',
  options: { tokenOf?: InstagramGrantLookup } = {},
): Promise<FakeInstagram> {
  const tokens = new Map<string, { userId: string; expiresAt: number }>();
  const followers = new Map<string, number>();
  const media = new Map<string, FakeInstagramMedia>();
  let userWindow = slidingWindow(200, 3_600_000);
  let appLimit = 10_000;
  let appCalls: number[] = [];
  const graphError = (
    status: number,
    code: number,
    message: string,
    type = 'OAuthException',
    subcode?: number,
  ): FakeAnswer => ({
    status,
    body: {
      error: {
        message,
        type,
        code,
        ...(subcode ? { error_subcode: subcode } : {}),
        fbtrace_id: randomBytes(8).toString('base64url'),
      },
    },
  });
  const usageHeader = () => {
    const now = Date.now();
    appCalls = appCalls.filter((t) => t > now - 3_600_000);
    const pct = Math.min(100, Math.round((appCalls.length / appLimit) * 100));
    return {
      'x-app-usage': JSON.stringify({
        call_count: pct,
        total_cputime: Math.floor(pct / 2),
        total_time: Math.floor(pct / 2),
      }),
    };
  };

  const route = (request: FakeRequest): FakeAnswer => {
    const match = new RegExp(`^/${version.replace('.', '\\.')}/([0-9A-Za-z_]+)(/insights)?$`).exec(
      request.path,
    );
    if (request.method !== 'GET' || !match)
      return graphError(400, 100, 'Unknown path components', 'OAuthException');
    const accessToken = request.query.get('access_token');
    if (!accessToken)
      return graphError(
        400,
        190,
        'An active access token must be used to query information about the current user.',
      );
    const token = tokens.get(accessToken) ?? options.tokenOf?.(accessToken);
    if (!token) return graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (token.expiresAt <= Date.now())
      return graphError(
        400,
        190,
        'Error validating access token: Session has expired.',
        'OAuthException',
        463,
      );
    appCalls.push(Date.now());
    if (!userWindow.admit(accessToken))
      return graphError(403, 17, '(#17) User request limit reached', 'OAuthException');
    const [, id, insights] = match;
    if (insights) {
      const metrics = (request.query.get('metric') ?? '').split(',').filter(Boolean);
      if (metrics.length === 0)
        return graphError(400, 100, '(#100) The parameter metric is required', 'OAuthException');
      const bad = metrics.find((m) => !MEDIA_METRICS.has(m));
      if (bad)
        return graphError(
          400,
          100,
          `(#100) metric[${metrics.indexOf(bad)}] must be one of the following values: ${[...MEDIA_METRICS].join(', ')}`,
          'OAuthException',
        );
      const item = media.get(id!);
      if (!item || item.userId !== token.userId)
        return graphError(
          400,
          100,
          `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
          'GraphMethodException',
          33,
        );
      return {
        status: 200,
        body: {
          data: metrics.map((name) => ({
            name,
            period: 'lifetime',
            values: [{ value: (item as unknown as Record<string, number>)[name] ?? 0 }],
            title: name,
            description: name,
            id: `${id}/insights/${name}/lifetime`,
          })),
        },
      };
    }
    if (id !== token.userId && id !== 'me')
      return graphError(
        400,
        100,
        `Unsupported get request. Object with ID '${id}' does not exist`,
        'GraphMethodException',
        33,
      );
    const fields = (request.query.get('fields') ?? 'id').split(',');
    const bad = fields.find((f) => !USER_FIELDS.has(f));
    if (bad)
      return graphError(400, 100, `(#100) Tried accessing nonexisting field (${bad})`, 'OAuthException');
    const user: Record<string, unknown> = { id: token.userId };
    if (fields.includes('followers_count')) user.followers_count = followers.get(token.userId) ?? 0;
    return { status: 200, body: user };
  };

  const handle = (request: FakeRequest): FakeAnswer => {
    const answer = route(request);
    return { ...answer, headers: { ...answer.headers, ...usageHeader() } };
  };
  const server = await startFakeServer(handle, (status) => ({
    error: {
      message: 'An unexpected error has occurred. Please retry your request later.',
      type: 'OAuthException',
      code: 2,
      is_transient: true,
      fbtrace_id: randomBytes(8).toString('base64url'),
      status,
    },
  }));
  return Object.assign(server, {
    issueToken(userId: string, options: { followers?: number; expiresInMs?: number; token?: string } = {}) {
      const token = options.token ?? `IGAA${randomBytes(24).toString('hex')}`;
      tokens.set(token, { userId, expiresAt: Date.now() + (options.expiresInMs ?? 86_400_000) });
      if (options.followers !== undefined) followers.set(userId, options.followers);
      return token;
    },
    expireToken(token: string) {
      const t = tokens.get(token);
      if (t) t.expiresAt = 0;
    },
    addMedia(item: FakeInstagramMedia) {
      media.set(item.id, item);
    },
    setUserLimit(perHour: number) {
      userWindow = slidingWindow(perHour, 3_600_000);
    },
    setAppLimit(perHour: number) {
      appLimit = perHour;
    },
    callsTo: (part: string) => server.requests.filter((r) => r.path.includes(part)).length,
    setFollowers(userId: string, n: number) {
      followers.set(userId, n);
    },
    handle(request: FakeRequest) {
      server.requests.push(request);
      const answer = handle(request);
      request.status = answer.status;
      return answer;
    },
  });
}
