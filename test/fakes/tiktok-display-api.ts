// A fake of TikTok's Display API (the part sovi's metrics read), written from the public documentation:
//   POST /v2/video/query/?fields=…  https://developers.tiktok.com/doc/tiktok-api-v2-video-query
//        Authorization: Bearer <user access token> (scope video.list), Content-Type: application/json,
//        body {"filters":{"video_ids":[…]}} with 1–20 ids; answers the token owner's videos only, with the
//        fields asked for.
//   GET  /v2/user/info/?fields=…     https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
//        follower_count needs scope user.info.stats.
//   Envelope {data, error:{code, message, log_id}}: code "ok" on success; 401 access_token_invalid for a
//   missing, unknown or expired token; 401 scope_not_authorized; 400 invalid_params; 429
//   rate_limit_exceeded past the limit, a one-minute sliding window per endpoint
//   (https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit, default 600).
import { randomBytes } from 'node:crypto';
import {
  startFakeServer,
  slidingWindow,
  type FakeAnswer,
  type FakeRequest,
  type FakeServer,
} from './fake-server.ts';

const VIDEO_FIELDS = new Set([
  'id',
  'create_time',
  'cover_image_url',
  'share_url',
  'video_description',
  'duration',
  'height',
  'width',
  'title',
  'embed_html',
  'embed_link',
  'like_count',
  'comment_count',
  'share_count',
  'view_count',
]);
const USER_FIELDS = new Set([
  'open_id',
  'union_id',
  'avatar_url',
  'display_name',
  'bio_description',
  'profile_deep_link',
  'is_verified',
  'username',
  'follower_count',
  'following_count',
  'likes_count',
  'video_count',
]);
const STATS_FIELDS = new Set(['follower_count', 'following_count', 'likes_count', 'video_count']);

export interface FakeTikTokVideo {
  id: string;
  openId: string;
  view_count: number;
  like_count: number;
  comment_count: number;
  share_count: number;
  create_time: number;
}

export interface FakeTikTok extends FakeServer {
  /** Issues a token for a user (with their follower count) and the scopes granted. */
  issueToken(
    openId: string,
    options?: { scopes?: string[]; expiresInMs?: number; followers?: number; token?: string },
  ): string;
  expireToken(token: string): void;
  addVideo(video: Omit<FakeTikTokVideo, 'create_time'> & { create_time?: number }): void;
  /** Calls per endpoint per minute (the sliding window); default 600. */
  setRateLimit(perMinute: number): void;
  /** How many requests reached an endpoint (path), faulted or not. */
  callsTo(path: string): number;
  setFollowers(openId: string, followers: number): void;
  /** Answers one request as the server does (for a fake that serves these paths at its own URL). */
  handle(request: FakeRequest): FakeAnswer;
}

/** A token granted elsewhere (by the Content Posting fake's OAuth, when the two are joined). */
export type TikTokGrantLookup = (
  token: string,
) => { openId: string; scopes: Set<string>; expiresAt: number } | undefined;

