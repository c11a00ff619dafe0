// The job engine's base: pg-boss, in sovi's own database, under the `pgboss` schema. Infrastructure like the
// pool: `sovi migrate` installs its schema (prepare.ts), and src/jobs declares the queues and workers on it.
//
// Why these settings (measured with pg-boss 12.38 on PostgreSQL 17; see the scheduler issue's notes):
// - Workers poll every second and are woken by NOTIFY when jobs are created. A session queue is
//   key_strict_fifo (one session per device at a time), and NOTIFY says nothing when a device's key frees
//   up: the freed slot's fetch loop fetches again at once (src/jobs/session-slots.ts), and the
//   notify backstop poll stays short for what frees a key without a local slot (retries, the supervisor).
// - heartbeatSeconds 10 (pg-boss's minimum) and supervise/monitor passes every few seconds: a job whose
//   worker was killed is retried within seconds instead of the ~1 minute of the defaults.
import { sql } from 'kysely';
import { PgBoss, fromKysely, type Db as JobDb } from 'pg-boss';
import type { Config, ConnectionSettings } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Executor } from './executor.ts';

export const JOB_SCHEMA = 'pgboss';

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

/**
 * Analyzes the job table when its statistics are stale. Statistics from when it was nearly empty make every
 * fetch scan it (measured 50–100× slower); autovacuum may take a minute or more to catch up after a burst,
 * so the warming watchdog calls this every minute. True when it analyzed.
 */
export async function analyzeJobTableIfStale(db: Executor): Promise<boolean> {
  const stale = await sql<{ stale: boolean }>`
    SELECT coalesce(n_mod_since_analyze > greatest(1000, n_live_tup / 10), false) AS stale
    FROM pg_stat_user_tables WHERE schemaname = 'pgboss' AND relname = 'job_common'`.execute(db);
  if (!stale.rows[0]?.stale) return false;
  await sql`ANALYZE pgboss.job_common`.execute(db);
  return true;
}
