// Review before posting, the content side: content whose niche's policy asks for review (content-policy.ts
// reviewModeFor) enters the queue once its posts are planned; a reviewer approves it (some posts or all,
// with edits; distributions/review-service.ts places and queues them) or rejects it with a reason (the
// production fails at scripting, so that `sovi content retry` writes it again, or it can be archived).
import { recordAudit } from '../audit/audit-service.ts';
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { SoviError, invalidInput } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import type { NicheScope } from '../niches/niche-scope.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import type { PublishJobSink } from '../distributions/distribution-model.ts';
import { requirePublishSink } from '../distributions/calendar-service.ts';
import {
  approvePosts,
  rejectPosts,
  type Approval,
  type ReviewOutcome,
} from '../distributions/review-service.ts';
import { getContentDetails, type ContentDetails } from './content-reads.ts';
import { getContent } from './content-service.ts';
import type { Content } from './content-model.ts';
import { approveReviewRow, rejectReviewRow, requestReviewRow, reviewQueueIds } from './review-repository.ts';

/** Puts content in the review queue (once), with its content_awaiting_review event. */
export async function requestReview(
  trx: Executor,
  content: { id: string; topic: string; niche_slug: string | null },
  posts: number,
  optional: boolean,
  now: Date,
): Promise<void> {
  if (!(await requestReviewRow(trx, content.id, now))) return;
  await recordEvent(trx, {
    category: 'content',
    severity: 'info',
    eventType: 'content_awaiting_review',
    message: optional
      ? `"${content.topic}" is scheduled on ${posts} account(s); a reviewer may still hold it`
      : `"${content.topic}" awaits review before it goes out on ${posts} account(s)`,
    context: { contentId: content.id, niche: content.niche_slug, posts, optional },
  });
}

/** The review queue: content awaiting review, oldest first, with its video, script, checks and posts. */
export async function reviewQueue(
  db: Executor,
  q: { scope?: NicheScope; niche?: string; limit?: number },
): Promise<ContentDetails[]> {
  const nicheId = q.niche ? await resolveNiche(db, q.niche, 'niche', q.scope) : undefined;
  const ids = await reviewQueueIds(db, { scope: q.scope, nicheId, limit: q.limit ?? 100 });
  return Promise.all(ids.map((id) => getContentDetails(db, id, q.scope)));
}

function awaiting(content: Content): void {
  if (content.review?.state !== 'awaiting') {
    throw new SoviError(
      'conflict',
      `content ${content.id} is ${content.review ? `already ${content.review.state}` : 'not awaiting review'}`,
      { field: 'id' },
    );
  }
}

export interface ApproveInput {
  /** The posts to approve, with any edits; the content's other posts are rejected. All when absent. */
  approve?: Approval[];
  note?: string;
}

/** Approves content awaiting review: its approved posts are queued at their slots. */
export async function approveContent(
  db: Executor,
  sink: PublishJobSink | undefined,
  id: string,
  input: ApproveInput,
  actor: string,
  scope?: NicheScope,
  now = new Date(),
): Promise<ReviewOutcome> {
  const queue = requirePublishSink(sink);
  return inTransaction(db, async (trx) => {
    const content = await getContent(trx, id, scope);
    awaiting(content);
    const outcome = await approvePosts(trx, queue, content.id, input.approve, actor, now);
    if (!(await approveReviewRow(trx, content.id, actor, input.note ?? null, now)))
      throw new SoviError('conflict', `content ${id} was decided meanwhile; check it`, { field: 'id' });
    await recordAudit(trx, {
      actor,
      action: 'content.approve',
      targetType: 'content',
      targetId: content.id,
      targetLabel: content.topic,
      changes: {
        review: { before: 'awaiting', after: 'approved' },
        approved: { before: null, after: outcome.approved.map((a) => a.account) },
        rejected: { before: null, after: outcome.rejected.map((r) => r.account) },
      },
      note: input.note ?? null,
    });
    return outcome;
  });
}

/**
 * Rejects content awaiting review with a reason: none of its posts goes out, and its production fails at
 * scripting (`sovi content retry` produces it again; or archive it).
 */
export async function rejectContent(
  db: Executor,
  id: string,
  reason: string,
  actor: string,
  scope?: NicheScope,
  now = new Date(),
): Promise<Content> {
  const why = reason.trim();
  if (why.length === 0 || why.length > 1000)
    throw invalidInput('reason', 'reason: say why it is rejected (1–1000 characters)');
  return inTransaction(db, async (trx) => {
    const content = await getContent(trx, id, scope);
    awaiting(content);
    const rejected = await rejectPosts(trx, content.id, actor, why);
    if (!(await rejectReviewRow(trx, content.id, actor, why, now))) {
      throw new SoviError(
        'conflict',
        `content ${id} is ${content.status}: only content still distributing can be rejected`,
        { field: 'id' },
      );
    }
    await recordEvent(trx, {
      category: 'content',
      severity: 'info',
      eventType: 'content_rejected',
      message: `${actor} rejected "${content.topic}": ${why}`,
      context: { contentId: content.id, actor, reason: why, posts: rejected.length },
    });
    await recordAudit(trx, {
      actor,
      action: 'content.reject',
      targetType: 'content',
      targetId: content.id,
      targetLabel: content.topic,
      changes: {
        review: { before: 'awaiting', after: 'rejected' },
        status: { before: content.status, after: 'failed' },
      },
      note: why,
    });
    return getContent(trx, content.id);
  });
}
