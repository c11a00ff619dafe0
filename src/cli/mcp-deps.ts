// What the agent tools run against in a command (`sovi mcp`): the command's database, and a job engine
// started on first use for the tools that queue work (retries, approvals, the planner).
import type { PgBoss } from 'pg-boss';
import { createBoss } from '../db/job-engine.ts';
import { ensureContentQueues, pipelineJobSink } from '../jobs/content-worker.ts';
import { ensureSessionQueues, sessionJobSink } from '../jobs/warming-worker.ts';
import type { ToolDeps } from '../mcp/tool-kit.ts';
import { planWarming } from '../warming/planner.ts';
import type { CliContext } from './context.ts';

export async function mcpToolDeps(ctx: CliContext): Promise<ToolDeps> {
  const database = await ctx.database();
  let started: Promise<PgBoss> | undefined;
  const boss = () =>
    (started ??= (async () => {
      const engine = createBoss(database.connection, ctx.config.scheduler, ctx.logger, {
        migrate: false,
        background: false,
      });
      await engine.start();
      ctx.onClose(() => engine.stop({ graceful: false, close: true }));
      return engine;
    })());
  const policies = ctx.policies();
  return {
    db: database.db,
    vault: ctx.vault,
    config: ctx.config,
    policies,
    logger: ctx.logger,
    contentSink: async () => {
      const engine = await boss();
      await ensureContentQueues(engine, policies.content);
      return pipelineJobSink(engine);
    },
    planNow: async () => {
      const engine = await boss();
      const host = ctx.config.host;
      await ensureSessionQueues(engine, host, ctx.config, policies.warming);
      return planWarming({
        db: database.db,
        policy: policies.warming,
        sink: sessionJobSink(engine),
        logger: ctx.logger,
        host,
        deviceQueueDepth: ctx.config.scheduler.deviceQueueDepth,
      });
    },
  };
}
