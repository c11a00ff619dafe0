// The job queues of sovi and the helpers that declare them. The engine itself (pg-boss in sovi's own
// database: createBoss, installJobSchema, inTransaction) is infrastructure, in src/db/job-engine.ts.
import type { PgBoss } from 'pg-boss';

export const queues = {
  /** One session queue per host: a worker takes only its own devices' sessions. */
  session: (host: string) => `warming-session.${host}`,
  /** The planner's cron queue, one per host. */
  plan: (host: string) => `warming-plan.${host}`,
  /** Sessions whose job failed for good land here to be cleaned up. */
  dead: 'warming-session-dead',
  /** Frees device keys held by failed jobs. */
  watchdog: 'warming-watchdog',
} as const;

export const isSessionQueue = (name: string): boolean => name.startsWith('warming-session.');

/** One run at a time across the fleet, for cron work (planning, refresh, pulls): see ensureCronQueue. */
export interface CronQueueOptions {
  /** Default singleton: a tick that finds a run going is dropped, not queued. */
  policy?: 'singleton' | 'exclusive';
  heartbeatSeconds: number;
  expireInSeconds?: number;
  /** Default 0: the next tick is the retry. */
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  notify?: boolean;
}

/**
 * Creates a cron queue, or brings an existing one up to date, with a heartbeat. Without one, a worker killed
 * in the middle of a run left the job active until it expired, and a singleton queue runs nothing else
 * meanwhile: a host's planner stopped for 10 minutes, the rollup refresh for an hour. With it, the job is
 * given up once its heartbeat goes stale and the next tick runs.
 */
export async function ensureCronQueue(boss: PgBoss, name: string, options: CronQueueOptions): Promise<void> {
  const { policy = 'singleton', ...given } = options;
  const rest = { retryLimit: 0, ...given };
  await boss.createQueue(name, { policy, ...rest });
  await boss.updateQueue(name, rest);
}

/** A worker's stop: takes no more jobs from its queues, and waits for the ones running to finish. */
export async function stopWork(boss: PgBoss, workerQueues: Record<string, string>): Promise<void> {
  for (const queue of Object.values(workerQueues)) await boss.offWork(queue, { wait: true });
}
