// Calls to the platforms' official APIs, and their errors in one shape. Each platform answers errors in its
// own envelope; the callers turn an answer into a PlatformError with the platform's own code, and this
// module decides what kind of failure it is, so that every caller reacts alike:
//   auth          the token is expired, revoked or lacks a scope: refresh, or the account must reconnect
//   rate_limited  the platform asks to slow down: defer until its window has passed
//   transient     5xx, a timeout, a dropped connection: try again later
//   rejected      the platform refuses the request for good (bad option, file rejected): do not retry
// Tokens travel in headers or bodies only; no URL, message or error here ever carries one.
import type { Platform } from '../platforms.ts';

export type PlatformErrorKind = 'auth' | 'rate_limited' | 'transient' | 'rejected';

export class PlatformError extends Error {
  readonly platform: Platform;
  readonly kind: PlatformErrorKind;
  /** The platform's own code (TikTok's error.code, the Graph API's code/subcode, an OAuth error), or 'network'. */
  readonly platformCode: string;
  readonly httpStatus: number | null;
  /** When a rate limit says how long to wait. */
  readonly retryAfterMs: number | null;
  constructor(
    platform: Platform,
    kind: PlatformErrorKind,
    platformCode: string,
    message: string,
    extra: { httpStatus?: number | null; retryAfterMs?: number | null } = {},
  ) {
    super(message);
    this.name = 'PlatformError';
    this.platform = platform;
    this.kind = kind;
    this.platformCode = platformCode;
    this.httpStatus = extra.httpStatus ?? null;
    this.retryAfterMs = extra.retryAfterMs ?? null;
  }

  /** What a person should do about it, said in events and post results. */
  get advice(): string {
    switch (this.kind) {
      case 'auth':
        return 'reconnect the account (sovi connect)';
      case 'rate_limited':
        return 'sovi waits for the platform’s rate-limit window and tries again';
      case 'transient':
        return 'sovi tries again later';
      case 'rejected':
        // TikTok offers each creator only some privacy levels (creator_info); which ones can change any time.
        if (this.platformCode === 'privacy_level_option_mismatch')
          return 'set the post’s privacy to one TikTok offers this account (its privacy_level_options) and retry the post';
        return 'change what the platform refused and retry the post';
    }
  }
}

export interface PlatformResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
}

/**
 * One HTTP call with a deadline. A network failure, a dropped connection or a timeout is a transient
 * PlatformError; any HTTP answer is returned for the caller to read in its platform's envelope.
 */
export async function platformFetch(
  platform: Platform,
  url: string,
  init: RequestInit & { timeoutMs: number; signal?: AbortSignal },
): Promise<PlatformResponse> {
  const timeout = AbortSignal.timeout(init.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, signal, redirect: 'error' });
    text = await response.text();
  } catch {
    if (init.signal?.aborted) throw init.signal.reason as Error;
    const what = timeout.aborted ? `no answer within ${init.timeoutMs} ms` : 'the connection failed';
    // The path only: a query string may hold a token (the Graph API's GET calls).
    throw new PlatformError(
      platform,
      'transient',
      'network',
      `${platform}: ${what} (${new URL(url).pathname})`,
      {
        httpStatus: null,
      },
    );
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : parseKeepingBigIds(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * JSON.parse, except that an integer too large for a double (TikTok's int64 post ids) is kept as the text it
 * was written as: parsed as a number it would silently become another id.
 */
export function parseKeepingBigIds(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) && context?.source
      ? context.source
      : value,
  );
}

/** Seconds from a Retry-After header, as milliseconds; null when absent. */
export function retryAfterMs(headers: Headers): number | null {
  const value = headers.get('retry-after');
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

/** An answer that is not an error envelope: a 5xx or unreadable body is transient, anything else refused. */
export function unexpectedAnswer(platform: Platform, what: string, res: PlatformResponse): PlatformError {
  const kind =
    res.status >= 500 || res.status === 0 ? 'transient' : res.status === 429 ? 'rate_limited' : 'rejected';
  return new PlatformError(
    platform,
    kind,
    `http_${res.status}`,
    `${platform} ${what}: unexpected answer (HTTP ${res.status})`,
    {
      httpStatus: res.status,
      retryAfterMs: retryAfterMs(res.headers),
    },
  );
}
