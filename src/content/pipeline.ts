// The production pipeline: one job per stage. A stage reads the content, does its work through its
// plug-in, and in one transaction records the result, moves the content to the next stage and queues that
// stage's job. A worker that dies mid-stage leaves the content in the stage it was in, and the retried job
// does that stage again (its outputs are overwritten, never half-written): production never starts over.
import { sql } from 'kysely';
import path from 'node:path';
import { recordActivity } from '../activity/activity-log.ts';
import type { Db } from '../db/pool.ts';
import { planDistributions } from '../distributions/distribution-planner.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import { renderHook } from '../hooks/hook-model.ts';
import { getHook, pickHook, recordHookUse } from '../hooks/hooks-service.ts';
import type { Logger } from '../logger.ts';
import {
  nextStage,
  type ProductionFailure,
  type ProductionStatus,
  type Script,
  type Stage,
} from './content-model.ts';
import type { ContentPolicy } from './content-policy.ts';
import type { GeneratedAssets, MediaStages } from './media-stages.ts';
import type { ScriptWriter } from './script-writers.ts';
import { platforms } from '../platforms.ts';

export interface StageJob {
  contentId: string;
  stage: Stage;
}

/** Where the pipeline's follow-up jobs go, inside the transaction that calls for them. */
export interface PipelineJobSink {
  enqueueStage(trx: Executor, job: StageJob): Promise<void>;
  enqueuePublish(trx: Executor, distributionIds: string[]): Promise<void>;
}

export interface PipelineDeps {
  db: Db;
  logger: Logger;
  policy: ContentPolicy;
  /** $SOVI_HOME/media: each content's files go in a folder named by its id. */
  mediaDir: string;
  writers: { primary: ScriptWriter; fallback: ScriptWriter | null };
  media: MediaStages;
  sink: PipelineJobSink;
  random?: () => number;
  now?: () => Date;
}

export type StageResult =
  | { status: 'advanced'; to: ProductionStatus }
  | { status: 'failed'; reason: string }
  /** Distributing, with no account able to take it yet: the distribution sweep tries again later. */
  | { status: 'waiting' }
  /** The content is not in this stage any more (a duplicate or late job): nothing done. */
  | { status: 'stale' }
  /** The worker is stopping or lost the job: nothing recorded, a retry does the stage. */
  | { status: 'interrupted' };

interface Loaded {
  id: string;
  topic: string;
  niche_id: string | null;
  niche_slug: string | null;
  niche_name: string | null;
  content_format: string | null;
  production_status: string;
  script_json: unknown;
  asset_manifest: unknown;
  hook_id: string | null;
  output_path: string | null;
}

async function load(db: Executor, id: string): Promise<Loaded | undefined> {
  return db
    .selectFrom('content as c')
    .leftJoin('niches as n', 'n.id', 'c.niche_id')
    .select([
      'c.id',
      'c.topic',
      'c.niche_id',
      'n.slug as niche_slug',
      'n.name as niche_name',
      'c.content_format',
      'c.production_status',
      'c.script_json',
      'c.asset_manifest',
      'c.hook_id',
      'c.output_path',
    ])
    .where('c.id', '=', id)
    .executeTakeFirst();
}

const stageData = (manifest: unknown, stage: Stage): Record<string, unknown> | undefined =>
  ((manifest as { stages?: Record<string, Record<string, unknown>> } | null)?.stages ?? {})[stage];

/** Moves the content from `stage` to the next, merging `data` into the manifest, if it is still in `stage`. */
async function advance(
  deps: PipelineDeps,
  trx: Executor,
  content: Loaded,
  stage: Stage,
  data: Record<string, unknown>,
  columns: Record<string, unknown> = {},
): Promise<StageResult> {
  const to = nextStage(stage);
  const moved = await trx
    .updateTable('content')
    .set({
      ...columns,
      production_status: to,
      asset_manifest: sql`asset_manifest || jsonb_build_object('stages',
        coalesce(asset_manifest -> 'stages', '{}'::jsonb) || jsonb_build_object(${stage}::text, ${JSON.stringify(data)}::jsonb))`,
    })
    .where('id', '=', content.id)
    .where('production_status', '=', stage)
    .executeTakeFirst();
  if (moved.numUpdatedRows === 0n) return { status: 'stale' };
  await recordActivity(trx, [
    {
      account_id: null,
      action_type: 'content_stage_done',
      detail: { contentId: content.id, stage, next: to },
    },
  ]);
  if (to !== 'complete') await deps.sink.enqueueStage(trx, { contentId: content.id, stage: to as Stage });
  return { status: 'advanced', to };
}

async function fail(
  deps: PipelineDeps,
  content: Loaded,
  stage: Stage,
  reason: string,
  details: Record<string, unknown> = {},
): Promise<StageResult> {
  const at = deps.now?.() ?? new Date();
  const failed = await markFailed(deps.db, deps.logger, content, stage, reason, details, at);
  return failed ? { status: 'failed', reason } : { status: 'stale' };
}

