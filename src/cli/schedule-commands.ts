import type { Command } from 'commander';
import { scheduleStatus } from '../warming/schedule-reads.ts';
import { scheduledStates } from '../accounts/account-model.ts';
import { action } from './context.ts';
import { fields, json, shortTime, table } from './format.ts';
import { parseInteger } from './parse.ts';

export function registerScheduleCommands(schedule: Command): void {
  schedule
    .command('status')
    .description('due accounts, the next ones in order, each device queue, and the last hour of sessions')
    .option('--host <host>', "only this host's devices")
    .option('-n, --next <n>', 'how many of the next accounts to show (default 10)', (v) =>
      parseInteger('--next', v, 0, 1000),
    )
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { host?: string; next?: number; json?: boolean }) => {
        const policy = ctx.policies().warming;
        const status = await scheduleStatus(await ctx.db(), policy, {
          host: o.host,
          next: o.next,
        });
        if (o.json) return ctx.print(json(status));
        const outcomes = Object.entries(status.lastHour);
        ctx.print(
          fields([
            [
              'due now',
              `${status.dueAccounts} account(s); ${status.queuedSessions} session(s) queued or running`,
            ],
            [
              'last hour',
              `${outcomes.length === 0 ? 'no sessions' : outcomes.map(([k, n]) => `${n} ${k}`).join(', ')}`,
            ],
            '',
            status.next.length === 0
              ? 'nobody is due'
              : table(
                  ['next', 'account', 'state', 'last warmed', 'device', 'queued'],
                  status.next.map((a, i) => [
                    i + 1,
                    `${a.platform}:${a.username}`,
                    a.state,
                    shortTime(a.lastWarmedAt) || 'never',
                    a.device ?? '(to assign)',
                    a.queued ? 'yes' : '',
                  ]),
                ),
            '',
            status.devices.length === 0
              ? 'no devices'
              : table(
                  ['device', 'host', 'status', 'queued', 'running', 'sessions/h', 'busy'],
                  status.devices.map((d) => [
                    d.name,
                    d.host,
                    d.status,
                    d.queued,
                    d.currentSession ? d.currentSession.slice(0, 8) : '',
                    d.sessionsLastHour,
                    `${Math.round(d.utilisation * 100)}%`,
                  ]),
                ),
          ]),
        );
      }),
    );

  schedule
    .command('policy')
    .description('the warming policy in force: defaults, overridden by SOVI_WARMING_POLICY_FILE')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { json?: boolean }) => {
        const policy = ctx.policies().warming;
        if (o.json) return ctx.print(json(policy));
        ctx.print(
          fields([
            ['source', ctx.config.scheduler.policyFile ?? 'defaults'],
            table(
              ['state', 'sessions/day', 'min gap', 'days in phase'],
              scheduledStates.map((s) => {
                const rule = policy[s];
                return [s, rule.sessionsPerDay, `${rule.minGapMinutes} min`, 'days' in rule ? rule.days : ''];
              }),
            ),
            ['session timeout', `${policy.sessionTimeoutSeconds} s`],
            ['device failures', `${policy.deviceFailureLimit} in a row mark a device failed`],
          ]),
        );
      }),
    );

  schedule
    .command('plan')
    .description('run the planner once now for a host (the worker does it on every cron tick)')
    .option('--host <host>', 'the host to plan for (default this one)')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { host?: string; json?: boolean }) => {
        // The job engine (pg-boss) and the planner only for planning: `schedule status` is a read.
        const [{ queues }, { createBoss }, { ensureSessionQueues, sessionJobSink }, { planWarming }] =
          await Promise.all([
            import('../jobs/job-engine.ts'),
            import('../db/job-engine.ts'),
            import('../jobs/warming-worker.ts'),
            import('../warming/planner.ts'),
          ]);
        const database = await ctx.database();
        const host = o.host ?? ctx.config.host;
        const policy = ctx.policies().warming;
        const boss = createBoss(database.connection, ctx.config.scheduler, ctx.logger, {
          migrate: false,
          background: false,
        });
        await boss.start();
        ctx.onClose(() => boss.stop({ graceful: false, close: true }));
        await ensureSessionQueues(boss, host, ctx.config, policy);
        const result = await planWarming({
          db: database.db,
          policy,
          sink: sessionJobSink(boss),
          logger: ctx.logger,
          host,
          deviceQueueDepth: ctx.config.scheduler.deviceQueueDepth,
        });
        ctx.print(
          o.json
            ? json({ ...result, queue: queues.session(host) })
            : `planned ${result.planned} session(s) on ${host} (${result.assigned} newly assigned, ${result.reassigned} moved off inactive devices); ` +
                `considered ${result.considered}, device busy ${result.deviceBusy}, no device ${result.noDevice}`,
        );
      }),
    );
}
