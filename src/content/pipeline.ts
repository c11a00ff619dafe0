// The production pipeline: one job per stage. A stage reads the content, does its work through its
// plug-in, and in one transaction records the result, moves the content to the next stage and queues that
// stage's job. A worker that dies mid-stage leaves the content in the stage it was in, and the retried job
// does that stage again (its outputs are overwritten, never half-written): production never starts over.
// Each stage is a module of stages/; stage-transitions.ts moves content between them.
import type { Platform } from '../platforms.ts';
import type { Db } from '../db/pool.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import type { PublishJobSink } from '../distributions/distribution-model.ts';
import type { ProductionStatus, Stage } from './content-model.ts';
import type { ContentPolicy } from './content-policy.ts';
import { findStageContentRow } from './content-repository.ts';
import type { MediaStages } from '../plugins/media-stages.ts';
import type { MediaStore } from '../media/media-store.ts';
import type { ScriptWriter } from './script-writers.ts';
import { fail, markFailed } from './stage-transitions.ts';
import { assembling } from './stages/assembling.ts';
import { distributing } from './stages/distributing.ts';
import { generating } from './stages/generating.ts';
import { scripting } from './stages/scripting.ts';

export interface StageJob {
  contentId: string;
  stage: Stage;
}

/** Where the pipeline's follow-up jobs go, inside the transaction that calls for them. */
export interface PipelineJobSink extends PublishJobSink {
  enqueueStage(trx: Executor, job: StageJob): Promise<void>;
}

export interface PipelineDeps {
  db: Db;
  logger: Logger;
  policy: ContentPolicy;
  /** $SOVI_HOME/media: each content's files go in a folder named by its id. */
  mediaDir: string;
  writers: { primary: ScriptWriter; fallback: ScriptWriter | null };
  media: MediaStages;
  /**
   * Where a finished video goes so that every host can serve and upload it (src/media/media-store.ts);
   * without one (tests) it stays in mediaDir only.
   */
  store?: MediaStore;
  sink: PipelineJobSink;
  random?: () => number;
  now?: () => Date;
  /** Platforms published through an official connector: only their connected accounts are planned posts. */
  connectionRequired?: readonly Platform[];
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

export async function runStage(deps: PipelineDeps, job: StageJob, signal: AbortSignal): Promise<StageResult> {
  const content = await findStageContentRow(deps.db, job.contentId);
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

/**
 * A stage job that failed on every attempt (its workers crashed or were stopped each time): the content
 * fails at that stage, with an event, so that it is neither stuck nor silent (`sovi content retry` resumes
 * it). If the stage had finished after all, the event says the job failed and nothing was lost.
 */
export async function abandonStage(db: Db, logger: Logger, job: StageJob, now = new Date()): Promise<void> {
  const content = await findStageContentRow(db, job.contentId);
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
