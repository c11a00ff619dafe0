// The HTTP API's settings and their defaults: src/config.ts reads them as `config.api` (SOVI_SESSION_TTL_HOURS, SOVI_METRICS_TOKEN_REQUIRED, SOVI_AUTH_FAILURES_PER_MINUTE,
// SOVI_SIGNIN_ATTEMPTS_PER_MINUTE, SOVI_TRUST_PROXY, SOVI_HTTP_REQUEST_TIMEOUT_MS, SOVI_HTTP_RECEIVE_TIMEOUT_MS,
// SOVI_HTTP_IDLE_TIMEOUT_MS, SOVI_HTTP_KEEP_ALIVE_TIMEOUT_MS, and the event-stream caps SOVI_STREAMS_PER_TOKEN,
// SOVI_STREAMS_PER_ADDRESS, SOVI_STREAMS_MAX, SOVI_STREAM_MAX_BUFFER_BYTES).
import { isIP } from 'node:net';

/**
 * Which peers' X-Forwarded-For/-Proto to believe: none (false), or the proxies at these addresses and CIDR
 * ranges (proxy-addr's list, as Fastify's trustProxy takes it). Trusting every hop (`true`) is not offered:
 * any client could then name the address it wants to be seen as. Nor is a hop count: Fastify trusts no peer
 * for one (a client connecting directly could send the hops itself), so it would silently trust nothing.
 */
export type TrustProxy = false | readonly string[];

export interface ApiSettings {
  /** How long a dashboard session lasts after sign-in. */
  readonly sessionTtlHours: number;
  /** Whether /metrics wants a token (any token; read-only is enough). */
  readonly metricsTokenRequired: boolean;
  /**
   * Failed token attempts (bad bearer tokens, failed sign-ins) per client address per minute, then 429 for
   * further bad ones; counted in the database, so every sovi process on it shares the budget.
   */
  readonly authFailuresPerMinute: number;
  /** Sign-in attempts per client address per minute, failed or not. */
  readonly signInAttemptsPerMinute: number;
  /** Reverse proxies whose X-Forwarded-For/-Proto count (client addresses for limits, HTTPS for cookies, HSTS). */
  readonly trustProxy: TrustProxy;
  /** A GET unanswered after this long gets a 503 with a retry hint (see request-deadline.ts). */
  readonly requestTimeoutMs: number;
  /** Open event streams (events and warming sessions together) one token may hold, then 429. */
  readonly streamsPerToken: number;
  /** Open event streams one client address may hold, then 429. */
  readonly streamsPerAddress: number;
  /** Open event streams the whole process serves, then 429. */
  readonly streamsTotal: number;
  /**
   * What a stream may hold unsent for a client that does not read, before it is dropped (its EventSource
   * reconnects and resumes after Last-Event-ID) instead of buffering without bound.
   */
  readonly streamMaxBufferBytes: number;
  /**
   * The whole request, headers and body, must have arrived within this long, or the connection is closed
   * (408): a client trickling a body cannot hold a connection open.
   */
  readonly receiveTimeoutMs: number;
  /** A connection on which nothing moves for this long is closed (event streams send a ping every 15 s). */
  readonly idleTimeoutMs: number;
  /** How long an idle keep-alive connection waits for its next request. */
  readonly keepAliveTimeoutMs: number;
  /** A request slower than this is logged at warn; others at debug (failures at info or error). */
  readonly slowRequestMs: number;
}

export const defaultApiSettings: ApiSettings = {
  sessionTtlHours: 12,
  metricsTokenRequired: true,
  authFailuresPerMinute: 20,
  signInAttemptsPerMinute: 10,
  trustProxy: false,
  requestTimeoutMs: 15_000,
  streamsPerToken: 5,
  streamsPerAddress: 10,
  streamsTotal: 200,
  streamMaxBufferBytes: 1_048_576,
  receiveTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 72_000,
  slowRequestMs: 1_000,
};

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(item: string): boolean {
  if (PROXY_NAMES.has(item)) return true;
  const [address = '', bits, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * SOVI_TRUST_PROXY: `false`, or a comma-separated list of proxy addresses, CIDR ranges and proxy-addr's
 * names (loopback, linklocal, uniquelocal). `true` and hop counts are refused (see TrustProxy).
 */
export function parseTrustProxy(value: string): { value: TrustProxy } | { error: string } {
  const text = value.trim();
  const expected =
    "expected false, or a comma-separated list of the reverse proxies' addresses or CIDR ranges (e.g. 127.0.0.1, 10.0.0.5,192.168.0.0/16, or loopback)";
  if (text === 'false') return { value: false };
  if (text === 'true') {
    return {
      error: `${expected}; true is no longer accepted: it let any client choose its address with X-Forwarded-For`,
    };
  }
  if (/^\d+$/.test(text)) {
    return { error: `${expected}; a hop count is not accepted: name the proxies instead` };
  }
  const items = text.split(',').map((item) => item.trim());
  const bad = items.find((item) => !isProxyAddress(item));
  if (bad !== undefined) return { error: `${expected}; "${bad}" is none of these` };
  return { value: items };
}
