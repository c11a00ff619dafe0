// A local stand-in for TikTok's Open API, written from its public documentation:
//   OAuth (authorize parameters, PKCE, token and refresh):
//     https://developers.tiktok.com/doc/login-kit-web , https://developers.tiktok.com/doc/login-kit-desktop ,
//     https://developers.tiktok.com/doc/oauth-user-access-token-management
//   Envelope and error codes: https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
//   creator_info: https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
//   Direct Post init: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
//   Chunked upload: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
//   Status: https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
//   Rate limits (init 6/min, creator_info 20/min, status 30/min per user token):
//     https://developers.tiktok.com/doc/content-posting-api-reference-direct-post#rate_limits
// The person's consent on TikTok's page is `authorize(url)`: it checks the URL as TikTok would and answers
// the redirect back with a code.
import { createHash, randomBytes } from 'node:crypto';
import {
  formOf,
  jsonOf,
  startFakeServer,
  type FakeAnswer,
  type FakeRequest,
  type FakeServer,
} from './fake-http.ts';

const MB = 1024 * 1024;

export interface TikTokCreator {
  openId: string;
  username: string;
  privacyLevelOptions: string[];
  /** An unaudited client may post only SELF_ONLY (and answers unaudited_client_can_only_post_to_private_accounts). */
  unauditedClient: boolean;
}

interface Publish {
  id: string;
  openId: string;
  postInfo: Record<string, unknown>;
  videoSize: number;
  chunkSize: number;
  totalChunks: number;
  received: Map<number, Buffer>;
  status: 'PROCESSING_UPLOAD' | 'PUBLISH_COMPLETE' | 'FAILED';
  failReason?: string;
  postId?: string;
  readyAt?: number;
  uploadToken: string;
}

export interface TikTokFake extends FakeServer {
  readonly clientKey: string;
  readonly clientSecret: string;
  readonly creators: Map<string, TikTokCreator>;
  readonly publishes: Map<string, Publish>;
  /** Settings the tests turn. */
  readonly options: {
    accessTtlSeconds: number;
    /** How long processing takes after the last chunk. */
    processingMs: number;
    /** The next processing fails with this fail_reason. */
    failProcessing: string | undefined;
    /** Refresh tokens answered invalid_grant (revoked by the person). */
    revokeRefresh: boolean;
    /**
     * Publish initialisations a user token may make per minute: 6 in the docs. A test lowers it to meet
     * TikTok's own 429 (as when something else posts with the same account) before sovi's count does.
     */
    initsPerMinute: number;
    /** Answers a request this fake does not serve itself (the Display API, when joined: platform-loop.ts). */
    delegate: ((req: FakeRequest) => FakeAnswer | undefined) | undefined;
    /** Told of each post as it completes (joined: the Display API then knows the video, with counts). */
    onPosted: ((post: Publish) => void) | undefined;
  };
  /** The consent step: checks the authorization URL and answers the redirect with a code for `openId`. */
  authorize(url: string, openId: string): string;
  /**
   * The person refuses on TikTok's page: the redirect back carries error and error_description with the
   * state, and no code (https://developers.tiktok.com/doc/login-kit-web, "Handle the redirect").
   */
  deny(url: string): string;
  /** Every access token issued so far stops working now (they "expire"). */
  expireAccessTokens(): void;
  /** Posts made (PUBLISH_COMPLETE), by publish id. */
  posted(): Publish[];
  /** Access tokens and refresh tokens issued (for the canary scans). */
  issuedSecrets(): string[];
  /** What an access token this fake issued grants, expired or not (the Display API checks the same tokens). */
  grantOf(token: string): { openId: string; scope: string; expiresAt: number } | undefined;
}

const envelope = (status: number, data: unknown, code = 'ok', message = ''): FakeAnswer => ({
  status,
  body: { data: data ?? {}, error: { code, message, log_id: `log${randomBytes(6).toString('hex')}` } },
});
const apiError = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): FakeAnswer => ({
  ...envelope(status, {}, code, message),
  ...(headers ? { headers } : {}),
});
const oauthError = (status: number, error: string, description: string): FakeAnswer => ({
  status,
  body: { error, error_description: description, log_id: `log${randomBytes(6).toString('hex')}` },
});

