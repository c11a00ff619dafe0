// How a stage moves its content on: to the next stage (advance, inside the stage's transaction, with the
// next stage's job) or to failed (fail, with its content_failed event). Both only move content that is
// still in the stage, so a duplicate or late job changes nothing.
import { recordActivity } from '../activity/activity-log.ts';
import type { Db } from '../db/pool.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { nextStage, type ProductionFailure, type Stage } from './content-model.ts';
import {
  advanceContentRow,
  failContentRow,
  type StageColumns,
  type StageContentRow,
} from './content-repository.ts';
import type { PipelineDeps, StageResult } from './pipeline.ts';

/** What an earlier stage recorded in the manifest (asset_manifest.stages[stage]). */
export const stageData = (manifest: unknown, stage: Stage): Record<string, unknown> | undefined =>
  ((manifest as { stages?: Record<string, Record<string, unknown>> } | null)?.stages ?? {})[stage];

/** The content's format and its policy (faceless unless it says). */
export const formatOf = (deps: PipelineDeps, content: StageContentRow) => {
  const name = content.content_format ?? 'faceless';
  const format = deps.policy.formats[name];
  if (!format) throw new Error(`the content policy has no format "${name}"`);
  return { name, ...format };
};

/** Moves the content from `stage` to the next, merging `data` into the manifest, if it is still in `stage`. */
export async function advance(
  deps: PipelineDeps,
  trx: Executor,
  content: StageContentRow,
  stage: Stage,
  data: Record<string, unknown>,
  columns: StageColumns = {},
): Promise<StageResult> {
  const to = nextStage(stage);
  if (!(await advanceContentRow(trx, content.id, { stage, to, data, columns }))) return { status: 'stale' };
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

export async function fail(
  deps: PipelineDeps,
  content: StageContentRow,
  stage: Stage,
  reason: string,
  details: Record<string, unknown> = {},
): Promise<StageResult> {
  const at = deps.now?.() ?? new Date();
  const failed = await markFailed(deps.db, deps.logger, content, stage, reason, details, at);
  return failed ? { status: 'failed', reason } : { status: 'stale' };
}

/** Moves content still in `stage` to failed, with its content_failed event. False when it had moved on. */
export async function markFailed(
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
    if (!(await failContentRow(trx, content.id, stage, { ...failure, ...details }))) return false;
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
