// A reviewer's decisions on a content's posts (the content side is content/review-service.ts): approve some
// or all, with caption and hashtag edits, the others rejected; or reject them all. An approved post is
// placed again if its slot passed while it waited, and gets its publish job at the slot; a rejected one is
// settled and never planned again for its account. Each decision is audited with the reviewer.
import type { AuditEntry } from '../audit/audit-model.ts';
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import type { Executor } from '../db/executor.ts';
import { SoviError, invalidInput } from '../errors.ts';
import { parsePlatform } from '../platforms.ts';
import type { PublishJobSink } from './distribution-model.ts';
import {
  approveRow,
  deleteRejectedRows,
  lockContentDistributionRows,
  rejectRow,
  type LockedDistribution,
} from './calendar-repository.ts';
import { editLockedPost, postLabel, queuePublishes, type PostEditInput } from './calendar-service.ts';
import { nextSlotFor } from './distribution-planner.ts';

/** One post to approve: named by its distribution id or its account (id, platform:username or username). */
export interface Approval extends Omit<PostEditInput, 'options'> {
  post: string;
}

const isOpen = (d: LockedDistribution) =>
  d.status === 'pending' && !d.cancelled_at && d.review !== 'rejected';

function matches(d: LockedDistribution, ref: string): boolean {
  return ref === d.id || ref === d.account_id || ref === d.username || ref === postLabel(d);
}

export interface ReviewOutcome {
  approved: { id: string; account: string; scheduledAt: Date }[];
  rejected: { id: string; account: string }[];
}

/**
 * Approves the posts named (all open posts when `approvals` is undefined) and rejects the content's other
 * open posts, in `trx`.
 */
export async function approvePosts(
  trx: Executor,
  sink: PublishJobSink,
  contentId: string,
  approvals: Approval[] | undefined,
  actor: string,
  now: Date,
): Promise<ReviewOutcome> {
  const open = (await lockContentDistributionRows(trx, contentId)).filter(isOpen);
  const chosen = new Map<string, Approval>();
  if (approvals === undefined) for (const d of open) chosen.set(d.id, { post: d.id });
  approvals?.forEach((a, i) => {
    const hits = open.filter((d) => matches(d, a.post));
    if (hits.length !== 1) {
      throw invalidInput(
        `approve[${i}].post`,
        `approve[${i}].post: "${a.post}" ${hits.length === 0 ? 'is not one of this content’s posts awaiting a decision' : 'names more than one post: give its distribution id or platform:username'} (${open.map(postLabel).join(', ') || 'none'})`,
      );
    }
    chosen.set(hits[0]!.id, a);
  });
  if (chosen.size === 0)
    throw invalidInput('approve', 'approve: approve at least one post, or reject the content instead');

  const outcome: ReviewOutcome = { approved: [], rejected: [] };
  const plannedSlot = new Map(open.map((d) => [d.id, d.scheduled_at]));
  const toQueue = [];
  for (const d of open) {
    const approval = chosen.get(d.id);
    if (!approval) {
      await rejectRow(trx, d.id);
      outcome.rejected.push({ id: d.id, account: postLabel(d) });
      continue;
    }
    const index = approvals?.indexOf(approval) ?? -1;
    if (approval.caption !== undefined || approval.hashtags !== undefined)
      await editLockedPost(trx, d, approval, actor, index >= 0 ? `approve[${index}].` : '');
    // A slot that passed while the post waited for review is replaced by the account's next free one.
    const slot =
      d.scheduled_at && d.scheduled_at.getTime() > now.getTime()
        ? d.scheduled_at
        : await nextSlotFor(trx, { id: d.account_id, platform: parsePlatform(d.platform) }, now, d.id);
    if (!slot) {
      throw new SoviError(
        'conflict',
        `${postLabel(d)} has no free slot in the next 14 days (its windows and limits are full): reschedule its other posts or widen its posting schedule`,
        { field: 'approve' },
      );
    }
    await approveRow(trx, d.id, slot);
    outcome.approved.push({ id: d.id, account: postLabel(d), scheduledAt: slot });
    toQueue.push({
      id: d.id,
      accountId: d.account_id,
      platform: d.platform,
      contentId,
      scheduledAt: slot,
    });
  }
  await queuePublishes(trx, sink, toQueue, now);
  await recordAudit(trx, [
    ...outcome.approved.map((a) => ({
      actor,
      action: 'distribution.approve',
      targetType: 'distribution' as const,
      targetId: a.id,
      targetLabel: a.account,
      changes: diffChanges(
        { review: 'awaiting', scheduledAt: plannedSlot.get(a.id) ?? null },
        { review: 'approved', scheduledAt: a.scheduledAt },
      ),
    })),
    ...outcome.rejected.map((r) => rejectionAudit(actor, r, 'not approved with the content')),
  ]);
  return outcome;
}

/** The audit record of one post rejected in review. */
const rejectionAudit = (actor: string, post: { id: string; account: string }, note: string): AuditEntry => ({
  actor,
  action: 'distribution.reject',
  targetType: 'distribution',
  targetId: post.id,
  targetLabel: post.account,
  changes: { review: { before: 'awaiting', after: 'rejected' } },
  note,
});

/** Rejects every open post of a content (its whole rejection), in `trx`; audited with the reason. */
export async function rejectPosts(
  trx: Executor,
  contentId: string,
  actor: string,
  reason: string,
): Promise<{ id: string; account: string }[]> {
  const open = (await lockContentDistributionRows(trx, contentId)).filter(isOpen);
  for (const d of open) await rejectRow(trx, d.id);
  const rejected = open.map((d) => ({ id: d.id, account: postLabel(d) }));
  await recordAudit(
    trx,
    rejected.map((r) => rejectionAudit(actor, r, reason)),
  );
  return rejected;
}

/**
 * Before a rejected content is produced again: its rejected posts (never out) are dropped, so that the new
 * production's posts can be planned on those accounts.
 */
export async function discardRejectedPosts(trx: Executor, contentId: string): Promise<number> {
  return deleteRejectedRows(trx, contentId);
}
