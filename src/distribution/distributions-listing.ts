// Distributions for the API: newest first in keyset pages (the CLI's filters), and marking a post removed
// with a 404 for a missing distribution and a 409 for one that is not a live post.
//   content  distributions_content_id_idx; a piece of content has a handful of distributions
//   status   distributions_status_idx (status, created_at)
import { sql } from 'kysely';
import { parsePlatform, type Platform } from '../platforms.ts';
import { decodeCursor, encodeCursor, exactTime, isExactTime } from '../db/keyset.ts';
import type { Db } from '../db/pool.ts';
import { SoviError, notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import { markRemoved } from './publishing.ts';

export const distributionStatuses = ['pending', 'posted', 'failed', 'removed'] as const;
export type DistributionStatus = (typeof distributionStatuses)[number];

export interface Distribution {
  id: string;
  contentId: string;
  accountId: string;
  username: string;
  platform: Platform;
  status: DistributionStatus;
  caption: string | null;
  hashtags: string[];
  attempts: number;
  postedAt: Date | null;
  platformPostId: string | null;
  createdAt: Date;
}

const rows = (db: Executor) =>
  db
    .selectFrom('distributions as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .select([
      'd.id',
      'd.content_id',
      'd.account_id',
      'a.username',
      'd.platform',
      'd.status',
      'd.caption',
      'd.hashtags',
      'd.attempts',
      'd.posted_at',
      'd.platform_post_id',
      'd.created_at',
      exactTime('d.created_at').as('cursor_time'),
    ]);

type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

const toDistribution = (r: Row): Distribution => ({
  id: r.id,
  contentId: r.content_id,
  accountId: r.account_id,
  username: r.username,
  platform: parsePlatform(r.platform),
  status: r.status as DistributionStatus,
  caption: r.caption,
  hashtags: r.hashtags,
  attempts: r.attempts,
  postedAt: r.posted_at,
  platformPostId: r.platform_post_id,
  createdAt: r.created_at,
});

export interface DistributionQuery {
  contentId?: string;
  accountId?: string;
  status?: DistributionStatus[];
  after?: string;
  limit: number;
}

export async function listDistributions(
  db: Executor,
  query: DistributionQuery,
): Promise<{ distributions: Distribution[]; nextCursor: string | null }> {
  const before = query.after === undefined ? undefined : readCursor(query.after);
  let q = rows(db);
  if (query.contentId) q = q.where('d.content_id', '=', query.contentId);
  if (query.accountId) q = q.where('d.account_id', '=', query.accountId);
  if (query.status?.length) q = q.where('d.status', 'in', query.status);
  if (before) {
    q = q.where(sql<boolean>`(d.created_at, d.id) < (${before.createdAt}::timestamptz, ${before.id}::uuid)`);
  }
  const found = await q
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = found.slice(0, query.limit);
  const last = page.at(-1);
  return {
    distributions: page.map(toDistribution),
    nextCursor: found.length > query.limit && last ? encodeCursor([last.cursor_time, last.id]) : null,
  };
}

export async function getDistribution(db: Executor, id: string): Promise<Distribution> {
  const row = isUuid(id) ? await rows(db).where('d.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('distribution', id);
  return toDistribution(row);
}

/** Records that the platform took a post down; only a posted distribution can be (409 otherwise). */
export async function markDistributionRemoved(db: Db, id: string, reason: string): Promise<Distribution> {
  await getDistribution(db, id);
  if (!(await markRemoved(db, id, reason))) {
    const { status } = await getDistribution(db, id);
    throw new SoviError(
      'conflict',
      `distribution ${id} is ${status}: only a posted distribution can be marked removed`,
      { field: 'id' },
    );
  }
  return getDistribution(db, id);
}

function readCursor(text: string): { createdAt: string; id: string } {
  const [createdAt, id] = decodeCursor<[string, string]>(
    text,
    'after',
    ([t, i]) => isExactTime(t) && typeof i === 'string' && isUuid(i),
  );
  return { createdAt, id };
}
