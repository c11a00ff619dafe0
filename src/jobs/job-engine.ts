// The job engine: pg-boss, in sovi's own database, under the `pgboss` schema.
//
// Why these settings (measured with pg-boss 12.38 on PostgreSQL 17; see the scheduler issue's notes):
// - Workers poll every second and are woken by NOTIFY when jobs are created. A session queue is
//   key_strict_fifo (one session per device at a time), and NOTIFY says nothing when a device's key frees
//   up, so the notify backstop poll must be short too, or the next session of a device waits 30 s.
// - heartbeatSeconds 10 (pg-boss's minimum) and supervise/monitor passes every few seconds: a job whose
//   worker was killed is retried within seconds instead of the ~1 minute of the defaults.
import { PgBoss, fromKysely, type Db as JobDb } from 'pg-boss';
import type { Config, ConnectionSettings } from '../config.ts';
import type { Executor } from '../db/executor.ts';
import type { Logger } from '../logger.ts';

export const JOB_SCHEMA = 'pgboss';

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

function databaseOptions(connection: ConnectionSettings) {
  if ('url' in connection) return { connectionString: connection.url };
  const { host, port, user, password, database } = connection;
  return { host, port, user, password, database };
}

export interface BossOptions {
  /** Install or upgrade the pgboss schema on start (`sovi migrate` does; runtime instances do not). */
  migrate: boolean;
  /** Run maintenance, supervision and cron (workers do; a short-lived installer does not). */
  background: boolean;
  maxConnections?: number;
}

export function createBoss(
  connection: ConnectionSettings,
  scheduler: Config['scheduler'],
  logger: Logger,
  options: BossOptions,
): PgBoss {
  const boss = new PgBoss({
    ...databaseOptions(connection),
    schema: JOB_SCHEMA,
    application_name: 'sovi jobs',
    max: options.maxConnections ?? scheduler.poolMax,
    migrate: options.migrate,
    supervise: options.background,
    schedule: options.background,
    superviseIntervalSeconds: scheduler.superviseSeconds,
    monitorIntervalSeconds: scheduler.superviseSeconds,
    useListenNotify: options.background,
    registerInstance: options.background,
    openTelemetry: { enabled: false },
  });
  // pg-boss reports lost connections and failed maintenance as events; unhandled, 'error' would throw.
  boss.on('error', (err) => logger.warn({ err: err.message }, 'job engine error'));
  boss.on('warning', (warning) => logger.debug({ warning }, 'job engine warning'));
  return boss;
}

/** Installs or upgrades the job engine's schema; part of `sovi migrate`. */
export async function installJobSchema(
  connection: ConnectionSettings,
  scheduler: Config['scheduler'],
  logger: Logger,
): Promise<number | null> {
  const boss = createBoss(connection, scheduler, logger, {
    migrate: true,
    background: false,
    maxConnections: 2,
  });
  await boss.start();
  try {
    return await boss.schemaVersion();
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

/** Lets pg-boss statements run inside a Kysely transaction, so a job and the rows it is about commit together. */
export const inTransaction = (trx: Executor): JobDb => fromKysely(trx);

/** One run at a time across the fleet, for cron work (planning, refresh, pulls): see ensureCronQueue. */
export interface CronQueueOptions {
  policy: 'singleton' | 'exclusive';
  heartbeatSeconds: number;
  expireInSeconds?: number;
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
  const { policy, ...rest } = options;
  await boss.createQueue(name, { policy, ...rest });
  await boss.updateQueue(name, rest);
}
