// The SQL of platform_publishes: each post's progress at the platform, beside its distribution, so that a
// worker that dies resumes the post (polling, or the rest of the upload) instead of posting it again.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
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
  await db
    .insertInto('platform_publishes')
    .values({
      distribution_id: row.distributionId,
      platform: row.platform,
      account_id: row.accountId,
      stage: row.stage,
      publish_id: row.publishId ?? null,
      platform_post_id: row.platformPostId ?? null,
      detail: sql`${detail}::jsonb`,
      initialised_at: row.initialised ? sql`now()` : null,
    })
    .onConflict((oc) =>
      oc.column('distribution_id').doUpdateSet((eb) => ({
        stage: row.stage,
        ...(row.publishId !== undefined ? { publish_id: row.publishId } : {}),
        ...(row.platformPostId !== undefined ? { platform_post_id: row.platformPostId } : {}),
        detail: sql`${eb.ref('platform_publishes.detail')} || ${detail}::jsonb`,
        ...(row.initialised ? { initialised_at: sql`now()` } : {}),
      })),
    )
    .execute();
}

/** Publish initialisations of an account since `since` (TikTok's per-minute limit, counted before it bites). */
export async function initialisedSince(db: Executor, accountId: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('platform_publishes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('initialised_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** When the earliest of an account's initialisations since `since` was, to know when the window frees up. */
export async function earliestInitSince(
  db: Executor,
  accountId: string,
  since: Date,
): Promise<Date | undefined> {
  const row = await db
    .selectFrom('platform_publishes')
    .select((eb) => eb.fn.min('initialised_at').as('t'))
    .where('account_id', '=', accountId)
    .where('initialised_at', '>', since)
    .executeTakeFirst();
  return (row?.t as Date | null) ?? undefined;
}
