// A local stand-in for the Instagram API with Instagram Login, written from Meta's public documentation:
//   Business Login (authorize, code → short-lived token, → long-lived token):
//     https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login
//   Refresh: https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
//   Content publishing (REELS container from video_url, status_code, media_publish):
//     https://developers.facebook.com/docs/instagram-platform/content-publishing
//   Publishing limit: https://developers.facebook.com/docs/instagram-platform/reference/ig-user/content_publishing_limit
//   Errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
//     ({error: {message, type, code, error_subcode, fbtrace_id}}; 190 invalid token; 9/2207042 publish limit)
// The container fetches its video_url over HTTP, as Instagram's servers do, so a URL that cannot be fetched
// fails the container (status_code ERROR).
import { randomBytes } from 'node:crypto';
import { formOf, startFakeServer, type FakeAnswer, type FakeRequest, type FakeServer } from './fake-http.ts';

interface Container {
  id: string;
  userId: string;
  caption: string;
  videoUrl: string;
  status: 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'PUBLISHED' | 'EXPIRED';
  statusText?: string;
  mediaId?: string;
  bytes?: number;
}

export interface InstagramFake extends FakeServer {
  readonly appId: string;
  readonly appSecret: string;
  readonly containers: Map<string, Container>;
  readonly options: {
    /** Posts per 24 h (content_publishing_limit's quota_total). */
    quotaTotal: number;
    /** Containers fail processing with this status text. */
    failProcessing: string | undefined;
    /** Processing time after the video is fetched. */
    processingMs: number;
    /** Answers a request this fake does not serve itself (insights and the user node, when joined: platform-loop.ts). */
    delegate: ((req: FakeRequest) => FakeAnswer | undefined) | undefined;
    /** Told of each media as it is published (joined: its insights then have counts). */
    onPosted: ((media: { userId: string; mediaId: string; containerId: string }) => void) | undefined;
  };
  /** Published media per user id, with their time. */
  readonly published: { userId: string; mediaId: string; containerId: string; at: number }[];
  /**
   * The person presses "Not now" on Instagram's page: the redirect back carries error=access_denied,
   * error_reason=user_denied and error_description, with the state and no code
   * (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login,
   * "Canceled authorization").
   */
  deny(url: string): string;
  authorize(url: string, userId: string): string;
  expireAccessTokens(): void;
  /** The next refresh_access_token answers 190 (the person removed the app). */
  revokeTokens(): void;
  issuedSecrets(): string[];
  /** Whose a token this fake issued is, and until when it works (0: expired or revoked). */
  grantOf(token: string): { userId: string; expiresAt: number } | undefined;
}

const graphError = (
  status: number,
  code: number,
  message: string,
  subcode?: number,
  type = 'OAuthException',
): FakeAnswer => ({
  status,
  body: {
    error: {
      message,
      type,
      code,
      ...(subcode ? { error_subcode: subcode } : {}),
      fbtrace_id: `A${randomBytes(8).toString('hex')}`,
    },
  },
});

