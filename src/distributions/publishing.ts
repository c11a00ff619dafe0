// Publishing one distribution through the publisher plug-in, exactly once.
//
// The distribution's id is the publisher's idempotency key on every attempt. If a worker dies after the
// platform took the post and before sovi recorded it, the retried job asks again with the same key and the
// publisher hands back the post it already made; the record is then written once (the update only matches
// a pending distribution).
//
// A publish job becomes due at its post's slot and carries that slot. When it runs it re-reads the post: a
// post cancelled, rejected or still awaiting review, or rescheduled later than the job's slot (the new slot
// has its own job), is skipped. A post that goes out more than lateSeconds after its slot records post_late.
import { recordPosted } from '../accounts/account-activity.ts';
import { recordActivity } from '../activity/activity-log.ts';
import { completeContent, lockContent } from '../content/content-service.ts';
import type { Db } from '../db/pool.ts';
import { retryWhileUnavailable } from '../db/retry-unavailable.ts';
import type { Executor } from '../db/executor.ts';
import { RetryLater } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { PublishError, type Publisher, type PublishErrorInfo } from '../plugins/publisher.ts';
import { parsePlatform } from '../platforms.ts';
import { postOptionsOf } from './distribution-model.ts';
import {
  countAttempt,
  findForPublishing,
  refundAttempt,
  postedSince,
  setFailed,
  setPosted,
  statusCounts,
} from './distributions-repository.ts';
import { markRemoved } from './distributions-service.ts';
import { videoKeyOf } from '../media/media-keys.ts';

export interface PublishDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  /** Attempts before a retryable failure becomes final. */
  maxAttempts: number;
  /** A post out more than this many seconds after its slot records a post_late warning (default 300). */
  lateSeconds?: number;
}

export type PublishOutcome =
  | { status: 'posted'; platformPostId: string }
  | { status: 'failed'; reason: string }
  /**
   * Held by a rate limit (the platform's, or the one sovi keeps under it) until `until`, without using up an
   * attempt: the caller queues the post again for then, instead of retrying it on its own backoff.
   */
  | { status: 'deferred'; until: Date; reason: string }
  /** Nothing to do: already settled, or gone. */
  | { status: 'settled' }
  /** Not this job's to publish: cancelled, rejected, awaiting review, or moved to a later slot. */
  | { status: 'skipped'; reason: string };

/** Why a job for `slot` must not publish the post as it is now; undefined when it may. */
function skipReason(
  row: { cancelled_at: Date | null; review: string | null; scheduled_at: Date | null },
  slot: Date | null | undefined,
): string | undefined {
  if (row.cancelled_at) return 'cancelled';
  if (row.review === 'rejected') return 'rejected in review';
  if (row.review === 'awaiting') return 'awaiting review';
  if (slot && row.scheduled_at && row.scheduled_at.getTime() > slot.getTime())
    return `rescheduled to ${row.scheduled_at.toISOString()}`;
  return undefined;
}

/** How long a post's record is retried through an outage before the job's own retry takes over. */
const RECORD_RETRY_MS = 30_000;

