// What runs on every sovi host: the device health monitor and the warming worker for this host's devices,
// the content worker (production and publishing, shared by all hosts through the job queues), and the metrics
// jobs (rollup refresh, hook feedback), trend pulls, daily maintenance (partitions, retention) and the
// notifications (the dispatcher following the event log, and deliveries). `sovi
// worker` runs them alone; `sovi up` runs them beside the HTTP server.
import type { Config } from './config.ts';
import type { MediaStages } from './plugins/media-stages.ts';
import type { Database } from './db/database.ts';
import { startHealthMonitor, type HealthMonitor } from './devices/health-monitor.ts';
import { startBackupWorker, type BackupWorker } from './jobs/backup-worker.ts';
import { startConnectionsWorker, type ConnectionsWorker } from './jobs/connections-worker.ts';
import { startContentWorker, type ContentWorker } from './jobs/content-worker.ts';
import { startMaintenanceWorker, type MaintenanceWorker } from './jobs/maintenance-worker.ts';
import { startMetricsWorker, type MetricsWorker } from './jobs/metrics-worker.ts';
import { connectionTokens } from './connections/connection-tokens.ts';
import { startNotificationsWorker, type NotificationsWorker } from './jobs/notifications-worker.ts';
import { startTrendsWorker, type TrendsWorker } from './jobs/trends-worker.ts';
import { rolledUpBefore } from './maintenance/rollup-watermark.ts';
import { startWarmingWorker, type WarmingWorker } from './jobs/warming-worker.ts';
import type { Logger } from './logger.ts';
import type { Policies } from './policies.ts';
import { createVault } from './vault/vault.ts';
import type { TriageAgent } from './agent/triage-agent.ts';
import { createEventNotifier } from './events/event-notifier.ts';
import { loadAgentPolicy } from './settings/agent-settings.ts';

/**
 * The triage agent when SOVI_AGENT=openai, with the same tools the MCP server offers, in-process. Imported
 * only then: the agent brings the MCP tools and every read model they call, which a host without it never runs.
 */
async function startAgent(
  config: Config,
  database: Database,
  logger: Logger,
  parts: { policies: Policies; content: ContentWorker; warming: WarmingWorker },
): Promise<(TriageAgent & { stop(): Promise<void> }) | undefined> {
  if (config.agent.kind === 'off') return undefined;
  const llm = config.content.scriptWriter;
  // Checked by loadConfig: SOVI_AGENT=openai needs both.
  if (llm.url === undefined || llm.model === undefined) return undefined;
  const { startTriageAgent } = await import('./agent/triage-agent.ts');
  const { toolDepsOf } = await import('./mcp/tool-kit.ts');
  const policy = loadAgentPolicy(config.agent.policyFile);
  const notifier = createEventNotifier(database.pool, logger);
  const agent = startTriageAgent({
    deps: toolDepsOf({
      db: database.db,
      vault: createVault(config.vault),
      config,
      policies: parts.policies,
      logger,
      contentSink: parts.content.sink,
      planNow: () => parts.warming.planNow(),
    }),
    policy,
    chat: { url: llm.url, model: llm.model, apiKey: llm.apiKey, timeoutMs: llm.timeoutMs },
    subscribe: notifier.subscribe,
  });
  return {
    ready: agent.ready,
    stats: () => agent.stats(),
    stop: async () => {
      await agent.stop();
      await notifier.close();
    },
  };
}

export interface HostServices {
  readonly host: string;
  readonly monitor: HealthMonitor;
  readonly worker: WarmingWorker;
  readonly content: ContentWorker;
  readonly metrics: MetricsWorker;
  readonly trends: TrendsWorker;
  readonly maintenance: MaintenanceWorker;
  readonly notifications: NotificationsWorker;
  /** The platform connections' token refresh. */
  readonly connections: ConnectionsWorker;
  /** The event-triage agent (SOVI_AGENT=openai); undefined when off. */
  readonly agent: TriageAgent | undefined;
  /** The scheduled base backups; undefined on an external server. */
  readonly backup: BackupWorker | undefined;
  stop(): Promise<void>;
}

export async function startHostServices(
  config: Config,
  database: Database,
  logger: Logger,
  options: { policies: Policies; host?: string; media?: MediaStages },
): Promise<HostServices> {
  const { policies, host = config.host } = options;
  const monitor = startHealthMonitor({ db: database.db, health: config.health, logger, host });
  let worker: WarmingWorker | undefined;
  try {
    worker = await startWarmingWorker({ config, database, logger, host, policy: policies.warming });
    // The content worker shares the warming worker's job engine: one pool, one supervisor per process.
    const content = await startContentWorker({
      config,
      database,
      logger,
      boss: worker.boss,
      policy: policies.content,
      // The rendering pipeline is imported only when it is the one used (not with stub media, say).
      media:
        options.media ?? (await import('./content/builtin-media.ts')).builtinMedia(config.content, logger),
    });
    const metrics = await startMetricsWorker({
      config,
      database,
      logger,
      boss: worker.boss,
      tokens: connectionTokens({
        db: database.db,
        vault: createVault(config.vault),
        settings: config.connectors,
        logger,
      }),
    });
    // One trend pull and one maintenance run for the whole fleet per cron tick (singleton queues).
    const heartbeatSeconds = config.scheduler.heartbeatSeconds;
    const trends = await startTrendsWorker({
      settings: config.trends,
      database,
      logger,
      boss: worker.boss,
      heartbeatSeconds,
    });
    const maintenance = await startMaintenanceWorker({
      database,
      logger,
      boss: worker.boss,
      settings: config.maintenance,
      heartbeatSeconds,
      safeBefore: () => rolledUpBefore(database.pool),
    });
    const backup = await startBackupWorker({
      database,
      logger,
      boss: worker.boss,
      settings: config.backup,
      vaultKeyFile: config.vault.keyFile,
      heartbeatSeconds,
    });
    // Channel secrets are opened only at the moment of sending, with this process's vault keys.
    const notifications = await startNotificationsWorker({
      database,
      vault: createVault(config.vault),
      logger,
      boss: worker.boss,
    });
    const connections = await startConnectionsWorker({
      database,
      vault: createVault(config.vault),
      settings: config.connectors,
      logger,
      boss: worker.boss,
      heartbeatSeconds,
    });
    const warming = worker;
    const agent = await startAgent(config, database, logger, { policies, content, warming });
    // Following the log before the server says it is up: no event recorded after that is missed.
    await agent?.ready;
    return {
      host,
      monitor,
      worker: warming,
      content,
      metrics,
      trends,
      maintenance,
      notifications,
      connections,
      backup,
      agent,
      stop: async () => {
        await connections.stop();
        await agent?.stop();
        // Content and sessions first (interrupted jobs are retried elsewhere), the engine with the warming
        // worker, then the monitor's round.
        await notifications.stop();
        await trends.stop();
        await backup?.stop();
        await maintenance.stop();
        await metrics.stop();
        await content.stop();
        await warming.stop();
        await monitor.stop();
      },
    };
  } catch (err) {
    await worker?.stop();
    await monitor.stop();
    throw err;
  }
}
