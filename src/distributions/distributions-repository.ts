// SQL for the distributions table: every statement that reads or writes it. Executor first, so the
// planner's reads and insert share the pipeline's transaction, and a post's record its event's.
//   content  distributions_content_id_idx; a piece of content has a handful of distributions
//   status   distributions_status_idx (status, created_at)
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { exactTime, pastTimeAndId } from '../db/keyset.ts';
import { nicheScopeCondition, type NicheScope } from '../niches/niche-scope.ts';
import type { Platform } from '../platforms.ts';
import type { DistributionReview, DistributionStatus, PostOptions } from './distribution-model.ts';
import { updatedAny } from '../db/updated.ts';

// ── The listing ──────────────────────────────────────────────────────────────────────────────────────

/** What every read of a post selects (d: distributions, a: its account): the listing and the calendar. */
export const postColumns = [
  'd.id',
  'd.content_id',
  'd.account_id',
  'a.username',
  'd.platform',
  'd.caption',
  'd.hashtags',
  'd.attempts',
  'd.scheduled_at',
  'd.options',
  'd.review',
  'd.cancelled_at',
  'd.cancelled_by',
  'd.posted_at',
  'd.platform_post_id',
  'd.created_at',
  // Its progress at the platform (pp: platform_publishes, left-joined): the reads sift its detail.
  'pp.stage as publish_stage',
  'pp.publish_id',
  'pp.updated_at as publish_updated_at',
  'pp.detail as publish_detail',
] as const;

