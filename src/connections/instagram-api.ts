// The Instagram API with Instagram Login as sovi calls it: Business Login's OAuth (authorization URL, code →
// short-lived token → long-lived token, refresh) and the Graph API's error envelope. Pages followed:
//   https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login
//   https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
//   https://developers.facebook.com/docs/graph-api/guides/error-handling ({error: {message, type, code,
//     error_subcode, fbtrace_id}}; code 190 an invalid token, 4/17/32/613 rate limits)
import type { ConnectorSettings } from '../settings/connector-settings.ts';
import type { TokenGrant } from './connection-model.ts';
import {
  PlatformError,
  platformFetch,
  retryAfterMs,
  unexpectedAnswer,
  type PlatformErrorKind,
  type PlatformResponse,
} from './platform-http.ts';

type InstagramSettings = ConnectorSettings['instagram'];

export function instagramAuthorizeUrl(
  settings: InstagramSettings,
  input: { state: string; redirectUri: string },
): string {
  const url = new URL(settings.authUrl);
  url.searchParams.set('client_id', settings.app!.id);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', settings.scopes.join(','));
  url.searchParams.set('state', input.state);
  return url.toString();
}

interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  fbtrace_id?: string;
}

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
/** "The account has reached its publishing limit" (content publishing troubleshooting). */
const PUBLISH_LIMIT_SUBCODE = 2207042;

function kindOf(error: GraphError, status: number): PlatformErrorKind {
  if (
    error.code === 190 ||
    error.code === 10 ||
    (error.code !== undefined && error.code >= 200 && error.code < 300)
  )
    return 'auth';
  if (
    (error.code !== undefined && RATE_LIMIT_CODES.has(error.code)) ||
    error.error_subcode === PUBLISH_LIMIT_SUBCODE ||
    status === 429
  )
    return 'rate_limited';
  if (error.is_transient === true || error.code === 1 || error.code === 2 || status >= 500)
    return 'transient';
  return 'rejected';
}

/** Reads a Graph API answer: its body on 200, else its error envelope as a PlatformError. */
export function graphResult<T>(what: string, res: PlatformResponse): T {
  const body = res.body as ({ error?: GraphError } & Record<string, unknown>) | undefined;
  if (res.status === 200 && body && body.error === undefined) return body as T;
  const error = body?.error;
  if (error && typeof error === 'object') {
    const code = `${error.code ?? 'unknown'}${error.error_subcode ? `/${error.error_subcode}` : ''}`;
    throw new PlatformError(
      'instagram',
      kindOf(error, res.status),
      code,
      `Instagram ${what}: ${error.type ?? 'error'} ${code}: ${error.message ?? ''} (fbtrace_id ${error.fbtrace_id ?? 'none'})`,
      { httpStatus: res.status, retryAfterMs: retryAfterMs(res.headers) },
    );
  }
  throw unexpectedAnswer('instagram', what, res);
}

/** A Graph API call with the user's token (in the query, as the Instagram API's pages show it). */
export async function graphCall<T>(
  settings: InstagramSettings,
  accessToken: string,
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, string>,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<T> {
  const url = new URL(`${settings.graphUrl}/${settings.graphVersion}${path}`);
  const all = { ...params, access_token: accessToken };
  let body: string | undefined;
  if (method === 'GET') for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  else body = new URLSearchParams(all).toString();
  const res = await platformFetch('instagram', url.toString(), {
    method,
    headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    body,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  return graphResult<T>(path, res);
}

/** The code → short-lived token → long-lived (60-day) token of Business Login. */
export async function instagramExchangeCode(
  settings: InstagramSettings,
  input: { code: string; redirectUri: string },
  timeoutMs: number,
): Promise<TokenGrant> {
  const app = settings.app!;
  const res = await platformFetch('instagram', settings.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: app.id,
      client_secret: app.secret,
      grant_type: 'authorization_code',
      redirect_uri: input.redirectUri,
      code: input.code,
    }).toString(),
    timeoutMs,
  });
  const short = graphResult<{
    data?: { access_token?: string; user_id?: string | number; permissions?: string }[];
  }>('oauth/access_token', res).data?.[0];
  if (!short?.access_token || short.user_id === undefined)
    throw unexpectedAnswer('instagram', 'oauth/access_token', res);
  const url = new URL(`${settings.graphUrl}/access_token`);
  url.searchParams.set('grant_type', 'ig_exchange_token');
  url.searchParams.set('client_secret', app.secret);
  url.searchParams.set('access_token', short.access_token);
  const long = await longLived(url, 'access_token', timeoutMs);
  return {
    ...long,
    platformUserId: String(short.user_id),
    scopes: (short.permissions ?? '').split(',').filter((s) => s !== ''),
  };
}

/** Refreshes a long-lived token (at least 24 hours old, not expired) for another 60 days. */
export async function instagramRefresh(
  settings: InstagramSettings,
  accessToken: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Omit<TokenGrant, 'platformUserId' | 'scopes'>> {
  const url = new URL(`${settings.graphUrl}/refresh_access_token`);
  url.searchParams.set('grant_type', 'ig_refresh_token');
  url.searchParams.set('access_token', accessToken);
  return longLived(url, 'refresh_access_token', timeoutMs, signal);
}

async function longLived(url: URL, what: string, timeoutMs: number, signal?: AbortSignal) {
  const res = await platformFetch('instagram', url.toString(), { method: 'GET', timeoutMs, signal });
  const body = graphResult<{ access_token?: string; expires_in?: number }>(what, res);
  if (!body.access_token || !body.expires_in) throw unexpectedAnswer('instagram', what, res);
  return {
    accessToken: body.access_token,
    refreshToken: null,
    accessExpiresAt: new Date(Date.now() + body.expires_in * 1000),
    refreshExpiresAt: null,
  };
}
