// The content table's side of a piece of content settling: the distributions domain takes the content row
// while it counts the content's posts, and completes the content once none is pending.
// (Statements on the content table; they belong with the rest of its SQL once content has a repository.)
import type { Executor } from '../db/executor.ts';

/** Takes the content row until the transaction ends: settlers of one content wait for each other. */
export async function lockContent(trx: Executor, contentId: string): Promise<void> {
  await trx.selectFrom('content').select('id').where('id', '=', contentId).forUpdate().execute();
}

/** distributing → complete; false when the content was not distributing. */
export async function completeContent(trx: Executor, contentId: string): Promise<boolean> {
  const done = await trx
    .updateTable('content')
    .set({ production_status: 'complete' })
    .where('id', '=', contentId)
    .where('production_status', '=', 'distributing')
    .executeTakeFirst();
  return done.numUpdatedRows > 0n;
}
