// SQL for content review: the review columns of the content table (migration 023). A decision matches only
// content still awaiting review, so two reviewers deciding at once cannot both win.
//   content_review_queue_idx (review_requested_at) WHERE review_state = 'awaiting': the queue
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { nicheScopeCondition, type NicheScope } from '../niches/niche-scope.ts';
import { moveContentRow, withFailure } from './content-repository.ts';

/** Puts content in the review queue; false when it was already asked for (or decided). */
export async function requestReviewRow(db: Executor, id: string, at: Date): Promise<boolean> {
  return moveContentRow(
    db,
    id,
    { review_state: null },
    { review_state: 'awaiting', review_requested_at: at },
  );
}

/** awaiting → approved; false when it was not awaiting review. */
export async function approveReviewRow(
  db: Executor,
  id: string,
  by: string,
  note: string | null,
  at: Date,
): Promise<boolean> {
  return moveContentRow(
    db,
    id,
    { review_state: 'awaiting' },
    { review_state: 'approved', reviewed_at: at, reviewed_by: by, review_note: note },
  );
}

/**
 * awaiting → rejected, and the production to failed (at scripting, so that a retry writes a new script),
 * with the reason as its failure; false when it was not awaiting review while distributing.
 */
export async function rejectReviewRow(
  db: Executor,
  id: string,
  by: string,
  reason: string,
  at: Date,
): Promise<boolean> {
  const failure = {
    stage: 'scripting',
    reason: `rejected in review by ${by}: ${reason}`,
    at,
    rejected: true,
  };
  return moveContentRow(
    db,
    id,
    { review_state: 'awaiting', production_status: 'distributing' },
    {
      review_state: 'rejected',
      reviewed_at: at,
      reviewed_by: by,
      review_note: reason,
      production_status: 'failed',
      asset_manifest: withFailure(failure),
    },
  );
}

/** Content awaiting review, oldest request first, within the caller's niches. */
export async function reviewQueueIds(
  db: Executor,
  filter: { scope?: NicheScope; nicheId?: string; limit: number },
): Promise<string[]> {
  let q = db
    .selectFrom('content as c')
    .select('c.id')
    .where('c.review_state', '=', 'awaiting')
    .orderBy('c.review_requested_at')
    .orderBy('c.id')
    .limit(filter.limit);
  if (filter.nicheId) q = q.where('c.niche_id', '=', filter.nicheId);
  const inScope = nicheScopeCondition(sql.ref('c.niche_id'), filter.scope);
  if (inScope) q = q.where(inScope);
  return (await q.execute()).map((r) => r.id);
}