export async function startTikTokFake(): Promise<TikTokFake> {
  const clientKey = `awfake${randomBytes(6).toString('hex')}`;
  const clientSecret = `canary-tiktok-client-secret-${randomBytes(6).toString('hex')}`;
  const creators = new Map<string, TikTokCreator>();
  const codes = new Map<string, { openId: string; scope: string; challenge: string; redirectUri: string }>();
  const access = new Map<string, { openId: string; expiresAt: number; scope: string }>();
  const refresh = new Map<string, { openId: string; scope: string; used: boolean }>();
  const publishes = new Map<string, Publish>();
  const windows = new Map<string, number[]>();
  const options: TikTokFake['options'] = {
    accessTtlSeconds: 86_400,
    processingMs: 200,
    failProcessing: undefined,
    revokeRefresh: false,
    initsPerMinute: 6,
    delegate: undefined,
    onPosted: undefined,
  };

  /** The per-token per-minute limits of the Content Posting API. */
  const limited = (token: string, endpoint: string, perMinute: number): boolean => {
    const key = `${endpoint}:${token}`;
    const now = Date.now();
    const recent = (windows.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= perMinute) return true;
    recent.push(now);
    windows.set(key, recent);
    return false;
  };

  const issue = (openId: string, scope: string) => {
    const accessToken = `act.canary-tiktok-access-${randomBytes(12).toString('hex')}`;
    const refreshToken = `rft.canary-tiktok-refresh-${randomBytes(12).toString('hex')}`;
    access.set(accessToken, { openId, scope, expiresAt: Date.now() + options.accessTtlSeconds * 1000 });
    refresh.set(refreshToken, { openId, scope, used: false });
    return {
      access_token: accessToken,
      expires_in: options.accessTtlSeconds,
      open_id: openId,
      refresh_token: refreshToken,
      refresh_expires_in: 31_536_000,
      scope,
      token_type: 'Bearer',
    };
  };

  const bearer = (headers: Record<string, string | string[] | undefined>) => {
    const h = headers.authorization;
    const token = typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7) : undefined;
    const grant = token ? access.get(token) : undefined;
    if (!token || !grant || grant.expiresAt <= Date.now()) return undefined;
    return { token, ...grant };
  };

  const settle = (p: Publish) => {
    if (p.status === 'PROCESSING_UPLOAD' && p.readyAt !== undefined && Date.now() >= p.readyAt) {
      if (options.failProcessing) {
        p.status = 'FAILED';
        p.failReason = options.failProcessing;
        options.failProcessing = undefined;
      } else {
        p.status = 'PUBLISH_COMPLETE';
        // A private (SELF_ONLY) post has no public id: publicaly_available_post_id stays empty.
        if (p.postInfo.privacy_level !== 'SELF_ONLY')
          p.postId = String(
            7_000_000_000_000_000_000n + BigInt(publishes.size) * 7919n + BigInt(Date.now() % 100_000),
          );
        options.onPosted?.(p);
      }
    }
  };

  const server = await startFakeServer(
    (req, base) => {
      // POST /v2/oauth/token/ — application/x-www-form-urlencoded.
      if (req.method === 'POST' && req.path === '/v2/oauth/token/') {
        if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
          return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
        const form = formOf(req.body);
        if (form.get('client_key') !== clientKey || form.get('client_secret') !== clientSecret)
          return oauthError(401, 'invalid_client', 'Client key or secret is incorrect.');
        if (form.get('grant_type') === 'authorization_code') {
          const code = codes.get(form.get('code') ?? '');
          if (!code) return oauthError(400, 'invalid_grant', 'Authorization code is expired.');
          codes.delete(form.get('code') ?? '');
          if (code.redirectUri !== form.get('redirect_uri'))
            return oauthError(400, 'invalid_request', 'The redirect_uri does not match.');
          const verifier = form.get('code_verifier') ?? '';
          if (createHash('sha256').update(verifier).digest('hex') !== code.challenge)
            return oauthError(400, 'invalid_request', 'Code verifier or code challenge is invalid.');
          return { status: 200, body: issue(code.openId, code.scope) };
        }
        if (form.get('grant_type') === 'refresh_token') {
          const grant = refresh.get(form.get('refresh_token') ?? '');
          if (!grant || grant.used || options.revokeRefresh)
            return oauthError(400, 'invalid_grant', 'Refresh token is invalid or expired.');
          grant.used = true; // Each refresh answers a new refresh token; the old one is spent.
          return { status: 200, body: issue(grant.openId, grant.scope) };
        }
        return oauthError(400, 'unsupported_grant_type', 'The grant type is not supported.');
      }

      // The upload URL of a FILE_UPLOAD publish: PUT with Content-Range, one chunk at a time.
      const upload = /^\/upload\/([a-z0-9.]+)$/.exec(req.path);
      if (req.method === 'PUT' && upload) {
        const p = publishes.get(upload[1]!);
        if (!p || req.query.get('upload_token') !== p.uploadToken)
          return { status: 404, body: { error: 'unknown upload' } };
        const type = String(req.headers['content-type'] ?? '');
        if (!['video/mp4', 'video/quicktime', 'video/webm'].includes(type))
          return {
            status: 400,
            body: { error: 'Content-Type must be video/mp4, video/quicktime or video/webm' },
          };
        const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
        if (!range)
          return { status: 400, body: { error: 'Content-Range: bytes {first}-{last}/{total} is required' } };
        const [first, last, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
        if (total !== p.videoSize)
          return { status: 400, body: { error: 'total size differs from video_size' } };
        if (first % p.chunkSize !== 0)
          return { status: 400, body: { error: 'chunk does not start on a chunk boundary' } };
        const index = first / p.chunkSize;
        const expectedLast = index === p.totalChunks - 1 ? p.videoSize - 1 : first + p.chunkSize - 1;
        if (index >= p.totalChunks || last !== expectedLast)
          return { status: 400, body: { error: `chunk ${index} must cover bytes ${first}-${expectedLast}` } };
        if (Number(req.headers['content-length']) !== req.body.length || req.body.length !== last - first + 1)
          return { status: 400, body: { error: 'Content-Length differs from the range' } };
        if (p.received.size === p.totalChunks)
          return { status: 409, body: { error: 'upload already complete' } };
        p.received.set(index, req.body);
        if (p.received.size < p.totalChunks) return { status: 206 };
        const bytes = Buffer.concat([...p.received.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b));
        if (bytes.subarray(4, 8).toString('latin1') !== 'ftyp') {
          p.status = 'FAILED';
          p.failReason = 'file_format_check_failed';
        } else p.readyAt = Date.now() + options.processingMs;
        return { status: 201 };
      }

      const delegated = options.delegate?.(req);
      if (delegated) return delegated;
      const user = bearer(req.headers);
      const path = req.path;
      if (!path.startsWith('/v2/')) return { status: 404, body: { error: 'not found' } };
      if (!user)
        return apiError(
          401,
          'access_token_invalid',
          'The access token is invalid or not found in the request.',
        );
      if (!user.scope.split(',').includes('video.publish'))
        return apiError(
          401,
          'scope_not_authorized',
          'The user did not authorize the scope required for completing this request.',
        );
      const creator = creators.get(user.openId)!;
      if (req.method !== 'POST') return apiError(405, 'invalid_params', 'method not allowed');
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return apiError(400, 'invalid_params', 'Content-Type must be application/json; charset=UTF-8');
      const body = jsonOf(req.body) ?? {};

      if (path === '/v2/post/publish/creator_info/query/') {
        if (limited(user.token, 'creator_info', 20))
          return apiError(429, 'rate_limit_exceeded', 'rate limited', { 'retry-after': '60' });
        return envelope(200, {
          creator_avatar_url: 'https://p16.tiktokcdn.example/avatar.jpeg',
          creator_username: creator.username,
          creator_nickname: creator.username,
          privacy_level_options: creator.privacyLevelOptions,
          comment_disabled: false,
          duet_disabled: false,
          stitch_disabled: false,
          max_video_post_duration_sec: 600,
        });
      }

      if (path === '/v2/post/publish/video/init/') {
        if (limited(user.token, 'init', options.initsPerMinute))
          return apiError(429, 'rate_limit_exceeded', 'Too many publish requests: 6 per minute per user.', {
            'retry-after': '60',
          });
        const post = (body.post_info ?? {}) as Record<string, unknown>;
        const source = (body.source_info ?? {}) as Record<string, unknown>;
        const privacy = typeof post.privacy_level === 'string' ? post.privacy_level : '';
        if (!privacy) return apiError(400, 'invalid_params', 'post_info.privacy_level is required');
        if (creator.unauditedClient && privacy !== 'SELF_ONLY')
          return apiError(
            403,
            'unaudited_client_can_only_post_to_private_accounts',
            'Unaudited clients can only post with SELF_ONLY visibility.',
          );
        if (!creator.privacyLevelOptions.includes(privacy))
          return apiError(
            400,
            'privacy_level_option_mismatch',
            'privacy_level is not one of the creator_info privacy_level_options.',
          );
        if (typeof post.title === 'string' && [...post.title].length > 2200)
          return apiError(400, 'invalid_params', 'title is longer than 2200 characters');
        if (source.source !== 'FILE_UPLOAD')
          return apiError(400, 'invalid_params', 'this fake serves FILE_UPLOAD only');
        const size = Number(source.video_size);
        const chunk = Number(source.chunk_size);
        const count = Number(source.total_chunk_count);
        // The media transfer guide's rules: a file under 5 MB is one chunk of its own size; otherwise chunks of
        // 5–64 MB, the last one taking the remainder (up to 128 MB); the count is video_size / chunk_size, rounded down.
        const ok =
          Number.isInteger(size) &&
          size > 0 &&
          size <= 4096 * MB &&
          Number.isInteger(chunk) &&
          Number.isInteger(count) &&
          (size < 5 * MB
            ? chunk === size && count === 1
            : chunk >= 5 * MB &&
              chunk <= 64 * MB &&
              count === Math.floor(size / chunk) &&
              size - chunk * (count - 1) <= 128 * MB &&
              count <= 1000);
        if (!ok)
          return apiError(
            400,
            'invalid_params',
            'The chunk_size / total_chunk_count do not follow the media transfer guide.',
          );
        const id = `v_pub_file~v2-1.${randomBytes(8).toString('hex')}`
          .replace('~', '.')
          .replace(/[^a-z0-9.]/g, '');
        const p: Publish = {
          id,
          openId: user.openId,
          postInfo: post,
          videoSize: size,
          chunkSize: chunk,
          totalChunks: count,
          received: new Map(),
          status: 'PROCESSING_UPLOAD',
          uploadToken: randomBytes(8).toString('hex'),
        };
        publishes.set(id, p);
        return envelope(200, {
          publish_id: id,
          upload_url: `${base}/upload/${id}?upload_token=${p.uploadToken}`,
        });
      }

      if (path === '/v2/post/publish/status/fetch/') {
        if (limited(user.token, 'status', 30))
          return apiError(429, 'rate_limit_exceeded', 'rate limited', { 'retry-after': '60' });
        const p = publishes.get(typeof body.publish_id === 'string' ? body.publish_id : '');
        if (!p || p.openId !== user.openId)
          return apiError(400, 'invalid_publish_id', 'publish_id does not exist');
        settle(p);
        const uploaded = [...p.received.values()].reduce((n, b) => n + b.length, 0);
        return envelope(200, {
          status: p.status,
          ...(p.failReason ? { fail_reason: p.failReason } : {}),
          // An int64 as a bare JSON number, as TikTok writes it (rawJson keeps every digit).
          publicaly_available_post_id: p.postId
            ? [(JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(p.postId)]
            : [],
          uploaded_bytes: uploaded,
        });
      }
      return apiError(404, 'invalid_params', `no such endpoint ${path}`);
    },
    () => envelope(500, {}, 'internal_error', 'Something went wrong. Please try again later.'),
  );

  return Object.assign(server, {
    clientKey,
    clientSecret,
    creators,
    publishes,
    options,
    authorize(url: string, openId: string): string {
      const u = new URL(url);
      const p = u.searchParams;
      if (p.get('client_key') !== clientKey) throw new Error('authorize: wrong client_key');
      if (p.get('response_type') !== 'code') throw new Error('authorize: response_type must be code');
      if (!p.get('scope')?.split(',').includes('video.publish'))
        throw new Error('authorize: scope lacks video.publish');
      if (p.get('code_challenge_method') !== 'S256' || !/^[0-9a-f]{64}$/.test(p.get('code_challenge') ?? ''))
        throw new Error('authorize: code_challenge must be the hex SHA-256 with S256');
      const state = p.get('state');
      if (!state) throw new Error('authorize: state is required');
      const code = `code-${randomBytes(10).toString('hex')}`;
      codes.set(code, {
        openId,
        scope: p.get('scope')!,
        challenge: p.get('code_challenge')!,
        redirectUri: p.get('redirect_uri')!,
      });
      const back = new URL(p.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('scopes', p.get('scope')!);
      back.searchParams.set('state', state);
      return back.toString();
    },
    deny(url: string): string {
      const p = new URL(url).searchParams;
      const back = new URL(p.get('redirect_uri')!);
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user denied the authorization request.');
      back.searchParams.set('state', p.get('state') ?? '');
      return back.toString();
    },
    expireAccessTokens() {
      for (const grant of access.values()) grant.expiresAt = 0;
    },
    posted: () =>
      [...publishes.values()].filter((p) => {
        settle(p);
        return p.status === 'PUBLISH_COMPLETE';
      }),
    issuedSecrets: () => [...access.keys(), ...refresh.keys(), clientSecret],
    grantOf: (token: string) => access.get(token),
  });
}
