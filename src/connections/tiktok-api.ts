// TikTok's Open API as sovi calls it: Login Kit's OAuth (authorization URL with PKCE, code exchange, refresh)
// and the envelope every other call answers in. Pages followed:
//   https://developers.tiktok.com/doc/login-kit-web (the authorization URL and its parameters)
//   https://developers.tiktok.com/doc/login-kit-desktop (PKCE: code_challenge is the hex SHA-256 of the verifier)
//   https://developers.tiktok.com/doc/oauth-user-access-token-management (POST /v2/oauth/token/)
//   https://developers.tiktok.com/doc/tiktok-api-v2-error-handling ({data, error: {code, message, log_id}})
import { createHash } from 'node:crypto';
import type { ConnectorSettings } from '../settings/connector-settings.ts';
import type { TokenGrant } from './connection-model.ts';
import {
  PlatformError,
  platformFetch,
  retryAfterMs,
  unexpectedAnswer,
  type PlatformErrorKind,
} from './platform-http.ts';

type TikTokSettings = ConnectorSettings['tiktok'];

export const tiktokCodeChallenge = (verifier: string): string =>
  createHash('sha256').update(verifier).digest('hex');

export function tiktokAuthorizeUrl(
  settings: TikTokSettings,
  input: { state: string; codeVerifier: string; redirectUri: string },
): string {
  const url = new URL(settings.authUrl);
  url.searchParams.set('client_key', settings.app!.id);
  url.searchParams.set('scope', settings.scopes.join(','));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('state', input.state);
  url.searchParams.set('code_challenge', tiktokCodeChallenge(input.codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  open_id?: string;
  refresh_token?: string;
  refresh_expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
}

/** The token endpoint's OAuth errors that mean the grant itself is bad (the person must connect again). */
const GRANT_ERRORS = new Set(['invalid_grant', 'access_denied', 'invalid_client', 'unauthorized_client']);

async function tokenCall(
  settings: TikTokSettings,
  form: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<TokenGrant> {
  const app = settings.app!;
  const res = await platformFetch('tiktok', `${settings.apiUrl}/v2/oauth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-cache' },
    body: new URLSearchParams({ client_key: app.id, client_secret: app.secret, ...form }).toString(),
    timeoutMs,
    signal,
  });
  const body = (res.body ?? {}) as TokenAnswer;
  if (res.status === 200 && body.access_token && body.open_id && body.expires_in) {
    const now = Date.now();
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token ?? null,
      accessExpiresAt: new Date(now + body.expires_in * 1000),
      refreshExpiresAt: body.refresh_expires_in ? new Date(now + body.refresh_expires_in * 1000) : null,
      platformUserId: body.open_id,
      scopes: (body.scope ?? '').split(',').filter((s) => s !== ''),
    };
  }
  if (typeof body.error === 'string') {
    const kind: PlatformErrorKind =
      res.status >= 500
        ? 'transient'
        : res.status === 429
          ? 'rate_limited'
          : GRANT_ERRORS.has(body.error)
            ? 'auth'
            : 'rejected';
    // The description is the platform's words about the request; it holds no token.
    throw new PlatformError(
      'tiktok',
      kind,
      body.error,
      `TikTok token endpoint: ${body.error}: ${body.error_description ?? ''}`.trim(),
      {
        httpStatus: res.status,
        retryAfterMs: retryAfterMs(res.headers),
      },
    );
  }
  throw unexpectedAnswer('tiktok', 'token endpoint', res);
}

export const tiktokExchangeCode = (
  settings: TikTokSettings,
  input: { code: string; codeVerifier: string; redirectUri: string },
  timeoutMs: number,
) =>
  tokenCall(
    settings,
    {
      code: input.code,
      grant_type: 'authorization_code',
      redirect_uri: input.redirectUri,
      code_verifier: input.codeVerifier,
    },
    timeoutMs,
  );

export const tiktokRefresh = (
  settings: TikTokSettings,
  refreshToken: string,
  timeoutMs: number,
  signal?: AbortSignal,
) => tokenCall(settings, { grant_type: 'refresh_token', refresh_token: refreshToken }, timeoutMs, signal);

/** TikTok's error codes by what they mean for sovi (the rest are refusals of the request). */
function kindOf(code: string, status: number): PlatformErrorKind {
  if (code === 'access_token_invalid' || code === 'scope_not_authorized' || status === 401) return 'auth';
  if (code === 'rate_limit_exceeded' || code === 'spam_risk_too_many_posts' || status === 429)
    return 'rate_limited';
  if (code === 'internal_error' || status >= 500) return 'transient';
  return 'rejected';
}

/**
 * A JSON call to the Open API with the user's token; returns `data`, or throws the envelope's error as a
 * PlatformError with TikTok's code (and its log_id, which TikTok's support asks for).
 */
export async function tiktokCall<T>(
  settings: TikTokSettings,
  accessToken: string,
  path: string,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal; query?: Record<string, string> },
): Promise<T> {
  const url = new URL(`${settings.apiUrl}${path}`);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const res = await platformFetch('tiktok', url.toString(), {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=UTF-8' },
    body: JSON.stringify(body ?? {}),
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const envelope = res.body as
    { data?: T; error?: { code?: string; message?: string; log_id?: string } } | undefined;
  const code = envelope?.error?.code;
  if (res.status === 200 && code === 'ok' && envelope?.data !== undefined) return envelope.data;
  if (typeof code === 'string' && code !== 'ok') {
    throw new PlatformError(
      'tiktok',
      kindOf(code, res.status),
      code,
      `TikTok ${path}: ${code}: ${envelope?.error?.message ?? ''} (log_id ${envelope?.error?.log_id ?? 'none'})`,
      { httpStatus: res.status, retryAfterMs: retryAfterMs(res.headers) },
    );
  }
  throw unexpectedAnswer('tiktok', path, res);
}
