// What the official connectors (tiktok-publisher.ts, instagram-publisher.ts) share: their dependencies from
// the publisher context, resuming a post from its record, a call with the account's token that refreshes and
// retries once after an authorization error, and the translation of a platform's error into a publish failure
// that says the platform's code and what to do.
import { z } from 'zod';
import {
  accessFor,
  afterRejected,
  markCallSucceeded,
  type PlatformAccess,
} from '../connections/connection-access.ts';
import type { ConnectionDeps } from '../connections/connections-service.ts';
import { PlatformError } from '../connections/platform-http.ts';
import { SoviError } from '../errors.ts';
import { platformLabels, type Platform } from '../platforms.ts';
import { parseOptions } from '../settings/parse-options.ts';
import { sleep } from '../time.ts';
import {
  findProgress,
  saveProgress,
  stampInitialisation,
  type PublishProgress,
} from './platform-publishes-repository.ts';
import {
  PublishError,
  type PublishRequest,
  type PublishResult,
  type PublisherContext,
  type PublisherFactory,
} from './publisher.ts';

const pollOptionsSchema = z
  .object({
    /** The first wait between status polls; it doubles up to pollMaxMs. */
    pollFirstMs: z.number().int().min(10).max(60_000).default(2_000),
    pollMaxMs: z.number().int().min(10).max(600_000).default(30_000),
  })
  .passthrough();

/** What an official publisher's code gets: its context and dependencies, how it polls, each request's timeout. */
export interface Connector {
  context: PublisherContext;
  deps: ConnectionDeps;
  /** How a platform's processing is polled: SOVI_PUBLISHER_OPTIONS' pollFirstMs, doubling to pollMaxMs. */
  poll: { firstMs: number; maxMs: number };
  timeoutMs: number;
}

/**
 * A platform's official publisher factory, named `<platform>-official`. Every publish starts with resumePost:
 * `make`'s publish is called only for a post the platform has not made yet, with where it stands. Its
 * platform's errors become publish failures; an aborted post keeps its abort.
 */
export function officialPublisher(
  platform: Platform,
  make: (connector: Connector) => (request: PublishRequest, resumed: PostProgress) => Promise<PublishResult>,
): PublisherFactory {
  return (input, context) => {
    const options = parseOptions(pollOptionsSchema, input, 'SOVI_PUBLISHER_OPTIONS');
    // The setting that chose it, for the error when the vault or the connector settings are missing.
    const deps = connectorDeps(context, `SOVI_PUBLISHER_${platform.toUpperCase()}`);
    const publish = make({
      context,
      deps,
      poll: { firstMs: options.pollFirstMs, maxMs: options.pollMaxMs },
      timeoutMs: deps.settings.requestTimeoutMs,
    });
    return {
      name: `${platform}-official`,
      publish: async (request) => {
        try {
          const resumed = await resumePost(context, deps, request);
          if ('done' in resumed) return resumed.done;
          return await publish(request, resumed);
        } catch (err) {
          if (request.signal.aborted) throw err;
          throw toPublishError(err);
        }
      },
    };
  };
}

function connectorDeps(context: PublisherContext, field: string): ConnectionDeps {
  if (!context.vault || !context.connectors) {
    throw new SoviError(
      'config',
      `${field}: the official connector needs the vault and the connector settings`,
      { field },
    );
  }
  return { db: context.db, vault: context.vault, settings: context.connectors, logger: context.logger };
}