export async function startFakeTikTok(options: { tokenOf?: TikTokGrantLookup } = {}): Promise<FakeTikTok> {
  const tokens = new Map<string, { openId: string; scopes: Set<string>; expiresAt: number }>();
  const followers = new Map<string, number>();
  const videos = new Map<string, FakeTikTokVideo>();
  let window = slidingWindow(600, 60_000);
  const envelope = (status: number, code: string, message: string, data: unknown = {}): FakeAnswer => ({
    status,
    body: { data, error: { code, message, log_id: randomBytes(8).toString('hex') } },
  });

  const handle = (request: FakeRequest): FakeAnswer => {
    const endpoint = `${request.method} ${request.path}`;
    if (endpoint !== 'POST /v2/video/query/' && endpoint !== 'GET /v2/user/info/')
      return envelope(404, 'invalid_params', `no such endpoint: ${endpoint}`);
    if (!window.admit(request.path))
      return envelope(429, 'rate_limit_exceeded', 'API rate limit exceeded, please retry later.');
    const auth = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    const token = auth ? (tokens.get(auth[1]!) ?? options.tokenOf?.(auth[1]!)) : undefined;
    if (!token || token.expiresAt <= Date.now())
      return envelope(
        401,
        'access_token_invalid',
        'The access token is invalid or not found in the request.',
      );
    const fields = (request.query.get('fields') ?? '').split(',').filter(Boolean);
    if (fields.length === 0) return envelope(400, 'invalid_params', 'fields is required');

    if (request.path === '/v2/user/info/') {
      const bad = fields.find((f) => !USER_FIELDS.has(f));
      if (bad) return envelope(400, 'invalid_params', `Invalid field: ${bad}`);
      if (fields.some((f) => STATS_FIELDS.has(f)) && !token.scopes.has('user.info.stats'))
        return envelope(
          401,
          'scope_not_authorized',
          'The user did not authorize the scope required: user.info.stats',
        );
      const user: Record<string, unknown> = {};
      for (const f of fields) {
        if (f === 'open_id') user.open_id = token.openId;
        if (f === 'follower_count') user.follower_count = followers.get(token.openId) ?? 0;
      }
      return envelope(200, 'ok', '', { user });
    }

    if (!token.scopes.has('video.list'))
      return envelope(
        401,
        'scope_not_authorized',
        'The user did not authorize the scope required: video.list',
      );
    if (!/^application\/json\b/.test(request.headers['content-type'] ?? ''))
      return envelope(400, 'invalid_params', 'Content-Type must be application/json');
    const bad = fields.find((f) => !VIDEO_FIELDS.has(f));
    if (bad) return envelope(400, 'invalid_params', `Invalid field: ${bad}`);
    let body: { filters?: { video_ids?: unknown } };
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {
      return envelope(400, 'invalid_params', 'the body is not JSON');
    }
    const ids = body.filters?.video_ids;
    if (
      !Array.isArray(ids) ||
      ids.length === 0 ||
      ids.length > 20 ||
      ids.some((id) => typeof id !== 'string')
    )
      return envelope(400, 'invalid_params', 'filters.video_ids must hold 1 to 20 video ids');
    const found = (ids as string[]).flatMap((id) => {
      const video = videos.get(id);
      if (!video || video.openId !== token.openId) return [];
      return [
        Object.fromEntries(fields.map((f) => [f, (video as unknown as Record<string, unknown>)[f] ?? null])),
      ];
    });
    return envelope(200, 'ok', '', { videos: found, cursor: 0, has_more: false });
  };

  const server = await startFakeServer(handle, (status) => ({
    data: {},
    error: {
      code: 'internal_error',
      message: `the service answered ${status}`,
      log_id: randomBytes(8).toString('hex'),
    },
  }));
  return Object.assign(server, {
    issueToken(
      openId: string,
      options: { scopes?: string[]; expiresInMs?: number; followers?: number; token?: string } = {},
    ) {
      const token = options.token ?? `act.${randomBytes(24).toString('hex')}`;
      tokens.set(token, {
        openId,
        scopes: new Set(options.scopes ?? ['user.info.basic', 'user.info.stats', 'video.list']),
        expiresAt: Date.now() + (options.expiresInMs ?? 86_400_000),
      });
      if (options.followers !== undefined) followers.set(openId, options.followers);
      return token;
    },
    expireToken(token: string) {
      const t = tokens.get(token);
      if (t) t.expiresAt = 0;
    },
    addVideo(video: Omit<FakeTikTokVideo, 'create_time'> & { create_time?: number }) {
      videos.set(video.id, { create_time: Math.floor(Date.now() / 1000), ...video });
    },
    setRateLimit(perMinute: number) {
      window = slidingWindow(perMinute, 60_000);
    },
    callsTo: (path: string) => server.requests.filter((r) => r.path === path).length,
    setFollowers(openId: string, n: number) {
      followers.set(openId, n);
    },
    handle(request: FakeRequest) {
      server.requests.push(request);
      const answer = handle(request);
      request.status = answer.status;
      return answer;
    },
  });
}
