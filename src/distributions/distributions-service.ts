// Distributions' rules outside publishing: recording that a platform took a post down, which only a posted
// distribution can be.
import type { Db } from '../db/pool.ts';
import { SoviError } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import { recordAudit } from '../audit/audit-service.ts';
import type { Distribution } from './distribution-model.ts';
import { getDistribution } from './distributions-reads.ts';
import { setRemoved } from './distributions-repository.ts';

/**
 * A post the platform took down: removed, with an event and an audit record by `actor` (the publisher's
 * check is `auto`). False when it was not a posted distribution.
 */
export async function markRemoved(
  db: Db,
  distributionId: string,
  reason: string,
  actor = 'auto',
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await setRemoved(trx, distributionId);
    if (!row) return false;
    await recordEvent(trx, {
      category: 'content',
      severity: 'warning',
      eventType: 'post_removed',
      accountId: row.account_id,
      message: `the ${row.platform} post ${row.platform_post_id ?? ''} was removed: ${reason}`,
      context: {
        distributionId,
        contentId: row.content_id,
        platformPostId: row.platform_post_id,
        reason,
        actor,
      },
    });
    await recordAudit(trx, {
      actor,
      action: 'distribution.removed',
      targetType: 'distribution',
      targetId: distributionId,
      targetLabel: `${row.platform}:${row.platform_post_id ?? distributionId}`,
      changes: { status: { before: 'posted', after: 'removed' } },
      note: reason,
    });
    return true;
  });
}

/**
 * Records that the platform took a post down, for a person (the CLI, the API): not_found for a missing
 * distribution, a conflict for one that is not a live post.
 */
export async function markDistributionRemoved(
  db: Db,
  id: string,
  reason: string,
  actor = 'system',
): Promise<Distribution> {
  await getDistribution(db, id);
  if (!(await markRemoved(db, id, reason, actor))) {
    const { status } = await getDistribution(db, id);
    throw new SoviError(
      'conflict',
      `distribution ${id} is ${status}: only a posted distribution can be marked removed`,
      { field: 'id' },
    );
  }
  return getDistribution(db, id);
}
