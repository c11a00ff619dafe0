// Content: creating it (from a topic or a trend, and queuing its production at once if asked), following it
// through production, retrying a failure.
import { inNicheScope, type NicheScope } from '../niches/niche-scope.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { SoviError, invalidInput, notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { isUuid } from '../ids.ts';
import { getTrend } from '../trends/trends-service.ts';
import {
  stages,
  type Content,
  type ProductionFailure,
  type ProductionStatus,
  type ReviewState,
  type Script,
  type Stage,
} from './content-model.ts';
import type { ContentPolicy } from './content-policy.ts';
import {
  completeContentRow,
  contentInStages,
  countContentByStatus,
  findContentRow,
  insertContentRow,
  lockContentRow,
  restartContentRow,
  setContentArchivedRow,
  type ContentRow,
} from './content-repository.ts';
import type { PipelineJobSink } from './pipeline.ts';
import { discardRejectedPosts } from '../distributions/review-service.ts';

export function toContent(row: ContentRow): Content {
  return {
    id: row.id,
    topic: row.topic,
    nicheId: row.niche_id,
    nicheSlug: row.niche_slug,
    format: row.content_format,
    status: row.production_status as ProductionStatus,
    script: (row.script_json ?? null) as Script | null,
    assetManifest: (row.asset_manifest ?? {}) as Record<string, unknown>,
    qualityScore: row.quality_score,
    hookId: row.hook_id,
    outputPath: row.output_path,
    trendId: row.trend_id,
    archivedAt: row.archived_at,
    review: row.review_state
      ? {
          state: row.review_state as ReviewState,
          requestedAt: row.review_requested_at,
          reviewedAt: row.reviewed_at,
          reviewedBy: row.reviewed_by,
          note: row.review_note,
        }
      : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A process without a job sink (an API server without the job engine) cannot queue production. */
function requireSink(sink: PipelineJobSink | undefined): PipelineJobSink {
  if (sink) return sink;
  throw new SoviError(
    'unavailable',
    'this server cannot queue content production (it runs without the job engine): ' +
      'use sovi content produce, or the server of `sovi up` with its worker',
  );
}

/** One piece of content; outside the caller's niches (scope) it is not found, like one that does not exist. */
export async function getContent(db: Executor, id: string, scope?: NicheScope): Promise<Content> {
  const row = isUuid(id) ? await findContentRow(db, id) : undefined;
  if (!row || !inNicheScope(scope, row.niche_id)) throw notFound('content', id);
  return toContent(row);
}

/** How a caller names the inputs of createContent in its errors: the API's fields, the CLI's flags. */
export interface NewContentNames {
  topic: string;
  niche: string;
  format: string;
  trendId: string;
}

const apiNames: NewContentNames = { topic: 'topic', niche: 'niche', format: 'format', trendId: 'fromTrend' };

export interface NewContent {
  topic?: string;
  niche?: string;
  format?: string;
  /** Create from a trending topic: its topic and niche, unless given. */
  trendId?: string;
  /** Queue its first stage in the same transaction (it takes a job sink). */
  produce?: boolean;
  /** The API's field names unless told. */
  names?: Partial<NewContentNames>;
  /** Who creates it, for the audit trail. */
  actor?: string;
  /** The niches the creator may create in (niche-scope.ts); absent: every niche. */
  scope?: NicheScope;
}

/**
 * Creates content from a topic or a trending topic, and with `produce` queues its first stage, all in one
 * transaction (the caller's, when `db` is one). Without a sink, `produce` is refused before anything is
 * written.
 */
export async function createContent(
  db: Executor,
  policy: ContentPolicy,
  input: NewContent,
  sink?: PipelineJobSink,
): Promise<Content> {
  const names = { ...apiNames, ...input.names };
  const queue = input.produce ? requireSink(sink) : undefined;
  if (input.topic === undefined && input.trendId === undefined) {
    throw invalidInput(names.topic, `${names.topic}: say what the video is about (or give ${names.trendId})`);
  }
  return inTransaction(db, async (trx) => {
    let topic = input.topic?.trim();
    let nicheId: string | undefined;
    if (input.trendId !== undefined) {
      const trend = await getTrend(trx, input.trendId, { history: 0 }).catch((err: unknown) => {
        throw err instanceof SoviError && err.code === 'not_found'
          ? new SoviError('not_found', `${names.trendId}: no trending topic ${input.trendId}`, {
              field: names.trendId,
            })
          : err;
      });
      topic ??= trend.topic;
      nicheId = trend.nicheId ?? undefined;
    }
    if (input.niche) nicheId = await resolveNiche(trx, input.niche, names.niche, input.scope);
    else if (nicheId && !inNicheScope(input.scope, nicheId)) {
      throw new SoviError(
        'forbidden',
        `${names.trendId}: that trend's niche is not one of yours: give ${names.niche}`,
        {
          field: names.trendId,
        },
      );
    }
    if (!topic || topic.length < 3 || topic.length > 200) {
      throw invalidInput(
        names.topic,
        `${names.topic}: expected 3–200 characters, got ${topic ? topic.length : 'none'}`,
      );
    }
    if (!nicheId) {
      throw invalidInput(
        names.niche,
        `${names.niche}: say which niche the content is for (a slug, e.g. personal_finance)`,
      );
    }
    const format = input.format ?? 'faceless';
    if (!policy.formats[format]) {
      throw invalidInput(
        names.format,
        `${names.format}: expected one of ${Object.keys(policy.formats).join(', ')}, got "${format}"`,
      );
    }
    const id = await insertContentRow(trx, { topic, nicheId, format, trendId: input.trendId ?? null });
    const created = await getContent(trx, id);
    if (queue) await queue.enqueueStage(trx, { contentId: id, stage: 'scripting' });
    await recordAudit(trx, {
      actor: input.actor ?? 'system',
      action: 'content.create',
      targetType: 'content',
      targetId: id,
      targetLabel: topic,
      changes: diffChanges(undefined, {
        topic,
        niche: input.niche ?? nicheId,
        format,
        fromTrend: input.trendId ?? null,
        status: created.status,
      }),
      note: queue ? 'production queued' : null,
    });
    return created;
  });
}

/** How many pieces of content are in each status. */
export async function contentStatusCounts(
  db: Executor,
  scope?: NicheScope,
): Promise<Record<ProductionStatus, number>> {
  const counts = { scripting: 0, generating: 0, assembling: 0, distributing: 0, complete: 0, failed: 0 };
  for (const r of await countContentByStatus(db, scope))
    counts[r.production_status as ProductionStatus] = r.n;
  return counts;
}

/** Queues the job of the stage a piece of content is in (a no-op for a stage already queued). */
export async function produce(
  db: Executor,
  sink: PipelineJobSink | undefined,
  id: string,
  actor = 'system',
  scope?: NicheScope,
): Promise<Content> {
  const queue = requireSink(sink);
  const content = await getContent(db, id, scope);
  if (content.status === 'complete')
    throw new SoviError('conflict', `content ${id} is already complete`, { field: 'id' });
  if (content.status === 'failed') {
    throw new SoviError(
      'conflict',
      `content ${id} failed at ${failureOf(content)?.stage ?? '?'}: retry it with sovi content retry`,
      { field: 'id' },
    );
  }
  const stage = content.status;
  await inTransaction(db, async (trx) => {
    await queue.enqueueStage(trx, { contentId: id, stage });
    await recordProduce(trx, actor, content.id, content.topic, stage);
  });
  return content;
}

/** Queues every piece of content that is in a stage. */
export async function produceAll(db: Executor, sink: PipelineJobSink, actor = 'system'): Promise<number> {
  return inTransaction(db, async (trx) => {
    const rows = await contentInStages(trx, stages);
    for (const row of rows) {
      await sink.enqueueStage(trx, { contentId: row.id, stage: row.production_status as Stage });
      await recordProduce(trx, actor, row.id, row.topic, row.production_status);
    }
    return rows.length;
  });
}

/** Queuing a stage changes no field: the record says which stage was queued. */
const recordProduce = (trx: Executor, actor: string, id: string, topic: string, stage: string) =>
  recordAudit(trx, {
    actor,
    action: 'content.produce',
    targetType: 'content',
    targetId: id,
    targetLabel: topic,
    note: `queued ${stage}`,
  });

export const failureOf = (content: Pick<Content, 'assetManifest'>): ProductionFailure | undefined =>
  content.assetManifest.failure as ProductionFailure | undefined;

/**
 * Restarts a failed production at the stage that failed: the move, its job and its event in one
 * transaction (the caller's, when `db` is one).
 */
export async function retryContent(
  db: Executor,
  sink: PipelineJobSink | undefined,
  id: string,
  actor: string,
  scope?: NicheScope,
): Promise<Stage> {
  const queue = requireSink(sink);
  return inTransaction(db, async (trx) => {
    const content = await getContent(trx, id, scope);
    const failure = failureOf(content);
    if (content.status !== 'failed' || !failure) {
      throw new SoviError(
        'conflict',
        `content ${id} is ${content.status}, not failed: only a failed production is retried`,
        { field: 'id' },
      );
    }
    if (content.archivedAt) {
      throw new SoviError('conflict', `content ${id} is archived: restore it before retrying`, {
        field: 'id',
      });
    }
    const stage = failure.stage;
    // A production rejected in review is made again from its script: its rejected posts (never out) go,
    // so that the new one's posts can be planned on those accounts.
    if ((failure as { rejected?: boolean }).rejected) await discardRejectedPosts(trx, id);
    if (!(await restartContentRow(trx, id, stage)))
      throw new SoviError('conflict', `content ${id} changed meanwhile; check it and retry`, { field: 'id' });
    await queue.enqueueStage(trx, { contentId: id, stage });
    await recordEvent(trx, {
      category: 'content',
      severity: 'info',
      eventType: 'content_retried',
      message: `${actor} retried "${content.topic}" from ${stage}`,
      context: { contentId: id, stage, actor, previousReason: failure.reason },
    });
    await recordAudit(trx, {
      actor,
      action: 'content.retry',
      targetType: 'content',
      targetId: id,
      targetLabel: content.topic,
      changes: { status: { before: 'failed', after: stage } },
      note: failure.reason,
    });
    return stage;
  });
}

/**
 * Archives a piece whose production has ended (complete or failed), or restores an archived one: archived
 * content leaves the board and the library's default view, and keeps its distributions and metrics.
 * Recorded as an event naming the actor.
 */
export async function setContentArchived(
  db: Executor,
  id: string,
  archived: boolean,
  actor: string,
  scope?: NicheScope,
): Promise<Content> {
  return inTransaction(db, async (trx) => {
    const content = await getContent(trx, id, scope);
    if (!(await setContentArchivedRow(trx, id, archived))) {
      const why =
        content.status !== 'complete' && content.status !== 'failed'
          ? `is ${content.status}: only content whose production has ended (complete or failed) is archived`
          : archived
            ? 'is already archived'
            : 'is not archived';
      throw new SoviError('conflict', `content ${id} ${why}`, { field: 'id' });
    }
    await recordEvent(trx, {
      category: 'content',
      severity: 'info',
      eventType: archived ? 'content_archived' : 'content_restored',
      message: `${actor} ${archived ? 'archived' : 'restored'} "${content.topic}"`,
      context: { contentId: id, actor },
    });
    await recordAudit(trx, {
      actor,
      action: archived ? 'content.archive' : 'content.restore',
      targetType: 'content',
      targetId: id,
      targetLabel: content.topic,
      changes: { archived: { before: !archived, after: archived } },
    });
    return getContent(trx, id);
  });
}

/**
 * For settling distributions: takes the content's row lock, so that the settlings of one content's
 * distributions run one at a time and the last one sees every other's commit.
 */
export async function lockContent(trx: Executor, id: string): Promise<void> {
  await lockContentRow(trx, id);
}

/** Ends the production of distributing content (its distributions have settled); false if not distributing. */
export async function completeContent(trx: Executor, id: string): Promise<boolean> {
  return completeContentRow(trx, id);
}
