// The metrics collector contract: the one interface between sovi's metric pulls and wherever a platform's
// numbers come from. sovi ships the simulator (simulator-collector.ts, the default: a fresh install and the
// demo need no platform account) and one official collector per platform (tiktok-collector.ts,
// instagram-collector.ts), reading the platforms' APIs through the account's OAuth connection. Another is a
// plug-in module loaded by path (SOVI_METRICS_COLLECTOR_<PLATFORM>). A collector only reads: sovi decides
// which posts are due, keeps within the limits it declares, and stores what it returns through the same
// ingest path as file imports (src/metrics/metrics-pull.ts).
import type { Logger } from '../logger.ts';
import type { Platform } from '../platforms.ts';

/** An account's OAuth access, as the connections domain hands it out. Never logged, stored or echoed. */
export interface AccessToken {
  accessToken: string;
  /** The platform's own id of the account (TikTok open_id, Instagram user id). */
  platformUserId: string;
}

/**
 * Where official collectors' tokens come from: the connections domain (wired by the process). `accessFor`
 * resolves null for an account with no usable connection: such an account is never given to a collector
 * that needs one. `rejected` is called once when the platform refused the token (HTTP 401 / Graph code 190),
 * so that the connection can be refreshed or marked for reconnection; `succeeded` after calls went through.
 */
export interface TokenProvider {
  accessFor(accountId: string, platform: Platform): Promise<AccessToken | null>;
  rejected(accountId: string, platform: Platform): Promise<void>;
  succeeded(accountId: string, platform: Platform): Promise<void>;
}

export interface CollectorAccount {
  id: string;
  platform: Platform;
  username: string;
  /** The account's token, for a collector that needsConnection; null otherwise. */
  access: AccessToken | null;
}

export interface CollectorPost {
  distributionId: string;
  /** The platform's id of the post (TikTok video id, Instagram media id). */
  platformPostId: string;
  postedAt: Date;
}

/** What the platform says of one post; a count it does not offer is left out (TikTok has no saves). */
export interface PostCounts {
  platformPostId: string;
  views?: number | null;
  likes?: number | null;
  comments?: number | null;
  shares?: number | null;
  saves?: number | null;
}

/** Why a call failed, which decides what sovi does next. */
export type CollectorFailure =
  /** The platform refused the token (expired, revoked): the provider's rejected(), no more calls for it. */
  | 'unauthorized'
  /** Over the platform's limit: what is left waits for the next pull, no extra calls (retryAfterMs if known). */
  | 'rate_limited'
  /** The platform is down, slow or dropped the connection: one event per platform until it answers again. */
  | 'unavailable'
  /** The platform refused the request itself (a scope not granted, a post it does not know). */
  | 'refused';

export class CollectorError extends Error {
  readonly failure: CollectorFailure;
  /** The platform's own code (TikTok error.code, Graph error.code/subcode), for the event. */
  readonly platformCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** A rate limit on the whole app (X-App-Usage, Graph code 4), not only this token: every token waits. */
  readonly appWide: boolean;
  constructor(
    failure: CollectorFailure,
    message: string,
    options: { platformCode?: string; retryAfterMs?: number; appWide?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'CollectorError';
    this.failure = failure;
    this.platformCode = options.platformCode;
    this.retryAfterMs = options.retryAfterMs;
    this.appWide = options.appWide ?? false;
  }
}

export interface MetricsCollector {
  /** For reports and events, e.g. "tiktok-display-api" or "simulator". */
  readonly name: string;
  /** True: reads through the account's OAuth connection (accounts without one are skipped). */
  readonly needsConnection: boolean;
  /** Posts one readPosts call may be given (TikTok's video query takes 20 ids; Instagram, one media). */
  readonly postsPerCall: number;
  /**
   * The platform's limit, which sovi keeps under before the platform enforces it: at most `calls` calls in
   * any `windowMs`, counted per token ('token') or for the whole app ('app').
   */
  readonly callBudget: { calls: number; windowMs: number; per: 'token' | 'app' };
  /** One call: the counts of these posts (at most postsPerCall). Throws a CollectorError on failure. */
  readPosts(account: CollectorAccount, posts: CollectorPost[], signal: AbortSignal): Promise<PostCounts[]>;
  /** One call: the account's follower count, or null when the platform does not say. */
  readFollowers(account: CollectorAccount, signal: AbortSignal): Promise<number | null>;
  close?(): Promise<void>;
}

export interface MetricsCollectorContext {
  platform: Platform;
  logger: Logger;
  /** The platform API's base URL (SOVI_TIKTOK_API_URL, SOVI_INSTAGRAM_GRAPH_URL). */
  apiUrl: string;
  /** The deadline of one call. */
  timeoutMs: number;
}

/** What a plug-in module exports (as createMetricsCollector or default). `options`: SOVI_METRICS_COLLECTOR_OPTIONS. */
export type MetricsCollectorFactory = (
  options: Readonly<Record<string, unknown>>,
  context: MetricsCollectorContext,
) => MetricsCollector | Promise<MetricsCollector>;
