// A job engine client for commands that queue work (the worker in `sovi up` or `sovi worker` runs it):
// production stages and publish jobs.
import type { PgBoss } from 'pg-boss';
import { createBoss } from '../db/job-engine.ts';
import { ensureContentQueues, pipelineJobSink } from '../jobs/content-worker.ts';
import type { CliContext } from './context.ts';

export async function jobSink(ctx: CliContext) {
  const database = await ctx.database();
  const boss: PgBoss = createBoss(database.connection, ctx.config.scheduler, ctx.logger, {
    migrate: false,
    background: false,
  });
  await boss.start();
  ctx.onClose(() => boss.stop({ graceful: false, close: true }));
  await ensureContentQueues(boss, ctx.policies().content);
  return pipelineJobSink(boss);
}