export async function startInstagramFake(): Promise<InstagramFake> {
  const appId = String(1_000_000_000 + Math.floor(Math.random() * 1e9));
  const appSecret = `canary-meta-app-secret-${randomBytes(6).toString('hex')}`;
  const codes = new Map<string, { userId: string; redirectUri: string; scope: string }>();
  const tokens = new Map<
    string,
    { userId: string; kind: 'short' | 'long'; expiresAt: number; scope: string; revoked: boolean }
  >();
  const containers = new Map<string, Container>();
  const published: InstagramFake['published'] = [];
  const options: InstagramFake['options'] = {
    quotaTotal: 100,
    failProcessing: undefined,
    processingMs: 150,
    delegate: undefined,
    onPosted: undefined,
  };
  let nextId = 17_900_000_000_000_000n;
  const id = () => String((nextId += 1_337n));

  const issue = (userId: string, kind: 'short' | 'long', scope: string, ttl: number) => {
    const token = `IGAA${kind}canary-instagram-token-${randomBytes(12).toString('hex')}`;
    tokens.set(token, { userId, kind, scope, expiresAt: Date.now() + ttl * 1000, revoked: false });
    return token;
  };
  const tokenOf = (value: string | null) => {
    const t = value ? tokens.get(value) : undefined;
    return t && !t.revoked && t.expiresAt > Date.now() ? t : undefined;
  };
  const invalidToken = () => graphError(400, 190, 'Error validating access token: Session has expired.', 463);

  const fetchVideo = async (c: Container) => {
    try {
      const res = await fetch(c.videoUrl, { signal: AbortSignal.timeout(20_000) });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (bytes.subarray(4, 8).toString('latin1') !== 'ftyp') throw new Error('not an MP4/MOV file');
      c.bytes = bytes.length;
      setTimeout(() => {
        if (c.status !== 'IN_PROGRESS') return;
        if (options.failProcessing) {
          c.status = 'ERROR';
          c.statusText = options.failProcessing;
          options.failProcessing = undefined;
        } else c.status = 'FINISHED';
      }, options.processingMs);
    } catch (err) {
      c.status = 'ERROR';
      c.statusText = `Media download has failed: ${(err as Error).message} (2207026)`;
    }
  };

  const usedIn24h = (userId: string) =>
    published.filter((p) => p.userId === userId && Date.now() - p.at < 86_400_000).length;

  const server = await startFakeServer(
    (req) => {
      const delegated = options.delegate?.(req);
      if (delegated) return delegated;
      const { method, path } = req;
      // Business Login step 2: POST https://api.instagram.com/oauth/access_token (form).
      if (method === 'POST' && path === '/oauth/access_token') {
        const f = formOf(req.body);
        if (f.get('client_id') !== appId || f.get('client_secret') !== appSecret)
          return graphError(400, 101, 'Error validating client secret.', undefined, 'OAuthException');
        if (f.get('grant_type') !== 'authorization_code')
          return graphError(400, 100, 'Invalid grant_type', undefined, 'OAuthException');
        const code = codes.get(f.get('code') ?? '');
        if (!code) return graphError(400, 100, 'This authorization code has been used.', 36009);
        codes.delete(f.get('code') ?? '');
        if (code.redirectUri !== f.get('redirect_uri'))
          return graphError(
            400,
            100,
            'Error validating verification code. Please make sure your redirect_uri is identical.',
            36008,
          );
        const token = issue(code.userId, 'short', code.scope, 3_600);
        return {
          status: 200,
          body: { data: [{ access_token: token, user_id: code.userId, permissions: code.scope }] },
        };
      }
      // Step 3: GET graph.instagram.com/access_token?grant_type=ig_exchange_token.
      if (method === 'GET' && path === '/access_token') {
        if (req.query.get('grant_type') !== 'ig_exchange_token')
          return graphError(400, 100, 'grant_type must be ig_exchange_token');
        if (req.query.get('client_secret') !== appSecret)
          return graphError(400, 101, 'Error validating client secret.');
        const short = tokenOf(req.query.get('access_token'));
        if (!short || short.kind !== 'short') return invalidToken();
        return {
          status: 200,
          body: {
            access_token: issue(short.userId, 'long', short.scope, 5_184_000),
            token_type: 'bearer',
            expires_in: 5_184_000,
          },
        };
      }
      // GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token (long-lived tokens only).
      if (method === 'GET' && path === '/refresh_access_token') {
        if (req.query.get('grant_type') !== 'ig_refresh_token')
          return graphError(400, 100, 'grant_type must be ig_refresh_token');
        const long = tokenOf(req.query.get('access_token'));
        if (!long || long.kind !== 'long') return invalidToken();
        return {
          status: 200,
          body: {
            access_token: issue(long.userId, 'long', long.scope, 5_184_000),
            token_type: 'bearer',
            expires_in: 5_184_000,
          },
        };
      }

      const m = /^\/v\d+\.\d+\/([0-9]+)(?:\/([a-z_]+))?$/.exec(path);
      if (!m) return graphError(404, 100, `Unknown path components: ${path}`, 33, 'GraphMethodException');
      const params = method === 'GET' ? req.query : formOf(req.body);
      const token = tokenOf(params.get('access_token'));
      if (!token) return invalidToken();
      const [, node, edge] = m as unknown as [string, string, string | undefined];

      if (!edge && method === 'GET') {
        const c = containers.get(node);
        if (!c || c.userId !== token.userId)
          return graphError(
            400,
            100,
            `Unsupported get request. Object with ID '${node}' does not exist`,
            33,
            'GraphMethodException',
          );
        return {
          status: 200,
          body: { id: c.id, status_code: c.status, ...(c.statusText ? { status: c.statusText } : {}) },
        };
      }
      if (node !== token.userId)
        return graphError(
          400,
          100,
          'Unsupported request: the node is not the token’s user',
          33,
          'GraphMethodException',
        );
      if (edge === 'content_publishing_limit' && method === 'GET') {
        return {
          status: 200,
          body: {
            data: [
              {
                quota_usage: usedIn24h(node),
                config: { quota_total: options.quotaTotal, quota_duration: 86_400 },
              },
            ],
          },
        };
      }
      if (edge === 'media' && method === 'POST') {
        if (!token.scope.includes('instagram_business_content_publish'))
          return graphError(403, 10, 'Application does not have permission for this action');
        if (params.get('media_type') !== 'REELS')
          return graphError(400, 100, 'The parameter media_type must be REELS for a video');
        const videoUrl = params.get('video_url');
        if (!videoUrl || !/^https?:\/\//.test(videoUrl))
          return graphError(400, 100, 'The parameter video_url is required');
        const caption = params.get('caption') ?? '';
        if ([...caption].length > 2200)
          return graphError(400, 100, 'The caption is longer than 2200 characters', 2207010);
        const c: Container = { id: id(), userId: node, caption, videoUrl, status: 'IN_PROGRESS' };
        containers.set(c.id, c);
        void fetchVideo(c);
        return { status: 200, body: { id: c.id } };
      }
      if (edge === 'media_publish' && method === 'POST') {
        const c = containers.get(params.get('creation_id') ?? '');
        if (!c || c.userId !== node)
          return graphError(400, 100, 'The parameter creation_id is invalid', 2207001);
        if (usedIn24h(node) >= options.quotaTotal)
          return graphError(
            400,
            9,
            'Application request limit reached: the account has reached its publishing limit',
            2207042,
          );
        if (c.status === 'PUBLISHED')
          return graphError(400, 9, 'The media has already been published', 2207002);
        if (c.status !== 'FINISHED')
          return graphError(
            400,
            9007,
            'Media ID is not available: the media is not ready for publishing, wait a moment',
            2207027,
          );
        c.status = 'PUBLISHED';
        c.mediaId = id();
        published.push({ userId: node, mediaId: c.mediaId, containerId: c.id, at: Date.now() });
        options.onPosted?.({ userId: node, mediaId: c.mediaId, containerId: c.id });
        return { status: 200, body: { id: c.mediaId } };
      }
      return graphError(400, 100, `Unsupported ${method} request`, 33, 'GraphMethodException');
    },
    () => ({
      status: 500,
      body: {
        error: {
          message: 'An unexpected error has occurred. Please retry your request later.',
          type: 'OAuthException',
          code: 2,
          is_transient: true,
          fbtrace_id: 'Afake',
        },
      },
    }),
  );

  return Object.assign(server, {
    appId,
    appSecret,
    containers,
    options,
    published,
    authorize(url: string, userId: string): string {
      const p = new URL(url).searchParams;
      if (p.get('client_id') !== appId) throw new Error('authorize: wrong client_id');
      if (p.get('response_type') !== 'code') throw new Error('authorize: response_type must be code');
      const scope = p.get('scope') ?? '';
      if (!scope.split(',').includes('instagram_business_basic'))
        throw new Error('authorize: scope lacks instagram_business_basic');
      const state = p.get('state');
      if (!state) throw new Error('authorize: state is required');
      const code = `AQ${randomBytes(10).toString('hex')}`;
      codes.set(code, { userId, redirectUri: p.get('redirect_uri')!, scope });
      const back = new URL(p.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', state);
      return back.toString() + '#_';
    },
    deny(url: string): string {
      const p = new URL(url).searchParams;
      const back = new URL(p.get('redirect_uri')!);
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_reason', 'user_denied');
      back.searchParams.set('error_description', 'Permissions error');
      back.searchParams.set('state', p.get('state') ?? '');
      return back.toString() + '#_';
    },
    expireAccessTokens() {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    revokeTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    issuedSecrets: () => [...tokens.keys(), appSecret],
    grantOf(token: string) {
      const t = tokens.get(token);
      return t && { userId: t.userId, expiresAt: t.revoked ? 0 : t.expiresAt };
    },
  });
}
