// A job engine client for commands that queue work (the worker in `sovi up` or `sovi worker` runs it):
// production stages and publish jobs.
import type { PgBoss } from 'pg-boss';
import type { CliContext } from './context.ts';

export async function jobSink(ctx: CliContext) {
  // pg-boss and the content worker's queues only for a command that queues work: the groups that import
  // this file are mostly reads.
  const [{ createBoss }, { ensureContentQueues, pipelineJobSink }] = await Promise.all([
    import('../db/job-engine.ts'),
    import('../jobs/content-worker.ts'),
  ]);
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
