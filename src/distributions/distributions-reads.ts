// Distributions as people read them (the API, the CLI, a content's page): newest first, in keyset pages,
// by content, account and status.
import { keysetPage, timeAndId, type Page, type PageQuery } from '../db/keyset.ts';
import type { Executor } from '../db/executor.ts';
import { notFound } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { NicheScope } from '../niches/niche-scope.ts';
import { parsePlatform } from '../platforms.ts';
import {
  calendarState,
  postOptionsOf,
  type Distribution,
  type DistributionReview,
  type DistributionStatus,
  type PlatformProcessing,
  type PublishStage,
} from './distribution-model.ts';
import {
  distributionRows,
  findDistribution,
  type DistributionFilter,
  type DistributionRow,
} from './distributions-repository.ts';

/** A distribution row as any listing selects it (the calendar's adds its own columns). */
type DistributionFields = Omit<DistributionRow, 'cursor_time' | 'options' | 'publish_detail'> & {
  options: unknown;
  publish_detail: unknown;
};

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const count = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * A post's progress at the platform as people may see it. The connectors' detail is picked field by field,
 * never passed on whole: it also holds TikTok's upload URL, whose query carries an upload token.
 */
export function processingOf(
  r: Pick<DistributionFields, 'publish_stage' | 'publish_id' | 'publish_updated_at' | 'publish_detail'>,
): PlatformProcessing | null {
  if (r.publish_stage === null || r.publish_updated_at === null) return null;
  const d = (r.publish_detail ?? {}) as Record<string, unknown>;
  return {
    stage: r.publish_stage as PublishStage,
    publishId: r.publish_id,
    updatedAt: r.publish_updated_at,
    privacyLevel: text(d.privacyLevel),
    note: text(d.note),
    reason: text(d.reason),
    platformCode: text(d.failReason),
    videoSize: count(d.videoSize),
    totalChunkCount: count(d.totalChunkCount),
  };
}

export const toDistribution = (r: DistributionFields): Distribution => {
  const status = r.status as DistributionStatus;
  const review = r.review as DistributionReview | null;
  return {
    id: r.id,
    contentId: r.content_id,
    accountId: r.account_id,
    username: r.username,
    platform: parsePlatform(r.platform),
    status,
    state: calendarState({ status, review, cancelledAt: r.cancelled_at }),
    caption: r.caption,
    hashtags: r.hashtags,
    attempts: r.attempts,
    scheduledAt: r.scheduled_at,
    options: postOptionsOf(r.options),
    review,
    cancelledAt: r.cancelled_at,
    cancelledBy: r.cancelled_by,
    postedAt: r.posted_at,
    platformPostId: r.platform_post_id,
    processing: processingOf(r),
    createdAt: r.created_at,
  };
};

export type DistributionQuery = DistributionFilter & PageQuery;

/** One page, newest first. `afterField` names the cursor's argument in an error (the CLI's --after). */
export async function listDistributions(
  db: Executor,
  query: DistributionQuery,
  afterField = 'after',
): Promise<{ distributions: Distribution[]; nextCursor: string | null }> {
  const page: Page<Distribution> = await keysetPage(
    query,
    timeAndId,
    (after, rows) => distributionRows(db, query, after, rows),
    (r: DistributionRow) => toDistribution(r),
    afterField,
  );
  return { distributions: page.items, nextCursor: page.nextCursor };
}

/** One post; outside the caller's niches it reads as absent. */
export async function getDistribution(db: Executor, id: string, scope?: NicheScope): Promise<Distribution> {
  const row = isUuid(id) ? await findDistribution(db, id, scope) : undefined;
  if (!row) throw notFound('distribution', id);
  return toDistribution(row);
}
