// The SQL of metric pulls: the posts that may be read (with when each was last read) and the open
// failure events, one per platform outage (or per account for a refusal), bumped instead of repeated.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

export interface PullablePostRow {
  distribution_id: string;
  account_id: string;
  platform: string;
  username: string;
  platform_post_id: string;
  posted_at: Date;
  last_read_at: Date | null;
}

/** Posted distributions with a platform id, posted since `since`, newest first per account. */
export async function pullablePosts(
  db: Executor,
  filter: { since: Date; accountId?: string },
): Promise<PullablePostRow[]> {
  let query = db
    .selectFrom('distributions as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .select((eb) => [
      'd.id as distribution_id',
      'd.account_id',
      'a.platform',
      'a.username',
      sql<string>`d.platform_post_id`.as('platform_post_id'),
      sql<Date>`d.posted_at`.as('posted_at'),
      eb
        .selectFrom('metric_snapshots as s')
        .whereRef('s.distribution_id', '=', 'd.id')
        .select(sql<Date>`max(s.time)`.as('t'))
        .as('last_read_at'),
    ])
    .where('d.status', '=', 'posted')
    .where('d.platform_post_id', 'is not', null)
    .where('d.posted_at', '>=', filter.since)
    .where('a.deleted_at', 'is', null);
  if (filter.accountId) query = query.where('d.account_id', '=', filter.accountId);
  return await query.orderBy('d.account_id').orderBy('d.posted_at', 'desc').execute();
}

export const PULL_FAILED = 'metrics_pull_failed';

/** The scopes ('platform' or an account id) of each platform's open failure events. */
export async function openPullFailureScopes(db: Executor): Promise<Set<string>> {
  const rows = await db
    .selectFrom('system_events')
    .select(sql<string>`context->>'platform' || ':' || (context->>'scope')`.as('key'))
    .where('resolved', '=', false)
    .where('event_type', '=', PULL_FAILED)
    .execute();
  return new Set(rows.map((r) => r.key));
}
