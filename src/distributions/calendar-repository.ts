// SQL for the calendar and review decisions on distributions: slots, review decisions, cancellation,
// retries and caption edits. Each write matches only a post it may still change (pending, not cancelled,
// not rejected; a failed one for a retry), so a post that went out meanwhile is left alone.
//   distributions_schedule_idx (scheduled_at, account_id): the calendar's time range
import { sql, type Updateable } from 'kysely';
import type { Distributions } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';
import { nicheScopeCondition, type NicheScope } from '../niches/niche-scope.ts';
import type { Platform } from '../platforms.ts';
import type { DistributionStatus, PostOptions } from './distribution-model.ts';
import { postColumns } from './distributions-repository.ts';
import { updatedAny } from '../db/updated.ts';

/** A post that may still change: pending, not cancelled, not rejected. */
const open = sql<boolean>`status = 'pending' AND cancelled_at IS NULL AND review IS DISTINCT FROM 'rejected'`;

export interface LockedDistribution {
  id: string;
  content_id: string;
  account_id: string;
  username: string;
  platform: Platform;
  niche_id: string | null;
  status: string;
  review: string | null;
  cancelled_at: Date | null;
  scheduled_at: Date | null;
  caption: string | null;
  hashtags: string[];
  options: unknown;
}

/** What both locking reads select: a LockedDistribution, the post with its account. */
const selectLocked = sql`
    SELECT d.id, d.content_id, d.account_id, a.username, d.platform, a.niche_id, d.status, d.review,
           d.cancelled_at, d.scheduled_at, d.caption, d.hashtags, d.options
    FROM distributions d JOIN accounts a ON a.id = d.account_id`;

/** One distribution with its account, locked until the transaction ends. */
export async function lockDistributionRow(
  trx: Executor,
  id: string,
): Promise<LockedDistribution | undefined> {
  const { rows } = await sql<LockedDistribution>`
    ${selectLocked}
    WHERE d.id = ${id}
    FOR UPDATE OF d`.execute(trx);
  return rows[0];
}

/** A content's distributions with their accounts, locked (a handful of rows). */
export async function lockContentDistributionRows(
  trx: Executor,
  contentId: string,
): Promise<LockedDistribution[]> {
  const { rows } = await sql<LockedDistribution>`
    ${selectLocked}
    WHERE d.content_id = ${contentId}
    ORDER BY d.created_at, d.id
    FOR UPDATE OF d`.execute(trx);
  return rows;
}

export interface PostEdit {
  caption?: string;
  hashtags?: string[];
  options?: PostOptions;
}

/** Changes a post only while it is open (pending, neither cancelled nor rejected); false once it is not. */
async function updateOpenRow(trx: Executor, id: string, set: Updateable<Distributions>): Promise<boolean> {
  return updatedAny(trx.updateTable('distributions').set(set).where('id', '=', id).where(open));
}

/** Caption, hashtags or options of a post not yet out; false when it is no longer open. */
export const editOpenRow = (trx: Executor, id: string, edit: PostEdit): Promise<boolean> =>
  updateOpenRow(trx, id, {
    ...(edit.caption !== undefined ? { caption: edit.caption } : {}),
    ...(edit.hashtags !== undefined ? { hashtags: edit.hashtags } : {}),
    ...(edit.options !== undefined ? { options: JSON.stringify(edit.options) } : {}),
  });

/** A reviewer's approval of one post, at its slot. */
export const approveRow = (trx: Executor, id: string, slot: Date): Promise<boolean> =>
  updateOpenRow(trx, id, { review: 'approved', scheduled_at: slot });

/** A reviewer's rejection of one post: settled, never published. */
export const rejectRow = (trx: Executor, id: string): Promise<boolean> =>
  updateOpenRow(trx, id, { review: 'rejected' });

export const rescheduleRow = (trx: Executor, id: string, slot: Date): Promise<boolean> =>
  updateOpenRow(trx, id, { scheduled_at: slot });

export const cancelRow = (trx: Executor, id: string, by: string, at: Date): Promise<boolean> =>
  updateOpenRow(trx, id, { cancelled_at: at, cancelled_by: by });

/** failed → pending again, with a fresh attempt count, at `slot`; false when it was not failed. */
export async function retryRow(trx: Executor, id: string, slot: Date): Promise<boolean> {
  return updatedAny(
    trx
      .updateTable('distributions')
      .set({ status: 'pending', attempts: 0, scheduled_at: slot })
      .where('id', '=', id)
      .where('status', '=', 'failed'),
  );
}

/** Pending posts a whole-content rejection left; a new production of the content plans its accounts again. */
export async function deleteRejectedRows(trx: Executor, contentId: string): Promise<number> {
  const done = await trx
    .deleteFrom('distributions')
    .where('content_id', '=', contentId)
    .where('status', '=', 'pending')
    .where('review', '=', 'rejected')
    .executeTakeFirst();
  return Number(done.numDeletedRows);
}

export interface CalendarFilter {
  from: Date;
  to: Date;
  accountId?: string;
  nicheId?: string;
  platform?: Platform;
  scope?: NicheScope;
  limit: number;
}

export interface CalendarRow {
  id: string;
  content_id: string;
  account_id: string;
  username: string;
  platform: string;
  status: DistributionStatus;
  caption: string | null;
  hashtags: string[];
  attempts: number;
  scheduled_at: Date | null;
  options: unknown;
  review: string | null;
  cancelled_at: Date | null;
  cancelled_by: string | null;
  posted_at: Date | null;
  platform_post_id: string | null;
  created_at: Date;
  publish_stage: string | null;
  publish_id: string | null;
  publish_updated_at: Date | null;
  publish_detail: unknown;
  topic: string;
  niche_id: string | null;
  niche_slug: string | null;
  has_video: boolean;
  at: Date;
}

/**
 * Posts whose time (posted_at once out, else scheduled_at) falls in [from, to), earliest first. The range
 * is on an expression no index holds: a team's calendar is thousands of rows, and the limit bounds the
 * answer.
 */
export async function calendarRows(db: Executor, f: CalendarFilter): Promise<CalendarRow[]> {
  let q = db
    .selectFrom('distributions as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .innerJoin('content as c', 'c.id', 'd.content_id')
    .leftJoin('niches as n', 'n.id', 'a.niche_id')
    .leftJoin('platform_publishes as pp', 'pp.distribution_id', 'd.id')
    .select([...postColumns, 'c.topic', 'a.niche_id', 'n.slug as niche_slug'])
    .select((eb) => [
      eb.ref('d.status').$castTo<DistributionStatus>().as('status'),
      sql<boolean>`c.output_path IS NOT NULL`.as('has_video'),
      sql<Date>`coalesce(d.posted_at, d.scheduled_at)`.as('at'),
    ])
    .where(sql<boolean>`coalesce(d.posted_at, d.scheduled_at) >= ${f.from}`)
    .where(sql<boolean>`coalesce(d.posted_at, d.scheduled_at) < ${f.to}`);
  if (f.accountId) q = q.where('d.account_id', '=', f.accountId);
  if (f.nicheId) q = q.where('a.niche_id', '=', f.nicheId);
  if (f.platform) q = q.where('d.platform', '=', f.platform);
  const inScope = nicheScopeCondition(sql.ref('a.niche_id'), f.scope);
  if (inScope) q = q.where(inScope);
  return q
    .orderBy(sql`coalesce(d.posted_at, d.scheduled_at)`)
    .orderBy('d.id')
    .limit(f.limit)
    .execute();
}
