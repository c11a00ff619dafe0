// The daily maintenance job: activity_log partitions and raw snapshot retention (src/maintenance). Every
// host may run the worker; the cron sends one job per tick for all of them, the queue holds one at a time,
// and the partition work takes an advisory lock besides, so a manual run never collides with it.
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { MaintenanceSettings } from '../settings/maintenance-settings.ts';
import { runMaintenance, type MaintenanceRunResult } from '../maintenance/run-maintenance.ts';
import { ensureCronQueue } from './job-engine.ts';
import { workerStop } from './worker-stop.ts';

export const maintenanceQueue = 'maintenance-daily';

export interface MaintenanceWorkerOptions {
  database: Database;
  logger: Logger;
  boss: PgBoss;
  settings: MaintenanceSettings;
  /** The rollup watermark: snapshots before it are rolled up. null: unknown, prune none. */
  safeBefore: () => Promise<Date | null>;
  /** The job engine's heartbeat (SOVI_JOB_HEARTBEAT_SECONDS): a run whose worker died is given up after it. */
  heartbeatSeconds?: number;
  /** false: no cron (tests call run()). Default true. */
  schedule?: boolean;
}

export interface MaintenanceWorker {
  /** One maintenance run now, outside the queue. */
  run(): Promise<MaintenanceRunResult>;
  /** Stops taking jobs; a running prune stops after its current batch. */
  stop(): Promise<void>;
}

export async function startMaintenanceWorker(options: MaintenanceWorkerOptions): Promise<MaintenanceWorker> {
  const { database, logger, boss, settings } = options;
  const stopping = workerStop(boss, { maintenanceQueue }, { name: 'the worker' });
  const run = (signal?: AbortSignal) =>
    runMaintenance(
      { db: database.db, logger, settings, safeBefore: options.safeBefore },
      { signal: signal ? AbortSignal.any([signal, stopping.signal]) : stopping.signal },
    );

  // exclusive: one job queued or active. A failure (activity_log busy past the lock timeout, a lost
  // connection) is retried with backoff; pruning picks up where it stopped. Long prunes get three hours.
  // notify: a job sent by hand (or a retry) starts at once rather than at the next 30 s poll.
  await ensureCronQueue(boss, maintenanceQueue, {
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    policy: 'exclusive',
    notify: true,
    retryLimit: 4,
    retryDelay: 300,
    retryBackoff: true,
    expireInSeconds: 3 * 3_600,
  });
  await boss.work(maintenanceQueue, { pollingIntervalSeconds: 30 }, async ([job]) => {
    if (job) return run(job.signal);
  });
  if (options.schedule !== false) {
    await boss.schedule(maintenanceQueue, settings.cron, {}, { tz: 'UTC' });
  }
  logger.info(settings, 'maintenance worker started');
  return {
    run: () => run(),
    stop: stopping.stop,
  };
}