export async function publishDistribution(
  deps: PublishDeps,
  distributionId: string,
  signal: AbortSignal,
  slot?: Date | null,
): Promise<PublishOutcome> {
  const row = await findForPublishing(deps.db, distributionId);
  if (!row || row.status !== 'pending') return { status: 'settled' };
  const skip = skipReason(row, slot);
  if (skip) return { status: 'skipped', reason: skip };
  const attempts = await countAttempt(deps.db, distributionId);

  let result;
  try {
    if (!row.output_path) throw new PublishError('the content has no rendered video', false);
    // The publisher reads the video from the media store by this key (after its idempotency check: a retry
    // may be asking for a post already made, whose file is no longer needed).
    const videoKey = videoKeyOf(row.content_id);
    result = await deps.publisher.publish({
      idempotencyKey: row.id,
      platform: parsePlatform(row.platform),
      account: { id: row.account_id, username: row.username },
      videoPath: row.output_path,
      videoKey,
      caption: row.caption ?? '',
      hashtags: row.hashtags,
      options: postOptionsOf(row.options),
      scheduledAt: row.scheduled_at,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err; // The worker is stopping: the job is retried, with the same key.
    const retryable = err instanceof PublishError ? err.retryable : true;
    const reason = err instanceof Error ? err.message : String(err);
    const info = err instanceof PublishError ? err.info : {};
    if (retryable && info.deferMs !== undefined) {
      // A rate limit (the platform's, or the one sovi keeps under it): the post waits for the window without
      // using up an attempt, and says so once per deferral. Not a failure: the job engine's retries (seconds
      // to minutes, a few of them) know nothing of a window that may last hours.
      await deferPublish(deps, row, attempts, reason, info);
      return { status: 'deferred', until: new Date(Date.now() + info.deferMs), reason };
    }
    if (retryable && attempts < deps.maxAttempts) {
      deps.logger.info({ distribution: row.id, attempt: attempts, reason }, 'publish failed; will retry');
      // A retryable failure with attempts left: the job engine runs the job again, with its backoff.
      throw new RetryLater(reason);
    }
    await deps.db.transaction().execute(async (trx) => {
      if (!(await setFailed(trx, row.id))) return;
      await recordEvent(trx, {
        category: 'content',
        severity: 'error',
        eventType: 'post_failed',
        accountId: row.account_id,
        message: `posting to ${row.platform} as ${row.username} failed after ${attempts} attempt(s): ${reason}`,
        context: {
          distributionId: row.id,
          contentId: row.content_id,
          attempts,
          reason,
          retryable,
          ...(info.platformCode ? { platformCode: info.platformCode } : {}),
          ...(info.advice ? { advice: info.advice } : {}),
        },
      });
      await settleContent(trx, row.content_id);
    });
    return { status: 'failed', reason };
  }

  // The platform took the post: record it through a short outage instead of waiting out the job's retry.
  const record = () =>
    deps.db.transaction().execute(async (trx) => {
      if (!(await setPosted(trx, row.id, result))) return;
      await recordPosted(trx, row.account_id, result.postedAt);
      await recordEvent(trx, {
        category: 'content',
        severity: 'info',
        eventType: 'post_published',
        accountId: row.account_id,
        message: `posted to ${row.platform} as ${row.username} (${result.platformPostId})${result.note ? `: ${result.note}` : ''}`,
        context: {
          distributionId: row.id,
          contentId: row.content_id,
          platformPostId: result.platformPostId,
          publisher: deps.publisher.name,
          ...(result.note ? { note: result.note } : {}),
        },
      });
      const lateMs = row.scheduled_at ? result.postedAt.getTime() - row.scheduled_at.getTime() : 0;
      if (lateMs > (deps.lateSeconds ?? 300) * 1000) {
        await recordEvent(trx, {
          category: 'content',
          severity: 'warning',
          eventType: 'post_late',
          accountId: row.account_id,
          message: `the ${row.platform} post as ${row.username} went out ${Math.round(lateMs / 1000)} s after its slot`,
          context: {
            distributionId: row.id,
            contentId: row.content_id,
            scheduledAt: row.scheduled_at,
            postedAt: result.postedAt,
            lateSeconds: Math.round(lateMs / 1000),
          },
        });
      }
      await recordActivity(trx, [
        {
          account_id: row.account_id,
          action_type: 'post_published',
          detail: { distributionId: row.id, platformPostId: result.platformPostId },
        },
      ]);
      await settleContent(trx, row.content_id);
    });
  await retryWhileUnavailable(record, {
    signal,
    maxMs: RECORD_RETRY_MS,
    logger: deps.logger,
    what: `the post of distribution ${row.id}`,
  });
  return { status: 'posted', platformPostId: result.platformPostId };
}

async function deferPublish(
  deps: PublishDeps,
  row: { id: string; content_id: string; account_id: string; platform: string; username: string },
  attempts: number,
  reason: string,
  info: PublishErrorInfo,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await refundAttempt(trx, row.id, attempts);
    await recordEvent(trx, {
      category: 'content',
      severity: 'warning',
      eventType: 'post_deferred',
      accountId: row.account_id,
      message: `posting to ${row.platform} as ${row.username} is deferred by a rate limit (${info.platformCode ?? 'rate limited'}): ${info.advice ?? 'tried again later'}`,
      context: {
        distributionId: row.id,
        contentId: row.content_id,
        reason,
        platformCode: info.platformCode,
        deferMs: info.deferMs,
      },
    });
  });
}

/**
 * A publish job that failed on every attempt (its workers crashed or were stopped each time): one last
 * attempt with the same idempotency key, in which any failure is final. A post the platform already took is
 * recorded as posted; otherwise the distribution fails with its post_failed event. Either way it is settled.
 */
export function abandonPublish(
  deps: Omit<PublishDeps, 'maxAttempts'>,
  distributionId: string,
  signal: AbortSignal,
  slot?: Date | null,
): Promise<PublishOutcome> {
  return publishDistribution({ ...deps, maxAttempts: 0 }, distributionId, signal, slot);
}

/**
 * Content is complete once it has distributions and none is pending any more (posted, failed or removed),
 * a cancelled or rejected post counting as settled.
 */
export async function settleContent(trx: Executor, contentId: string): Promise<boolean> {
  // Two distributions of one content settling at once would each see the other still pending (neither
  // has committed) and neither would complete the content. Taking the content row first serializes
  // them: the second waits, and its next statement's snapshot sees the first one's commit.
  await lockContent(trx, contentId);
  const counts = await statusCounts(trx, contentId);
  if (counts.length === 0 || counts.some((c) => c.status === 'pending')) return false;
  if (!(await completeContent(trx, contentId))) return false;
  await recordEvent(trx, {
    category: 'content',
    severity: 'info',
    eventType: 'content_complete',
    message: `content ${contentId} is complete: ${counts.map((r) => `${r.n} ${r.status}`).join(', ')}`,
    context: { contentId, distributions: Object.fromEntries(counts.map((r) => [r.status, r.n])) },
  });
  return true;
}

/** Asks the publisher which recent posts are gone, and marks them removed. */
export async function checkPosts(
  deps: Pick<PublishDeps, 'db' | 'publisher' | 'logger'>,
  since: Date,
): Promise<number> {
  const status = deps.publisher.status?.bind(deps.publisher);
  if (!status) return 0;
  const posts = await postedSince(deps.db, since);
  let removed = 0;
  for (const post of posts) {
    if (!post.platform_post_id) continue;
    if ((await status({ platform: post.platform, platformPostId: post.platform_post_id })) === 'removed') {
      if (await markRemoved(deps.db, post.id, `${deps.publisher.name} reports it removed`)) removed++;
    }
  }
  return removed;
}
