// Content: creating it (from a topic or a trend), following it through production, retrying a failure.
import { sql, type Selectable } from 'kysely';
import { resolveNiche } from '../niches/niches-service.ts';
import type { Content as ContentRow } from '../db/types.generated.ts';
import { SoviError, invalidInput, notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import { isUuid } from '../ids.ts';
import {
  stages,
  type Content,
  type ProductionFailure,
  type ProductionStatus,
  type Script,
  type Stage,
} from './content-model.ts';
import type { ContentPolicy } from './content-policy.ts';
import type { PipelineJobSink } from './pipeline.ts';

type Row = Selectable<ContentRow> & { niche_slug: string | null };

export function toContent(row: Row): Content {
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const base = (db: Executor) =>
  db
    .selectFrom('content as c')
    .leftJoin('niches as n', 'n.id', 'c.niche_id')
    .selectAll('c')
    .select('n.slug as niche_slug');

export async function getContent(db: Executor, id: string): Promise<Content> {
  const row = isUuid(id) ? await base(db).where('c.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('content', id);
  return toContent(row);
}

export interface NewContent {
  topic?: string;
  niche?: string;
  format?: string;
  /** Create from a trending topic: its topic and niche, unless given. */
  trendId?: string;
}

export async function createContent(
  db: Executor,
  policy: ContentPolicy,
  input: NewContent,
): Promise<Content> {
  let topic = input.topic?.trim();
  let nicheId: string | undefined = input.niche ? await resolveNiche(db, input.niche) : undefined;
  if (input.trendId !== undefined) {
    const trend = isUuid(input.trendId)
      ? await db
          .selectFrom('trending_topics')
          .select(['id', 'topic', 'niche_id'])
          .where('id', '=', input.trendId)
          .executeTakeFirst()
      : undefined;
    if (!trend)
      throw new SoviError('not_found', `--from-trend: no trending topic ${input.trendId}`, {
        field: 'from-trend',
      });
    topic ??= trend.topic;
    nicheId ??= trend.niche_id ?? undefined;
  }
  if (!topic || topic.length < 3 || topic.length > 200) {
    throw invalidInput('topic', `topic: expected 3–200 characters, got ${topic ? topic.length : 'none'}`);
  }
  if (!nicheId)
    throw invalidInput('niche', 'niche: say which niche the content is for (a slug, e.g. personal_finance)');
  const format = input.format ?? 'faceless';
  if (!policy.formats[format]) {
    throw invalidInput(
      'format',
      `format: expected one of ${Object.keys(policy.formats).join(', ')}, got "${format}"`,
    );
  }
  const row = await db
    .insertInto('content')
    .values({ topic, niche_id: nicheId, content_format: format, trend_id: input.trendId ?? null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return getContent(db, row.id);
}

export async function listContent(
  db: Executor,
  filter: { status?: string; niche?: string; limit?: number } = {},
): Promise<Content[]> {
  let query = base(db);
  if (filter.status) query = query.where('c.production_status', '=', filter.status);
  if (filter.niche) query = query.where('c.niche_id', '=', await resolveNiche(db, filter.niche));
  return (
    await query
      .orderBy('c.created_at', 'desc')
      .limit(filter.limit ?? 100)
      .execute()
  ).map(toContent);
}

/** How many pieces of content are in each status. */
export async function contentStatusCounts(db: Executor): Promise<Record<ProductionStatus, number>> {
  const rows = await db
    .selectFrom('content')
    .select(['production_status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('production_status')
    .execute();
  const counts = { scripting: 0, generating: 0, assembling: 0, distributing: 0, complete: 0, failed: 0 };
  for (const r of rows) counts[r.production_status as ProductionStatus] = Number(r.n);
  return counts;
}

/** Queues the job of the stage a piece of content is in (a no-op for a stage already queued). */
export async function produce(db: Executor, sink: PipelineJobSink, id: string): Promise<Content> {
  const content = await getContent(db, id);
  if (content.status === 'complete')
    throw new SoviError('conflict', `content ${id} is already complete`, { field: 'id' });
  if (content.status === 'failed') {
    throw new SoviError(
      'conflict',
      `content ${id} failed at ${failureOf(content)?.stage ?? '?'}: retry it with sovi content retry`,
      { field: 'id' },
    );
  }
  await sink.enqueueStage(db, { contentId: id, stage: content.status });
  return content;
}

/** Queues every piece of content that is in a stage. */
export async function produceAll(db: Executor, sink: PipelineJobSink): Promise<number> {
  const rows = await db
    .selectFrom('content')
    .select(['id', 'production_status'])
    .where('production_status', 'in', [...stages])
    .execute();
  for (const row of rows)
    await sink.enqueueStage(db, { contentId: row.id, stage: row.production_status as Stage });
  return rows.length;
}

export const failureOf = (content: Pick<Content, 'assetManifest'>): ProductionFailure | undefined =>
  content.assetManifest.failure as ProductionFailure | undefined;

/** Restarts a failed production at the stage that failed. */
export async function retryContent(
  db: Executor,
  sink: PipelineJobSink,
  id: string,
  actor: string,
): Promise<Stage> {
  const content = await getContent(db, id);
  const failure = failureOf(content);
  if (content.status !== 'failed' || !failure) {
    throw new SoviError(
      'conflict',
      `content ${id} is ${content.status}, not failed: only a failed production is retried`,
      { field: 'id' },
    );
  }
  const stage = failure.stage;
  const moved = await db
    .updateTable('content')
    .set({
      production_status: stage,
      asset_manifest: sql`(asset_manifest - 'failure') || jsonb_build_object('failures',
        coalesce(asset_manifest -> 'failures', '[]'::jsonb) || jsonb_build_array(asset_manifest -> 'failure'))`,
    })
    .where('id', '=', id)
    .where('production_status', '=', 'failed')
    .executeTakeFirst();
  if (moved.numUpdatedRows === 0n)
    throw new SoviError('conflict', `content ${id} changed meanwhile; check it and retry`, { field: 'id' });
  await sink.enqueueStage(db, { contentId: id, stage });
  await recordEvent(db, {
    category: 'content',
    severity: 'info',
    eventType: 'content_retried',
    message: `${actor} retried "${content.topic}" from ${stage}`,
    context: { contentId: id, stage, actor, previousReason: failure.reason },
  });
  return stage;
}
