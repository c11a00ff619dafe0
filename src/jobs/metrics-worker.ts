// The metrics jobs: the incremental rollup refresh (every minute by default), the hook feedback (hourly)
// and the metric pull from the platforms (SOVI_METRICS_PULL_CRON, every 15 minutes by default). Singleton queues on cron: one run at a time across every host; the refresh's advisory lock
// covers a backfill running beside it.
import type { PgBoss } from 'pg-boss';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { recomputeHookScores, type FeedbackReport } from '../metrics/hook-feedback.ts';
import { refreshRollups, type RefreshReport } from '../metrics/rollup-refresh.ts';
import { createMetricsPuller, type MetricsPuller } from '../metrics/metrics-puller.ts';
import type { PullReport } from '../metrics/metrics-pull.ts';
import type { TokenProvider } from '../plugins/metrics-collector.ts';
import { ensureCronQueue } from './job-engine.ts';
import { workerStop } from './worker-stop.ts';

export const metricsQueues = {
  refresh: 'metrics-refresh',
  feedback: 'hook-feedback',
  pull: 'metrics-pull',
} as const;

export interface MetricsWorker {
  refresh(): Promise<RefreshReport>;
  feedback(): Promise<FeedbackReport>;
  /** Pulls due posts' metrics now, as the cron does. */
  pull(): Promise<PullReport>;
  stop(): Promise<void>;
}

export async function startMetricsWorker(options: {
  config: Config;
  database: Database;
  logger: Logger;
  boss: PgBoss;
  /** false: no cron (tests). Default true. */
  schedule?: boolean;
  /** The connections domain's tokens, for the official collectors. */
  tokens?: TokenProvider;
  /** Instead of the one the configuration makes (tests). */
  puller?: MetricsPuller;
}): Promise<MetricsWorker> {
  const { config, database, logger, boss } = options;
  const puller =
    options.puller ??
    (await createMetricsPuller({
      db: database.db,
      pool: database.pool,
      logger,
      settings: config.metricsPull,
      ingest: {
        futureToleranceSeconds: config.metrics.futureToleranceSeconds,
        onBadRows: config.metrics.onBadRows,
      },
      tokens: options.tokens,
    }));
  const stopping = workerStop(boss, metricsQueues, {
    name: 'the metrics worker',
    // A puller passed in is its owner's to close.
    close: options.puller ? undefined : () => puller.close(),
  });
  const pull = async () => {
    const report = await puller.pull({ signal: stopping.signal });
    if (report.failures.length > 0)
      logger.warn(summary(report), 'metrics pulled, with failures (see the events)');
    else if (report.due > 0) logger.info(summary(report), 'metrics pulled');
    return report;
  };
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
      expireInSeconds: 3_600,
      heartbeatSeconds: config.scheduler.heartbeatSeconds,
    });
  }
  await boss.work(metricsQueues.refresh, { pollingIntervalSeconds: 5 }, async () => refresh());
  await boss.work(metricsQueues.feedback, { pollingIntervalSeconds: 5 }, async () => feedback());
  await boss.work(metricsQueues.pull, { pollingIntervalSeconds: 5 }, async () => {
    const report = await pull();
    return summary(report);
  });
  if (options.schedule !== false) {
    await boss.schedule(metricsQueues.refresh, config.metrics.refreshCron, {}, { tz: 'UTC' });
    await boss.schedule(metricsQueues.feedback, config.metrics.feedbackCron, {}, { tz: 'UTC' });
    // 'off': no pulls on a timer; `sovi metrics pull` still works.
    if (config.metricsPull.pullCron === 'off') await boss.unschedule(metricsQueues.pull);
    else await boss.schedule(metricsQueues.pull, config.metricsPull.pullCron, {}, { tz: 'UTC' });
  }
  return {
    refresh,
    feedback,
    pull,
    stop: stopping.stop,
  };
}

/** A pull's report without its failures' messages: the job's output and the log line. */
const summary = (report: PullReport) => ({
  accounts: report.accounts,
  due: report.due,
  read: report.read,
  inserted: report.inserted,
  calls: report.calls,
  deferred: report.deferred,
  notConnected: report.notConnected,
  failed: report.failures.length,
});
