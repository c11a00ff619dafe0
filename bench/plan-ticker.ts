// Planner ticks on demand, for the benches that run `sovi worker` as a process. The worker's cron ticks once a
// minute, which is right for a real day and far too coarse for one compressed into minutes: the bench sends
// to each host's plan queue (what the cron sends to) whenever no tick is queued or running.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { queues } from '../src/jobs/job-engine.ts';

export function startPlanTicker(admin: pg.Pool, boss: PgBoss, hosts: readonly string[], everyMs: number) {
  let stopping = false;
  let requests = 0;
  const done = (async () => {
    while (!stopping) {
      for (const host of hosts) {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
          [queues.plan(host)],
        );
        if (rows[0]!.n === 0) {
          await boss.send(queues.plan(host), { host });
          requests++;
        }
      }
      await sleep(everyMs);
    }
  })();
  return {
    done,
    requests: () => requests,
    stop: async () => {
      stopping = true;
      await done;
    },
  };
}