/** What each platform call of a publish is bounded by: the request timeout, and the publish's abort. */
export interface CallLimits {
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * A session of calls for one account: the token, refreshed and retried once when the platform refuses it,
 * and the limits each call is made with.
 */
export async function openSession(
  deps: ConnectionDeps,
  accountId: string,
  platform: Platform,
  signal: AbortSignal,
) {
  let access: PlatformAccess = await accessFor(deps, accountId, platform, signal);
  const limits: CallLimits = { timeoutMs: deps.settings.requestTimeoutMs, signal };
  return {
    get access() {
      return access;
    },
    async call<T>(fn: (token: string, limits: CallLimits) => Promise<T>): Promise<T> {
      try {
        const result = await fn(access.accessToken, limits);
        return result;
      } catch (err) {
        const next = await afterRejected(deps, access, err, signal);
        if (!next) throw err;
        access = next;
        return fn(access.accessToken, limits);
      }
    },
    succeeded: (postingNote?: string | null) => markCallSucceeded(deps.db, access, postingNote),
  };
}

/** A platform's error as the publish failure the distribution records. */
function toPublishError(err: unknown): unknown {
  if (!(err instanceof PlatformError)) return err;
  const retryable = err.kind === 'transient' || err.kind === 'rate_limited';
  return new PublishError(`${err.message} — ${err.advice}`, retryable, {
    platformCode: err.platformCode,
    advice: err.advice,
    ...(err.kind === 'rate_limited' ? { deferMs: err.retryAfterMs ?? 60_000 } : {}),
  });
}

/** Polls `probe` with a growing wait (from `firstMs`, doubling, at most `maxMs`) until it answers. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: { firstMs: number; maxMs: number; signal: AbortSignal },
): Promise<T> {
  let wait = options.firstMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(wait, options.signal);
    wait = Math.min(options.maxMs, wait * 2);
  }
}

/** The text a post carries: the caption, then its hashtags. */
export const postText = (caption: string, hashtags: readonly string[], maxChars: number): string => {
  const tags = hashtags.map((h) => `#${h}`).join(' ');
  const text = [caption.trim(), tags].filter((s) => s !== '').join(' ');
  return [...text].slice(0, maxChars).join('');
};

type SaveRow = Parameters<typeof saveProgress>[1];

/** Where a post stands at the platform, how to record its next step, and the account's calls to make it. */
export interface PostProgress {
  progress: PublishProgress | undefined;
  session: Awaited<ReturnType<typeof openSession>>;
  save: (stage: SaveRow['stage'], rest?: Partial<SaveRow>) => Promise<void>;
  /** The post's record as it stands now, after the steps saved since. */
  reload: () => Promise<PublishProgress | undefined>;
  /** Records the initialisation, if the account's last minute has room for it (stampInitialisation). */
  stampInitialisation: (
    detail: Record<string, unknown>,
    perMinute: number,
  ) => ReturnType<typeof stampInitialisation>;
}

/**
 * The start of every official publish: a post the platform already made (the request's key was published,
 * before a crash or a retry) is answered from its record and never made again; one the platform failed stays
 * failed. Otherwise where it stands, to resume from, with a session of calls on the account's token.
 */
async function resumePost(
  context: PublisherContext,
  deps: ConnectionDeps,
  request: PublishRequest,
): Promise<{ done: PublishResult } | PostProgress> {
  const distributionId = request.idempotencyKey;
  const progress = await findProgress(context.db, distributionId);
  if (progress?.stage === 'published' && progress.platformPostId) {
    return { done: { platformPostId: progress.platformPostId, postedAt: progress.updatedAt } };
  }
  if (progress?.stage === 'failed') {
    const reason = progress.detail.reason;
    throw new PublishError(
      typeof reason === 'string' ? reason : `${platformLabels[request.platform]} failed the post`,
      false,
    );
  }
  return {
    progress,
    session: await openSession(deps, request.account.id, request.platform, request.signal),
    save: async (stage, rest = {}) => {
      await saveProgress(context.db, {
        distributionId,
        platform: request.platform,
        accountId: request.account.id,
        stage,
        ...rest,
      });
    },
    reload: () => findProgress(context.db, distributionId),
    stampInitialisation: (detail, perMinute) =>
      stampInitialisation(
        context.db,
        { distributionId, platform: request.platform, accountId: request.account.id, detail },
        perMinute,
      ),
  };
}