/** Moves content still in `stage` to failed, with its content_failed event. False when it had moved on. */
async function markFailed(
  db: Db,
  logger: Logger,
  content: { id: string; topic: string },
  stage: Stage,
  reason: string,
  details: Record<string, unknown>,
  at: Date,
): Promise<boolean> {
  const failure: ProductionFailure = { stage, reason, at: at.toISOString() };
  return db.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('content')
      .set({
        production_status: 'failed',
        asset_manifest: sql`asset_manifest || jsonb_build_object('failure', ${JSON.stringify({ ...failure, ...details })}::jsonb)`,
      })
      .where('id', '=', content.id)
      .where('production_status', '=', stage)
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) return false;
    await recordEvent(trx, {
      category: 'content',
      severity: 'error',
      eventType: 'content_failed',
      message: `"${content.topic}" failed at ${stage}: ${reason}`,
      context: { contentId: content.id, stage, reason, ...details },
    });
    logger.warn({ content: content.id, stage, reason }, 'content production failed');
    return true;
  });
}

/**
 * A stage job that failed on every attempt (its workers crashed or were stopped each time): the content
 * fails at that stage, with an event, so that it is neither stuck nor silent (`sovi content retry` resumes
 * it). If the stage had finished after all, the event says the job failed and nothing was lost.
 */
export async function abandonStage(db: Db, logger: Logger, job: StageJob, now = new Date()): Promise<void> {
  const content = await db
    .selectFrom('content')
    .select(['id', 'topic'])
    .where('id', '=', job.contentId)
    .executeTakeFirst();
  if (!content) return;
  const reason = `the ${job.stage} job failed on every attempt (its workers stopped or crashed)`;
  if (await markFailed(db, logger, content, job.stage, reason, { abandoned: true }, now)) return;
  await recordEvent(db, {
    category: 'content',
    severity: 'warning',
    eventType: 'content_stage_job_failed',
    message: `the ${job.stage} job of "${content.topic}" failed on every attempt, but the stage had finished`,
    context: { contentId: content.id, stage: job.stage },
  });
}

export async function runStage(deps: PipelineDeps, job: StageJob, signal: AbortSignal): Promise<StageResult> {
  const content = await load(deps.db, job.contentId);
  if (!content || content.production_status !== job.stage) return { status: 'stale' };
  try {
    switch (job.stage) {
      case 'scripting':
        return await scripting(deps, content, signal);
      case 'generating':
        return await generating(deps, content, signal);
      case 'assembling':
        return await assembling(deps, content, signal);
      case 'distributing':
        return await distributing(deps, content);
    }
  } catch (err) {
    if (signal.aborted) return { status: 'interrupted' };
    return fail(deps, content, job.stage, err instanceof Error ? err.message : String(err));
  }
}

const formatOf = (deps: PipelineDeps, content: Loaded) => {
  const name = content.content_format ?? 'faceless';
  const format = deps.policy.formats[name];
  if (!format) throw new Error(`the content policy has no format "${name}"`);
  return { name, ...format };
};

async function scripting(deps: PipelineDeps, content: Loaded, signal: AbortSignal): Promise<StageResult> {
  const format = formatOf(deps, content);
  const platform = format.platforms[0] ?? platforms[0];
  // A resumed stage keeps the hook it chose; a first run chooses one (Thompson sampling).
  const hook = content.hook_id
    ? await getHook(deps.db, content.hook_id)
    : await pickHook(deps.db, { nicheId: content.niche_id, platform }, deps.random);
  const niche =
    content.niche_slug && content.niche_name ? { slug: content.niche_slug, name: content.niche_name } : null;
  const request = {
    topic: content.topic,
    niche,
    format: format.name,
    hook: hook
      ? {
          line: renderHook(hook.template, { topic: content.topic, niche: niche?.name ?? '' }),
          category: hook.category,
        }
      : null,
    signal,
  };
  let script: Script;
  let fallback: { writer: string; reason: string } | undefined;
  try {
    script = await deps.writers.primary.write(request);
  } catch (err) {
    if (signal.aborted || !deps.writers.fallback) throw err;
    fallback = {
      writer: deps.writers.primary.name,
      reason: err instanceof Error ? err.message : String(err),
    };
    script = await deps.writers.fallback.write(request);
  }
  return deps.db.transaction().execute(async (trx) => {
    if (fallback) {
      await recordEvent(trx, {
        category: 'content',
        severity: 'warning',
        eventType: 'script_writer_fallback',
        message: `the ${fallback.writer} script writer failed for "${content.topic}" (${fallback.reason}); used the ${script.writer} writer`,
        context: { contentId: content.id, ...fallback },
      });
    }
    if (hook && content.hook_id === null)
      await recordHookUse(trx, hook.id, { contentId: content.id, platform });
    return advance(
      deps,
      trx,
      content,
      'scripting',
      {
        writer: script.writer,
        ...(fallback ? { fallbackFrom: fallback.writer } : {}),
        hookId: hook?.id ?? null,
      },
      { script_json: JSON.stringify(script), hook_id: hook?.id ?? null },
    );
  });
}

