// What an account's own row records of what it did: its last post and its last activity.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

/** A post went out on the account at `postedAt` (a late record never moves last_post_at back). */
export async function recordPosted(db: Executor, accountId: string, postedAt: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set({
      last_post_at: sql`greatest(last_post_at, ${postedAt}::timestamptz)`,
      last_activity_at: sql`now()`,
    })
    .where('id', '=', accountId)
    .execute();
}

/** The platforms reported these accounts' follower counts (a metric pull): one statement for them all. */
export async function recordFollowers(
  db: Executor,
  counts: readonly { accountId: string; followers: number }[],
): Promise<void> {
  if (counts.length === 0) return;
  await sql`
    UPDATE accounts a SET followers = c.followers
    FROM unnest(${counts.map((c) => c.accountId)}::uuid[], ${counts.map((c) => c.followers)}::int[])
      AS c(id, followers)
    WHERE a.id = c.id`.execute(db);
}
