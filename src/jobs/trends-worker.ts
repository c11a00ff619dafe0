// The trends job: on a cron (default hourly) one worker of the fleet pulls the trend source, merges what it
// found, then ages out old topics and rescores the rest. A source that fails is an event, never a crash: the
// job finishes with what the other targets gave.
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { loadTrendSource } from '../plugins/load-plugins.ts';
import type { TrendSource } from '../plugins/trend-source.ts';
import { pullTrends, type PullResult } from '../trends/trends-pull.ts';
import { refreshTrends, type RefreshResult } from '../trends/trends-service.ts';
import type { TrendsSettings } from '../settings/trends-settings.ts';
import { ensureCronQueue } from './job-engine.ts';
import { workerStop } from './worker-stop.ts';

export const trendsQueues = { pull: 'trends-pull' } as const;

export interface TrendsWorkerOptions {
  settings: TrendsSettings;
  database: Database;
  logger: Logger;
  boss: PgBoss;
  /** The job engine's heartbeat (SOVI_JOB_HEARTBEAT_SECONDS): a run whose worker died is given up after it. */
  heartbeatSeconds?: number;
  /** Instead of the one settings.sourceSpec names (tests). */
  source?: TrendSource;
  /** false: no cron (tests call pull()). Default true. */
  schedulePulls?: boolean;
  now?: () => Date;
}

export type TrendsPull = PullResult & RefreshResult;

export interface TrendsWorker {
  /** Pulls now, as the cron does. Fetch failures are in the result (and the event log), not thrown. */
  pull(): Promise<TrendsPull>;
  stop(): Promise<void>;
}

export async function startTrendsWorker(options: TrendsWorkerOptions): Promise<TrendsWorker> {
  const { settings, database, logger, boss } = options;
  const source = options.source ?? (await loadTrendSource(settings, { logger }));
  const now = options.now ?? (() => new Date());
  const stopping = workerStop(boss, trendsQueues, {
    name: 'the trends worker',
    close: async () => {
      await source.close?.();
    },
  });

  // singleton: one pull at a time across the fleet; a tick that finds one running is dropped, not queued.
  await ensureCronQueue(boss, trendsQueues.pull, {
    expireInSeconds: 900,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
  });

  const pull = async (): Promise<TrendsPull> => {
    const pulled = await pullTrends({ db: database.db, logger, settings }, source, {
      now: now(),
      signal: stopping.signal,
    });
    const refreshed = await refreshTrends(database.db, settings, now());
    const summary = {
      source: pulled.source,
      targets: pulled.targets,
      failed: pulled.failures.map((f) => f.message),
      created: pulled.created,
      merged: pulled.merged,
      deactivated: refreshed.deactivated,
    };
    if (pulled.failures.length > 0)
      logger.warn(summary, 'trends pulled, with fetch failures (see the events)');
    else logger.info(summary, 'trends pulled');
    return { ...pulled, ...refreshed };
  };

  await boss.work(trendsQueues.pull, { pollingIntervalSeconds: 5 }, async () => {
    try {
      const result = await pull();
      return { created: result.created, merged: result.merged, failed: result.failures.length };
    } catch (err) {
      // The job fails (pg-boss keeps the error); the worker carries on and the next tick tries again.
      logger.error({ err }, 'trends pull failed');
      throw err;
    }
  });
  if (options.schedulePulls !== false) {
    // 'off': no pulls on a timer (a fleet that cannot reach its source); `sovi trends pull` still works.
    if (settings.pullCron === 'off') await boss.unschedule(trendsQueues.pull);
    else await boss.schedule(trendsQueues.pull, settings.pullCron, {}, { tz: 'UTC' });
  }
  logger.info({ source: source.name, cron: settings.pullCron }, 'trends worker started');

  return {
    pull,
    stop: stopping.stop,
  };
}
