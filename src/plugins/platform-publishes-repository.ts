// The SQL of platform_publishes: each post's progress at the platform, beside its distribution, so that a
// worker that dies resumes the post (polling, or the rest of the upload) instead of posting it again.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import type { PublishStage } from '../distributions/distribution-model.ts';

export interface PublishProgress {
  stage: PublishStage;
  publishId: string | null;
  platformPostId: string | null;
  detail: Record<string, unknown>;
  updatedAt: Date;
}

export async function findProgress(
  db: Executor,
  distributionId: string,
): Promise<PublishProgress | undefined> {
  const row = await db
    .selectFrom('platform_publishes')
    .select(['stage', 'publish_id', 'platform_post_id', 'detail', 'updated_at'])
    .where('distribution_id', '=', distributionId)
    .executeTakeFirst();
  return row
    ? {
        stage: row.stage as PublishStage,
        publishId: row.publish_id,
        platformPostId: row.platform_post_id,
        detail: row.detail as Record<string, unknown>,
        updatedAt: row.updated_at,
      }
    : undefined;
}

/** Writes a post's progress; `detail` is merged into what is there. `initialised` stamps the rate-limit clock. */
export async function saveProgress(
  db: Executor,
  row: {
    distributionId: string;
    platform: string;
    accountId: string;
    stage: PublishStage;
    publishId?: string | null;
    platformPostId?: string | null;
    detail?: Record<string, unknown>;
    initialised?: boolean;
  },
): Promise<void> {
  const detail = JSON.stringify(row.detail ?? {});
  // What the step sets, on the first save and on later ones alike: the columns it was given (the others
  // start null and keep their value), and its stage.
  const step = {
    stage: row.stage,
    ...(row.publishId !== undefined ? { publish_id: row.publishId } : {}),
    ...(row.platformPostId !== undefined ? { platform_post_id: row.platformPostId } : {}),
    ...(row.initialised ? { initialised_at: sql<Date>`now()` } : {}),
  };
  await db
    .insertInto('platform_publishes')
    .values({
      distribution_id: row.distributionId,
      platform: row.platform,
      account_id: row.accountId,
      ...step,
      detail: sql`${detail}::jsonb`,
    })
    .onConflict((oc) =>
      oc.column('distribution_id').doUpdateSet((eb) => ({
        ...step,
        detail: sql`${eb.ref('platform_publishes.detail')} || ${detail}::jsonb`,
      })),
    )
    .execute();
}

/**
 * Stamps a post's initialisation (stage `initialising`, the rate-limit clock) when its account has had fewer
 * than `perMinute` in the last minute; otherwise writes nothing and says when the window frees up. The
 * count and the stamp are one transaction holding a lock on the account's count, so two publishes of one
 * account at once (two workers, two posts) cannot both take its last slot. Times are the database's clock.
 */
export async function stampInitialisation(
  db: Executor,
  row: { distributionId: string; platform: string; accountId: string; detail: Record<string, unknown> },
  perMinute: number,
): Promise<{ stamped: true } | { stamped: false; freeAt: Date }> {
  return inTransaction(db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('sovi:publish-inits'), hashtext(${row.accountId}))`.execute(
      trx,
    );
    const window = await trx
      .selectFrom('platform_publishes')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('initialised_at').as('earliest')])
      .where('account_id', '=', row.accountId)
      .where('initialised_at', '>', sql<Date>`now() - interval '1 minute'`)
      .executeTakeFirstOrThrow();
    if (Number(window.n) >= perMinute) {
      const earliest = window.earliest as Date;
      return { stamped: false, freeAt: new Date(earliest.getTime() + 60_000) };
    }
    await saveProgress(trx, { ...row, stage: 'initialising', initialised: true });
    return { stamped: true };
  });
}