async function generating(deps: PipelineDeps, content: Loaded, signal: AbortSignal): Promise<StageResult> {
  const script = content.script_json as Script | null;
  if (!script) throw new Error('there is no script to voice');
  const assets = await deps.media.generate({
    contentId: content.id,
    script,
    format: formatOf(deps, content).name,
    dir: path.join(deps.mediaDir, content.id),
    wordsPerMinute: deps.policy.wordsPerMinute,
    signal,
  });
  return deps.db
    .transaction()
    .execute((trx) => advance(deps, trx, content, 'generating', { ...assets, media: deps.media.name }));
}

async function assembling(deps: PipelineDeps, content: Loaded, signal: AbortSignal): Promise<StageResult> {
  const script = content.script_json as Script | null;
  const assets = stageData(content.asset_manifest, 'generating') as GeneratedAssets | undefined;
  if (!script || !assets?.voice || !assets.background)
    throw new Error('the voice-over and background are missing: retry from generating');
  const format = formatOf(deps, content);
  const video = await deps.media.assemble({
    contentId: content.id,
    script,
    assets,
    outFile: path.join(deps.mediaDir, content.id, 'video.mp4'),
    signal,
  });
  const quality = await deps.media.check({
    file: video.outputPath,
    script,
    assets,
    captions: video.captions,
    minSeconds: format.minSeconds,
    maxSeconds: format.maxSeconds,
    blackFrameMaxSeconds: deps.policy.quality.blackFrameMaxSeconds,
    signal,
  });
  const data = {
    outputPath: video.outputPath,
    durationSeconds: video.durationSeconds,
    captions: video.captions.length,
    ...video.details,
    quality,
  };
  const required = new Set(deps.policy.quality.requiredChecks);
  const failedRequired = quality.checks.filter((c) => !c.passed && required.has(c.name));
  if (quality.score < deps.policy.quality.minScore || failedRequired.length > 0) {
    const failed = quality.checks
      .filter((c) => !c.passed)
      .map((c) => `${c.name} (${String(c.value)}; expected ${c.expected})`);
    await deps.db
      .updateTable('content')
      .set({ output_path: video.outputPath, quality_score: quality.score })
      .where('id', '=', content.id)
      .where('production_status', '=', 'assembling')
      .execute();
    const why =
      quality.score < deps.policy.quality.minScore
        ? `quality ${quality.score.toFixed(2)} is below ${deps.policy.quality.minScore}`
        : `quality ${quality.score.toFixed(2)}, but a required check failed`;
    return fail(deps, content, 'assembling', `${why}: ${failed.join(', ')}`, { quality });
  }
  return deps.db.transaction().execute((trx) =>
    advance(deps, trx, content, 'assembling', data, {
      output_path: video.outputPath,
      quality_score: quality.score,
    }),
  );
}

async function distributing(deps: PipelineDeps, content: Loaded): Promise<StageResult> {
  const script = content.script_json as Script | null;
  if (!script) throw new Error('there is no script to caption the posts with');
  const format = formatOf(deps, content);
  return deps.db.transaction().execute(async (trx) => {
    const planned = await planDistributions(
      trx,
      { contentId: content.id, nicheId: content.niche_id, format: format.name, script },
      deps.policy,
      deps.now?.() ?? new Date(),
    );
    if (planned.length > 0) {
      await deps.sink.enqueuePublish(
        trx,
        planned.map((p) => p.id),
      );
      await recordActivity(
        trx,
        planned.map((p) => ({
          account_id: p.accountId,
          action_type: 'distribution_planned',
          detail: { contentId: content.id, distributionId: p.id, platform: p.platform },
        })),
      );
      return { status: 'advanced' as const, to: 'distributing' as const };
    }
    const any = await trx
      .selectFrom('distributions')
      .select('id')
      .where('content_id', '=', content.id)
      .limit(1)
      .executeTakeFirst();
    if (any) return { status: 'advanced' as const, to: 'distributing' as const };
    const waiting = (
      stageData(content.asset_manifest, 'distributing') as { waitingSince?: string } | undefined
    )?.waitingSince;
    if (!waiting) {
      await trx
        .updateTable('content')
        .set({
          asset_manifest: sql`asset_manifest || jsonb_build_object('stages', coalesce(asset_manifest -> 'stages', '{}'::jsonb)
            || jsonb_build_object('distributing', jsonb_build_object('waitingSince', now())))`,
        })
        .where('id', '=', content.id)
        .execute();
      await recordEvent(trx, {
        category: 'content',
        severity: 'warning',
        eventType: 'no_distribution_targets',
        message: `"${content.topic}" is ready, but no account can take it now (niche, state, cadence or quota); it will be tried again`,
        context: { contentId: content.id, niche: content.niche_slug, format: format.name },
      });
    }
    return { status: 'waiting' as const };
  });
}
