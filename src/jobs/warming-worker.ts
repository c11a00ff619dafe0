// The warming worker of one host: the planner on a cron tick, the sessions of this host's devices (one at
// a time per device, across every worker and host sharing the database), the dead-letter cleanup and the
// watchdog. `sovi worker` runs it; `sovi up` runs it too.
import type { Job, PgBoss } from 'pg-boss';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { SessionExecutor } from '../plugins/executor.ts';
import { loadExecutor } from '../plugins/load-plugins.ts';
import { planWarming, type PlanResult, type SessionJob, type SessionJobSink } from '../warming/planner.ts';
import { runWarmingSession } from '../warming/session-runner.ts';
import type { WarmingPolicy } from '../warming/warming-policy.ts';
import { abandonSession, dropStaleQueueRows, sessionJobRemoved } from '../warming/session-recovery.ts';
import { ensureCronQueue, isSessionQueue, queues } from './job-engine.ts';
import {
  completedByRun,
  startSessionSlots,
  type CompleteInTransaction,
  type SessionSlots,
} from './session-slots.ts';
import { analyzeJobTableIfStale, createBoss, inTransaction } from '../db/job-engine.ts';

export interface WarmingWorker {
  readonly boss: PgBoss;
  readonly host: string;
  /** Runs the planner now (the cron does it every tick). */
  planNow(): Promise<PlanResult>;
  /** Stops taking jobs, interrupts running sessions (their jobs are retried), and waits for them. */
  stop(): Promise<void>;
}

/** How long a session job waits to be started before pg-boss drops it (and the watchdog its queue row). */
const SESSION_RETENTION_SECONDS = 6 * 3_600;

/**
 * How often idle session slots look for work when nothing woke them. NOTIFY wakes the doorbell slot when
 * sessions are queued (it wakes the fetch loop in turn), this host's planner wakes the loop, and a slot
 * freed wakes it too (session-slots.ts); the poll is left for what none of those covers: a retry whose
 * delay ran out, a job freed by the supervisor or the watchdog.
 */
const SESSION_POLL_SECONDS = 1;

/**
 * Called as the doorbell slot's handler returns, before pg-boss completes the job: the slot skips its poll
 * wait and fetches again as soon as the completion has freed the device's key. Under key_strict_fifo the
 * device's next session becomes fetchable at that moment and no NOTIFY says so. pg-boss keeps the wake-up
 * (notifyWorker sets a flag the work loop reads after the completion), so it cannot be lost between the
 * handler's return and the loop's next turn. The fetch loop's slots wake the loop the same way.
 */
function handOff(boss: PgBoss, workerId: string | undefined): void {
  if (workerId) boss.notifyWorker(workerId);
}

export function sessionJobSink(boss: PgBoss): SessionJobSink {
  return {
    enqueue: async (trx, host, jobs) => {
      if (jobs.length === 0) return;
      await boss.insert(
        queues.session(host),
        jobs.map((job) => ({ id: job.sessionKey, data: job, singletonKey: job.deviceId })),
        { db: inTransaction(trx) },
      );
    },
  };
}

export async function ensureSessionQueues(
  boss: PgBoss,
  host: string,
  config: Config,
  policy: WarmingPolicy,
): Promise<void> {
  await boss.createQueue(queues.dead, { retentionSeconds: 14 * 86_400, deleteAfterSeconds: 14 * 86_400 });
  const heartbeatSeconds = config.scheduler.heartbeatSeconds;
  await ensureCronQueue(boss, queues.watchdog, { policy: 'singleton', retryLimit: 0, heartbeatSeconds });
  await ensureCronQueue(boss, queues.plan(host), {
    policy: 'singleton',
    retryLimit: 0,
    expireInSeconds: 600,
    heartbeatSeconds,
  });
  const session = {
    heartbeatSeconds: config.scheduler.heartbeatSeconds,
    // A session longer than its timeout is aborted by the runner; the job's own bound comes after it.
    expireInSeconds: policy.sessionTimeoutSeconds + 120,
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    retryDelayMax: 300,
    deadLetter: queues.dead,
    // A session not started within 6 hours is stale: the planner will plan a fresh one.
    retentionSeconds: SESSION_RETENTION_SECONDS,
    deleteAfterSeconds: 2 * 86_400,
    notify: true,
  };
  await boss.createQueue(queues.session(host), { policy: 'key_strict_fifo', ...session });
  await boss.updateQueue(queues.session(host), session);
}

export interface WarmingWorkerOptions {
  config: Config;
  database: Database;
  logger: Logger;
  host: string;
  executor?: SessionExecutor;
  policy: WarmingPolicy;
  /** false: no cron planning (tests drive planNow). Default true. */
  schedulePlanner?: boolean;
  /** The session slots' backstop poll (SESSION_POLL_SECONDS); tests set it long to show hand-offs skip it. */
  sessionPollSeconds?: number;
}

