// A process's metric puller: the collectors its configuration names, loaded once, and the call budget in the
// database that every pull of every process shares (the cron job's on each worker and `sovi metrics pull`'s
// alike).
import type pg from 'pg';
import type { Db } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { platforms, type Platform } from '../platforms.ts';
import { loadMetricsCollector } from '../plugins/load-plugins.ts';
import type { MetricsCollector, TokenProvider } from '../plugins/metrics-collector.ts';
import type { MetricsPullSettings } from '../settings/metrics-pull-settings.ts';
import { createCallBudget } from './call-budget.ts';
import { noConnections, pullMetrics, type PullReport } from './metrics-pull.ts';
import type { IngestSettings } from './snapshot-ingest.ts';

export interface MetricsPuller {
  /** Which collector reads each platform. */
  readonly collectors: Readonly<Record<Platform, string>>;
  pull(options?: Parameters<typeof pullMetrics>[1]): Promise<PullReport>;
  close(): Promise<void>;
}

export async function createMetricsPuller(options: {
  db: Db;
  pool: pg.Pool;
  logger: Logger;
  settings: MetricsPullSettings;
  ingest: IngestSettings;
  /** The connections domain's tokens; without them, official collectors are given no account. */
  tokens?: TokenProvider;
  /** Instead of the ones the settings name (tests). */
  collectors?: Partial<Record<Platform, MetricsCollector>>;
}): Promise<MetricsPuller> {
  const loaded = {} as Record<Platform, MetricsCollector>;
  for (const platform of platforms) {
    loaded[platform] =
      options.collectors?.[platform] ??
      (await loadMetricsCollector(options.settings, platform, { logger: options.logger }));
  }
  const deps = {
    db: options.db,
    pool: options.pool,
    logger: options.logger,
    settings: options.settings,
    ingest: options.ingest,
    collectors: loaded,
    tokens: options.tokens ?? noConnections,
    budget: createCallBudget(options.db),
  };
  return {
    collectors: Object.fromEntries(platforms.map((p) => [p, loaded[p].name])) as Record<Platform, string>,
    pull: (pullOptions) => pullMetrics(deps, pullOptions),
    close: async () => {
      for (const platform of platforms) await loaded[platform].close?.();
    },
  };
}
