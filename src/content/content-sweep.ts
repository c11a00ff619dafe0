// The content sweep, the pipeline's backstop (the content worker runs it every five minutes): content that
// sat in a stage for ten minutes without moving gets its stage job queued again (a job lost to a failure,
// say), and content distributing without distributions (waiting for an account) is planned again.
import type { Executor } from '../db/executor.ts';
import type { Logger } from '../logger.ts';
import { stages, type Stage } from './content-model.ts';
import { staleContentRows } from './content-repository.ts';
import type { PipelineJobSink } from './pipeline.ts';

/** How long content sits in a stage before the sweep queues the stage again. */
const STALE_AFTER_MS = 10 * 60_000;
/** At most this many pieces per sweep; the next sweep takes the rest. */
const SWEEP_LIMIT = 1_000;

/** Re-queues stale content's stage jobs; returns how many. */
export async function sweepContent(
  db: Executor,
  sink: PipelineJobSink,
  logger: Logger,
  now = new Date(),
): Promise<number> {
  const stale = await staleContentRows(db, stages, new Date(now.getTime() - STALE_AFTER_MS), SWEEP_LIMIT);
  for (const row of stale) {
    await sink.enqueueStage(db, { contentId: row.id, stage: row.production_status as Stage });
  }
  if (stale.length > 0) logger.info({ requeued: stale.length }, 'content sweep');
  return stale.length;
}
