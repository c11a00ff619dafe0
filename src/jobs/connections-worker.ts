// The token refresh job: on a cron (SOVI_CONNECTIONS_REFRESH_CRON, every 10 minutes by default) one worker of
// the fleet refreshes every connected token that expires within the look-ahead
// (SOVI_CONNECTIONS_REFRESH_AHEAD_SECONDS). A refused refresh marks its connection reauth_needed with one event
// and is not tried again until someone reconnects; a transient failure is tried again on the next tick.
import type { PgBoss } from 'pg-boss';
import { pruneConnectRequests, refreshDueConnections } from '../connections/connections-service.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { ConnectorSettings } from '../settings/connector-settings.ts';
import type { Vault } from '../vault/vault.ts';
import { ensureCronQueue } from './job-engine.ts';
import { workerStop } from './worker-stop.ts';

export const connectionsQueues = { refresh: 'connections-refresh' } as const;

export interface ConnectionsWorker {
  /** Refreshes what is due now, as the cron does. */
  refresh(): Promise<{ refreshed: number; reauthNeeded: number; failed: number }>;
  stop(): Promise<void>;
}

export async function startConnectionsWorker(options: {
  database: Database;
  vault: Vault;
  settings: ConnectorSettings;
  logger: Logger;
  boss: PgBoss;
  heartbeatSeconds?: number;
  /** false: no cron (tests call refresh()). */
  schedule?: boolean;
}): Promise<ConnectionsWorker> {
  const { database, vault, settings, logger, boss } = options;
  const stopping = workerStop(boss, connectionsQueues, { name: 'the connections worker' });
  await ensureCronQueue(boss, connectionsQueues.refresh, {
    expireInSeconds: 900,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
  });
  const refresh = async () => {
    const result = await refreshDueConnections({ db: database.db, vault, settings, logger }, stopping.signal);
    await pruneConnectRequests(database.db);
    if (result.refreshed + result.reauthNeeded + result.failed > 0)
      logger.info(result, 'connection tokens refreshed');
    return result;
  };
  await boss.work(connectionsQueues.refresh, { pollingIntervalSeconds: 5 }, async () => refresh());
  if (options.schedule !== false)
    await boss.schedule(connectionsQueues.refresh, settings.refreshCron, {}, { tz: 'UTC' });
  return {
    refresh,
    stop: stopping.stop,
  };
}
