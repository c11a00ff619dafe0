// The metrics jobs: the incremental rollup refresh (every minute by default) and the hook feedback
// (hourly). Singleton queues on cron: one run at a time across every host; the refresh's advisory lock
// covers a backfill running beside it.
import type { PgBoss } from 'pg-boss';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { recomputeHookScores, type FeedbackReport } from '../metrics/hook-feedback.ts';
import { refreshRollups, type RefreshReport } from '../metrics/rollup-refresh.ts';
import { ensureCronQueue } from './job-engine.ts';

export const metricsQueues = {
  refresh: 'metrics-refresh',
  feedback: 'hook-feedback',
} as const;

export interface MetricsWorker {
  refresh(): Promise<RefreshReport>;
  feedback(): Promise<FeedbackReport>;
  stop(): Promise<void>;
}

export async function startMetricsWorker(options: {
  config: Config;
  database: Database;
  logger: Logger;
  boss: PgBoss;
  /** false: no cron (tests). Default true. */
  schedule?: boolean;
}): Promise<MetricsWorker> {
  const { config, database, logger, boss } = options;
  const refresh = async () => {
    const report = await refreshRollups(database.pool, { lateWindowHours: config.metrics.lateWindowHours });
    if (report.ran && (report.hours > 0 || report.lateHours > 0)) logger.info(report, 'rollups refreshed');
    return report;
  };
  const feedback = async () => {
    const report = await recomputeHookScores(database.db, { windowDays: config.metrics.feedbackWindowDays });
    logger.info(report, 'hook scores recomputed');
    return report;
  };
  // A missed run is simply the next one's work: no retries, and a run that overlaps the next is skipped.
  for (const queue of Object.values(metricsQueues)) {
    await ensureCronQueue(boss, queue, {
      policy: 'singleton',
      retryLimit: 0,
      expireInSeconds: 3_600,
      heartbeatSeconds: config.scheduler.heartbeatSeconds,
    });
  }
  await boss.work(metricsQueues.refresh, { pollingIntervalSeconds: 5 }, async () => refresh());
  await boss.work(metricsQueues.feedback, { pollingIntervalSeconds: 5 }, async () => feedback());
  if (options.schedule !== false) {
    await boss.schedule(metricsQueues.refresh, config.metrics.refreshCron, {}, { tz: 'UTC' });
    await boss.schedule(metricsQueues.feedback, config.metrics.feedbackCron, {}, { tz: 'UTC' });
  }
  return {
    refresh,
    feedback,
    stop: async () => {
      for (const queue of Object.values(metricsQueues)) await boss.offWork(queue, { wait: true });
    },
  };
}
