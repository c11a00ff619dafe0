// The HTTP API's settings and their defaults: src/config.ts reads them as `config.api` (SOVI_SESSION_SECRET,
// SOVI_SESSION_TTL_HOURS, SOVI_METRICS_TOKEN_REQUIRED, SOVI_AUTH_FAILURES_PER_MINUTE,
// SOVI_SIGNIN_ATTEMPTS_PER_MINUTE, SOVI_TRUST_PROXY, SOVI_HTTP_REQUEST_TIMEOUT_MS, and the event-stream caps
// SOVI_STREAMS_PER_TOKEN, SOVI_STREAMS_PER_ADDRESS, SOVI_STREAMS_MAX, SOVI_STREAM_MAX_BUFFER_BYTES).

export interface ApiSettings {
  /**
   * Signs session cookies and the CSRF secret cookie (HMAC-SHA256). Unset: a random secret per process, so
   * sessions end when the server restarts and are not shared by several servers behind one address.
   */
  readonly sessionSecret: string | undefined;
  /** How long a dashboard session lasts after sign-in. */
  readonly sessionTtlHours: number;
  /** Whether /metrics wants a token (any token; read-only is enough). */
  readonly metricsTokenRequired: boolean;
  /** Failed token attempts (bad bearer tokens, failed sign-ins) per client address per minute, then 429. */
  readonly authFailuresPerMinute: number;
  /** Sign-in attempts per client address per minute, failed or not. */
  readonly signInAttemptsPerMinute: number;
  /** Trust X-Forwarded-For/-Proto from a reverse proxy (client addresses for rate limits, secure cookies). */
  readonly trustProxy: boolean;
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
}

export const defaultApiSettings: ApiSettings = {
  sessionSecret: undefined,
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
};
