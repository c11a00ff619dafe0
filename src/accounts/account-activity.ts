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

/** The platform reported the account's follower count (a metric pull). */
export async function recordFollowers(db: Executor, accountId: string, followers: number): Promise<void> {
  await db.updateTable('accounts').set({ followers }).where('id', '=', accountId).execute();
}
