// Publishing one distribution through the publisher plug-in, exactly once.
//
// The distribution's id is the publisher's idempotency key on every attempt. If a worker dies after the
// platform took the post and before sovi recorded it, the retried job asks again with the same key and the
// publisher hands back the post it already made; the record is then written once (the update only matches
// a pending distribution).
import { sql } from 'kysely';
import { recordActivity } from '../activity/activity-log.ts';
import type { Db } from '../db/pool.ts';
import { retryWhileUnavailable } from '../db/retry-unavailable.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { PublishError, type Publisher } from '../plugins/publisher.ts';
import { parsePlatform } from '../platforms.ts';

export interface PublishDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  /** Attempts before a retryable failure becomes final. */
  maxAttempts: number;
}

export type PublishOutcome =
  | { status: 'posted'; platformPostId: string }
  | { status: 'failed'; reason: string }
  /** Nothing to do: already settled, or gone. */
  | { status: 'settled' };

/** How long a post's record is retried through an outage before the job's own retry takes over. */
const RECORD_RETRY_MS = 30_000;

/** Thrown for a retryable failure with attempts left: the job engine retries it with backoff. */
export class RetryPublish extends Error {}

export async function publishDistribution(
  deps: PublishDeps,
  distributionId: string,
  signal: AbortSignal,
): Promise<PublishOutcome> {
  const row = await deps.db
    .selectFrom('distributions as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .innerJoin('content as c', 'c.id', 'd.content_id')
    .select([
      'd.id',
      'd.status',
      'd.platform',
      'd.caption',
      'd.hashtags',
      'd.content_id',
      'a.id as account_id',
      'a.username',
      'c.output_path',
    ])
    .where('d.id', '=', distributionId)
    .executeTakeFirst();
  if (!row || row.status !== 'pending') return { status: 'settled' };
  const attempt = await deps.db
    .updateTable('distributions')
    .set({ attempts: sql`attempts + 1` })
    .where('id', '=', distributionId)
    .returning('attempts')
    .executeTakeFirstOrThrow();

  let result;
  try {
    if (!row.output_path) throw new PublishError('the content has no rendered video', false);
    result = await deps.publisher.publish({
      idempotencyKey: row.id,
      platform: parsePlatform(row.platform),
      account: { id: row.account_id, username: row.username },
      videoPath: row.output_path,
      caption: row.caption ?? '',
      hashtags: row.hashtags,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err; // The worker is stopping: the job is retried, with the same key.
    const retryable = err instanceof PublishError ? err.retryable : true;
    const reason = err instanceof Error ? err.message : String(err);
    if (retryable && attempt.attempts < deps.maxAttempts) {
      deps.logger.info(
        { distribution: row.id, attempt: attempt.attempts, reason },
        'publish failed; will retry',
      );
      throw new RetryPublish(reason);
    }
    await deps.db.transaction().execute(async (trx) => {
      const failed = await trx
        .updateTable('distributions')
        .set({ status: 'failed' })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (failed.numUpdatedRows === 0n) return;
      await recordEvent(trx, {
        category: 'content',
        severity: 'error',
        eventType: 'post_failed',
        accountId: row.account_id,
        message: `posting to ${row.platform} as ${row.username} failed after ${attempt.attempts} attempt(s): ${reason}`,
        context: {
          distributionId: row.id,
          contentId: row.content_id,
          attempts: attempt.attempts,
          reason,
          retryable,
        },
      });
      await settleContent(trx, row.content_id);
    });
    return { status: 'failed', reason };
  }

  // The platform took the post: record it through a short outage instead of waiting out the job's retry.
  const recordPosted = () =>
    deps.db.transaction().execute(async (trx) => {
      const posted = await trx
        .updateTable('distributions')
        .set({ status: 'posted', posted_at: result.postedAt, platform_post_id: result.platformPostId })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (posted.numUpdatedRows === 0n) return;
      await trx
        .updateTable('accounts')
        .set({
          last_post_at: sql`greatest(last_post_at, ${result.postedAt}::timestamptz)`,
          last_activity_at: sql`now()`,
        })
        .where('id', '=', row.account_id)
        .execute();
      await recordEvent(trx, {
        category: 'content',
        severity: 'info',
        eventType: 'post_published',
        accountId: row.account_id,
        message: `posted to ${row.platform} as ${row.username} (${result.platformPostId})`,
        context: {
          distributionId: row.id,
          contentId: row.content_id,
          platformPostId: result.platformPostId,
          publisher: deps.publisher.name,
        },
      });
      await recordActivity(trx, [
        {
          account_id: row.account_id,
          action_type: 'post_published',
          detail: { distributionId: row.id, platformPostId: result.platformPostId },
        },
      ]);
      await settleContent(trx, row.content_id);
    });
  await retryWhileUnavailable(recordPosted, {
    signal,
    maxMs: RECORD_RETRY_MS,
    logger: deps.logger,
    what: `the post of distribution ${row.id}`,
  });
  return { status: 'posted', platformPostId: result.platformPostId };
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
): Promise<PublishOutcome> {
  return publishDistribution({ ...deps, maxAttempts: 0 }, distributionId, signal);
}

/**
 * Content is complete once it has distributions and none is pending any more (posted, failed or removed).
 */
export async function settleContent(trx: Executor, contentId: string): Promise<boolean> {
  // Two distributions of one content settling at once would each see the other still pending (neither
  // has committed) and neither would complete the content. Taking the content row first serializes
  // them: the second waits, and its next statement's snapshot sees the first one's commit.
  await sql`SELECT 1 FROM content WHERE id = ${contentId} FOR UPDATE`.execute(trx);
  const done = await sql<{ id: string }>`
    UPDATE content SET production_status = 'complete'
    WHERE id = ${contentId} AND production_status = 'distributing'
      AND EXISTS (SELECT 1 FROM distributions WHERE content_id = ${contentId})
      AND NOT EXISTS (SELECT 1 FROM distributions WHERE content_id = ${contentId} AND status = 'pending')
    RETURNING id`.execute(trx);
  if (done.rows.length === 0) return false;
  const counts = await sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM distributions WHERE content_id = ${contentId} GROUP BY status`.execute(
    trx,
  );
  await recordEvent(trx, {
    category: 'content',
    severity: 'info',
    eventType: 'content_complete',
    message: `content ${contentId} is complete: ${counts.rows.map((r) => `${r.n} ${r.status}`).join(', ')}`,
    context: { contentId, distributions: Object.fromEntries(counts.rows.map((r) => [r.status, r.n])) },
  });
  return true;
}

/** A post the platform took down: removed, with an event. */
export async function markRemoved(db: Db, distributionId: string, reason: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('distributions')
      .set({ status: 'removed' })
      .where('id', '=', distributionId)
      .where('status', '=', 'posted')
      .returning(['account_id', 'platform', 'platform_post_id', 'content_id'])
      .executeTakeFirst();
    if (!row) return false;
    await recordEvent(trx, {
      category: 'content',
      severity: 'warning',
      eventType: 'post_removed',
      accountId: row.account_id,
      message: `the ${row.platform} post ${row.platform_post_id ?? ''} was removed: ${reason}`,
      context: { distributionId, contentId: row.content_id, platformPostId: row.platform_post_id, reason },
    });
    return true;
  });
}

/** Asks the publisher which recent posts are gone, and marks them removed. */
export async function checkPosts(
  deps: Pick<PublishDeps, 'db' | 'publisher' | 'logger'>,
  since: Date,
): Promise<number> {
  const status = deps.publisher.status?.bind(deps.publisher);
  if (!status) return 0;
  const posts = await deps.db
    .selectFrom('distributions')
    .select(['id', 'platform', 'platform_post_id'])
    .where('status', '=', 'posted')
    .where('posted_at', '>=', since)
    .execute();
  let removed = 0;
  for (const post of posts) {
    if (!post.platform_post_id) continue;
    if ((await status({ platform: post.platform, platformPostId: post.platform_post_id })) === 'removed') {
      if (await markRemoved(deps.db, post.id, `${deps.publisher.name} reports it removed`)) removed++;
    }
  }
  return removed;
}