export async function startWarmingWorker(options: WarmingWorkerOptions): Promise<WarmingWorker> {
  const { config, database, logger, host } = options;
  const { policy } = options;
  const executor =
    options.executor ?? (await loadExecutor(config.scheduler.executor, config.scheduler.executorOptions));
  const boss = createBoss(database.connection, config.scheduler, logger, {
    migrate: false,
    background: true,
  });
  await boss.start();
  const stopping = new AbortController();
  let slots: SessionSlots | undefined;
  try {
    await ensureSessionQueues(boss, host, config, policy);
    await boss.work(queues.plan(host), { pollingIntervalSeconds: 1 }, async () => plan());
    if (options.schedulePlanner !== false) {
      await boss.schedule(queues.plan(host), config.scheduler.planCron, { host }, { tz: 'UTC' });
    }

    const runnerDeps = {
      db: database.db,
      executor,
      policy,
      logger,
      heartbeatSeconds: config.scheduler.heartbeatSeconds,
    };
    const pollSeconds = options.sessionPollSeconds ?? SESSION_POLL_SECONDS;
    const runSession = async (
      job: Job<SessionJob>,
      signal: AbortSignal,
      complete?: CompleteInTransaction,
    ) => {
      const result = await runWarmingSession(
        runnerDeps,
        job.data,
        AbortSignal.any([signal, stopping.signal]),
        complete,
      );
      // An interrupted session recorded nothing: failing the attempt has the job retried (same session key).
      if (result.status === 'interrupted')
        throw new Error('session interrupted: the worker is stopping or lost its claim');
      // A finished session's job was completed in the transaction that recorded it (session-slots.ts).
      return complete && result.status === 'completed' ? completedByRun : result;
    };
    // All slots but one are served by one fetch loop (session-slots.ts): a fetch takes sessions for every
    // slot freed since the last, where a registration per slot fetched once per session.
    if (config.scheduler.concurrency > 1) {
      slots = startSessionSlots<SessionJob>({
        boss,
        queue: queues.session(host),
        slots: config.scheduler.concurrency - 1,
        pollSeconds,
        heartbeatSeconds: config.scheduler.heartbeatSeconds,
        logger,
        run: runSession,
      });
    }
    // The last slot is a pg-boss registration: NOTIFY wakes it when sessions are queued (by this host's
    // planner or from anywhere else), and it wakes the loop in turn, which takes the rest of them.
    const doorbell: { id?: string } = {};
    doorbell.id = await boss.work<SessionJob>(
      queues.session(host),
      { pollingIntervalSeconds: pollSeconds, notifyPollingIntervalSeconds: pollSeconds },
      async ([job]) => {
        if (!job) return;
        slots?.wake();
        try {
          return await runSession(job, job.signal);
        } finally {
          handOff(boss, doorbell.id);
        }
      },
    );

    await boss.work<SessionJob>(queues.dead, { pollingIntervalSeconds: 5 }, async ([job]) => {
      if (job) await abandonSession(database.db, logger, job.data);
    });
    await boss.work(queues.watchdog, { pollingIntervalSeconds: 5 }, async () =>
      unblockDevices(boss, database, logger),
    );
    if (options.schedulePlanner !== false)
      await boss.schedule(queues.watchdog, '* * * * *', {}, { tz: 'UTC' });
  } catch (err) {
    await slots?.stop(0);
    await boss.stop({ graceful: false, close: true });
    throw err;
  }
  logger.info(
    { host, executor: executor.name, concurrency: config.scheduler.concurrency },
    'warming worker started',
  );

  return {
    boss,
    host,
    planNow: plan,
    stop: async () => {
      stopping.abort(new Error('the worker is stopping'));
      await slots?.stop(15_000);
      await boss.stop({ graceful: true, timeout: 15_000, close: true });
      await executor.close?.();
    },
  };

  async function plan(): Promise<PlanResult> {
    const result = await planWarming({
      db: database.db,
      policy,
      sink: sessionJobSink(boss),
      logger,
      host,
      deviceQueueDepth: config.scheduler.deviceQueueDepth,
    });
    // Sessions queued by this process start now, not at the loop's next poll.
    if (result.planned > 0) slots?.wake();
    return result;
  }
}

/**
 * Under key_strict_fifo a failed job holds its key for good: the device would get no session again. The
 * watchdog deletes such jobs (their sessions were already closed by the dead-letter handler) and says so.
 */
export async function unblockDevices(boss: PgBoss, database: Database, logger: Logger): Promise<number> {
  let freed = 0;
  const sessionQueues = (await boss.getQueues()).map((q) => q.name).filter(isSessionQueue);
  for (const queue of sessionQueues) {
    for (const key of await boss.getBlockedKeys(queue)) {
      const failed = (await boss.findJobs<SessionJob>(queue, { key })).filter((j) => j.state === 'failed');
      for (const job of failed) {
        await boss.deleteJob(queue, job.id);
        await sessionJobRemoved(database.db, logger, { id: job.id, queue, data: job.data });
        freed++;
      }
    }
  }
  await dropStaleQueueRows(database.db, SESSION_RETENTION_SECONDS * 1_000);
  await analyzeJobTableIfStale(database.db);
  return freed;
}