const listed = (db: Executor) =>
  db
    .selectFrom('distributions as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .leftJoin('platform_publishes as pp', 'pp.distribution_id', 'd.id')
    .select([...postColumns, 'd.status', exactTime('d.created_at').as('cursor_time')]);

export type DistributionRow = Awaited<ReturnType<ReturnType<typeof listed>['executeTakeFirstOrThrow']>>;

export interface DistributionFilter {
  contentId?: string;
  accountId?: string;
  status?: DistributionStatus[];
  /** Only the posts of accounts in these niches (a niche-limited caller's). */
  scope?: NicheScope;
}

/** Newest first, after the (created_at, id) key when there is one. */
export async function distributionRows(
  db: Executor,
  filter: DistributionFilter,
  after: [string | null, string] | undefined,
  limit: number,
): Promise<DistributionRow[]> {
  let q = listed(db);
  if (filter.contentId) q = q.where('d.content_id', '=', filter.contentId);
  if (filter.accountId) q = q.where('d.account_id', '=', filter.accountId);
  if (filter.status?.length) q = q.where('d.status', 'in', filter.status);
  const inScope = nicheScopeCondition(sql.ref('a.niche_id'), filter.scope);
  if (inScope) q = q.where(inScope);
  if (after) q = q.where(pastTimeAndId('d.created_at', 'd.id', '<', after));
  return q.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(limit).execute();
}

/** One post; with a scope, only when its account is in one of those niches. */
export async function findDistribution(
  db: Executor,
  id: string,
  scope?: NicheScope,
): Promise<DistributionRow | undefined> {
  let q = listed(db).where('d.id', '=', id);
  const inScope = nicheScopeCondition(sql.ref('a.niche_id'), scope);
  if (inScope) q = q.where(inScope);
  return q.executeTakeFirst();
}

// ── Planning ─────────────────────────────────────────────────────────────────────────────────────────

export async function countForContent(db: Executor, contentId: string): Promise<number> {
  const row = await db
    .selectFrom('distributions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('content_id', '=', contentId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Planners take turns: the daily quotas are counted over every account, so two planners counting at once
 * could both spend the last slot. Held to the end of the transaction.
 */
export async function lockPlanning(trx: Executor): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('sovi:distribution-planning'))`.execute(trx);
}

/** Posts already out or planned since the start of the day, per platform. */
export async function postsSince(trx: Executor, dayStart: Date): Promise<{ platform: string; n: number }[]> {
  const { rows } = await sql<{ platform: string; n: number }>`
    SELECT platform, count(*)::int AS n FROM distributions
    WHERE (posted_at >= ${dayStart}) OR (status = 'pending' AND created_at >= ${dayStart})
    GROUP BY platform`.execute(trx);
  return rows;
}

export interface CadenceQuery {
  contentId: string;
  nicheId: string;
  platforms: readonly string[];
  /** An account's last post (or planned post) must be no later than this; null: no gap. */
  gapStart: Date | null;
  dayStart: Date;
  maxPostsPerAccountPerDay: number;
  limit: number;
}

/**
 * Accounts that can carry the content within their cadence: same niche, active and live, on one of the
 * platforms, not carrying it yet, with room left today. Least recently posting first, a planned post
 * counting as a post (so that content planned in a row spreads over the accounts). Locked against other
 * writers of the account until the transaction ends.
 */
export async function cadenceCandidates(
  trx: Executor,
  q: CadenceQuery,
): Promise<{ id: string; platform: Platform }[]> {
  const { rows } = await sql<{ id: string; platform: Platform }>`
    SELECT a.id, a.platform FROM accounts a
    WHERE a.niche_id = ${q.nicheId} AND a.current_state = 'active' AND a.deleted_at IS NULL
      AND a.platform = ANY(${q.platforms}::text[])
      AND NOT EXISTS (SELECT 1 FROM distributions d WHERE d.account_id = a.id AND d.content_id = ${q.contentId})
      -- An account with a posting schedule keeps its cadence through its slots (the planner's nextSlotFor).
      AND (EXISTS (SELECT 1 FROM posting_schedules s WHERE s.account_id = a.id OR s.niche_id = a.niche_id)
        OR ((a.last_post_at IS NULL OR a.last_post_at <= coalesce(${q.gapStart}::timestamptz, 'infinity'))
          AND NOT EXISTS (SELECT 1 FROM distributions d WHERE d.account_id = a.id AND d.status = 'pending' AND d.created_at > coalesce(${q.gapStart}::timestamptz, 'infinity'))
          AND (SELECT count(*) FROM distributions d
               WHERE d.account_id = a.id AND (d.posted_at >= ${q.dayStart} OR (d.status = 'pending' AND d.created_at >= ${q.dayStart})))
              < ${q.maxPostsPerAccountPerDay}))
    ORDER BY greatest(a.last_post_at,
               (SELECT max(d.created_at) FROM distributions d WHERE d.account_id = a.id AND d.status = 'pending'))
             ASC NULLS FIRST,
             a.followers DESC, a.id
    LIMIT ${q.limit}
    FOR UPDATE OF a`.execute(trx);
  return rows;
}

export interface NewDistribution {
  contentId: string;
  accountId: string;
  platform: Platform;
  caption: string;
  hashtags: string[];
  scheduledAt: Date;
  options: PostOptions;
  review: DistributionReview | null;
}

/** Pending distributions; one an account already has for the content is skipped. */
export async function insertPending(
  trx: Executor,
  planned: NewDistribution[],
): Promise<{ id: string; account_id: string; platform: string; scheduled_at: Date | null }[]> {
  return trx
    .insertInto('distributions')
    .values(
      planned.map((p) => ({
        content_id: p.contentId,
        account_id: p.accountId,
        platform: p.platform,
        caption: p.caption,
        hashtags: p.hashtags,
        status: 'pending',
        scheduled_at: p.scheduledAt,
        options: JSON.stringify(p.options),
        review: p.review,
      })),
    )
    .onConflict((oc) => oc.columns(['content_id', 'account_id']).doNothing())
    .returning(['id', 'account_id', 'platform', 'scheduled_at'])
    .execute();
}

/**
 * An account's posts between two times that hold a slot: out (posted or removed, at posted_at) or still to
 * go out (pending, not rejected or cancelled, at scheduled_at). distributions_account_schedule_idx and
 * distributions_account_id_idx serve it.
 */
export async function takenSlots(
  db: Executor,
  accountId: string,
  from: Date,
  to: Date,
  except?: string,
): Promise<Date[]> {
  const { rows } = await sql<{ at: Date }>`
    SELECT coalesce(posted_at, scheduled_at) AS at FROM distributions
    WHERE account_id = ${accountId}
      AND id <> ${except ?? '00000000-0000-0000-0000-000000000000'}::uuid
      AND ((status IN ('posted', 'removed') AND posted_at BETWEEN ${from} AND ${to})
        OR (status = 'pending' AND cancelled_at IS NULL AND review IS DISTINCT FROM 'rejected'
            AND scheduled_at BETWEEN ${from} AND ${to}))`.execute(db);
  return rows.map((r) => r.at);
}

// ── Publishing ───────────────────────────────────────────────────────────────────────────────────────

/** What the publisher needs: the post, its account, and the content's rendered video. */
export async function findForPublishing(db: Executor, id: string) {
  return db
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
      'd.scheduled_at',
      'd.options',
      'd.review',
      'd.cancelled_at',
      'a.id as account_id',
      'a.username',
      'c.output_path',
    ])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

/** Takes back the attempt a deferral counted (only if no other attempt counted since). */
export async function refundAttempt(db: Executor, id: string, attempts: number): Promise<void> {
  await db
    .updateTable('distributions')
    .set({ attempts: sql`attempts - 1` })
    .where('id', '=', id)
    .where('attempts', '=', attempts)
    .execute();
}

/** Counts one more publish attempt; returns the attempts so far. */
export async function countAttempt(db: Executor, id: string): Promise<number> {
  const row = await db
    .updateTable('distributions')
    .set({ attempts: sql`attempts + 1` })
    .where('id', '=', id)
    .returning('attempts')
    .executeTakeFirstOrThrow();
  return row.attempts;
}

/** pending → failed; false when it was no longer pending. */
export async function setFailed(trx: Executor, id: string): Promise<boolean> {
  return updatedAny(
    trx
      .updateTable('distributions')
      .set({ status: 'failed' })
      .where('id', '=', id)
      .where('status', '=', 'pending'),
  );
}

/** pending → posted, with the platform's record of the post; false when it was no longer pending. */
export async function setPosted(
  trx: Executor,
  id: string,
  post: { postedAt: Date; platformPostId: string },
): Promise<boolean> {
  return updatedAny(
    trx
      .updateTable('distributions')
      .set({ status: 'posted', posted_at: post.postedAt, platform_post_id: post.platformPostId })
      .where('id', '=', id)
      .where('status', '=', 'pending'),
  );
}

/** posted → removed; undefined when it was not a posted distribution. */
export async function setRemoved(trx: Executor, id: string) {
  return trx
    .updateTable('distributions')
    .set({ status: 'removed' })
    .where('id', '=', id)
    .where('status', '=', 'posted')
    .returning(['account_id', 'platform', 'platform_post_id', 'content_id'])
    .executeTakeFirst();
}

/**
 * A content's distributions per status (a handful of rows); a pending one that was cancelled or rejected is
 * counted as such, being settled.
 */
export async function statusCounts(
  trx: Executor,
  contentId: string,
): Promise<{ status: string; n: number }[]> {
  const { rows } = await sql<{ status: string; n: number }>`
    SELECT CASE WHEN status <> 'pending' THEN status
                WHEN cancelled_at IS NOT NULL THEN 'cancelled'
                WHEN review = 'rejected' THEN 'rejected'
                ELSE status END AS status,
           count(*)::int AS n
    FROM distributions WHERE content_id = ${contentId} GROUP BY 1`.execute(trx);
  return rows;
}

/** Posts out since a time, to ask the publisher whether they are still up. */
export async function postedSince(
  db: Executor,
  since: Date,
): Promise<{ id: string; platform: string; platform_post_id: string | null }[]> {
  return db
    .selectFrom('distributions')
    .select(['id', 'platform', 'platform_post_id'])
    .where('status', '=', 'posted')
    .where('posted_at', '>=', since)
    .execute();
}
