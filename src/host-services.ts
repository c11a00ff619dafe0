// What runs on every machine with phones: the device health monitor and the warming worker, both for this
// host's devices only. `sovi worker` runs them alone; `sovi up` runs them beside the HTTP server.
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { startHealthMonitor, type HealthMonitor } from './devices/health-monitor.ts';
import { startWarmingWorker, type WarmingWorker } from './jobs/warming-worker.ts';
import type { Logger } from './logger.ts';

export interface HostServices {
  readonly host: string;
  readonly monitor: HealthMonitor;
  readonly worker: WarmingWorker;
  stop(): Promise<void>;
}

export async function startHostServices(
  config: Config,
  database: Database,
  logger: Logger,
  host: string = config.host,
): Promise<HostServices> {
  const monitor = startHealthMonitor({ db: database.db, health: config.health, logger, host });
  let worker: WarmingWorker;
  try {
    worker = await startWarmingWorker({ config, database, logger, host });
  } catch (err) {
    await monitor.stop();
    throw err;
  }
  return {
    host,
    monitor,
    worker,
    stop: async () => {
      // Sessions first (their jobs are retried elsewhere if interrupted), then the monitor's round.
      await worker.stop();
      await monitor.stop();
    },
  };
}
