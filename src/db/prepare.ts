// Brings a database up to date: sovi's migrations, then the job engine's schema, then the application
// role's grants on both. `sovi migrate` and `sovi up` run it; `sovi worker` only checks it was done.
import pg from 'pg';
import type { Config } from '../config.ts';
import { SoviError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Database } from './database.ts';
import { loadMigrationFiles } from './migrations/files.ts';
import { grantAppRole } from './migrations/grants.ts';
import { migrate, planMigrations, readAppliedMigrations, type MigrateResult } from './migrations/migrator.ts';
import { clientConfig } from './pool.ts';

export interface PrepareResult extends MigrateResult {
  jobSchemaVersion: number | null;
}

export async function prepareDatabase(
  database: Database,
  config: Config,
  logger: Logger,
  onApplied?: (name: string, durationMs: number) => void,
): Promise<PrepareResult> {
  const result = await migrate(database.migrationConnection, {
    logger,
    appRole: config.database.appRole,
    connectTimeoutMs: config.database.connectTimeoutMs,
    onApplied,
  });
  // pg-boss (with OpenTelemetry and its cron and rrule parsers) only when the schema is installed: every
  // one-shot command imports this file to check the schema, and almost none installs anything.
  const { installJobSchema } = await import('./job-engine.ts');
  const jobSchemaVersion = await installJobSchema(database.migrationConnection, config.scheduler, logger);
  const client = new pg.Client(clientConfig(database.migrationConnection, config.database.connectTimeoutMs));
  await client.connect();
  try {
    // pg-boss's shared job table churns fast, and a fetch planned on stale statistics (say, from when the
    // table was empty) was measured 50–100× slower: analyze it after every 2% change rather than 10%.
    await client.query(`ALTER TABLE IF EXISTS pgboss.job_common SET (
      autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000,
      autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 1000)`);
    if (config.database.appRole !== undefined) await grantAppRole(client, config.database.appRole);
  } finally {
    await client.end();
  }
  return { ...result, jobSchemaVersion };
}

/** For processes that do not migrate (a worker on a second host): refuse to run on an outdated schema. */
export async function assertDatabaseReady(database: Database): Promise<void> {
  const missing = await missingSchema(database, { jobEngine: true });
  if (missing !== undefined) throw notReady(missing);
}

/**
 * For one-shot commands: a database that is behind the code (a fresh install before the first `sovi up`,
 * or a checkout newer than the database) would otherwise fail on the first missing table with PostgreSQL's
 * own words. The embedded database is this installation's own, so it is brought up to date as `sovi up`
 * would; an existing server may have its own owner and schedule for DDL, so there the command refuses with
 * what to run. Only sovi's migrations are checked: the job engine's schema is the worker's to require.
 */
export async function ensureDatabaseReady(database: Database, config: Config, logger: Logger): Promise<void> {
  // An unreachable server is left to the command: its own input checks come first, then its first query
  // reports the outage as every command does.
  const client = await database.pool.connect().catch(() => undefined);
  if (client === undefined) return;
  client.release();
  const missing = await missingSchema(database, { jobEngine: false });
  if (missing === undefined) return;
  if (database.kind !== 'embedded') throw notReady(missing);
  logger.info({ missing }, 'bringing the embedded database up to date');
  await prepareDatabase(database, config, logger);
}

/** What the schema lacks (pending migrations, the job engine), or undefined when it is up to date. */
async function missingSchema(database: Database, check: { jobEngine: boolean }): Promise<string | undefined> {
  const client = await database.pool.connect();
  try {
    const plan = planMigrations(await loadMigrationFiles(), (await readAppliedMigrations(client)) ?? []);
    if (plan.problems.length > 0) throw new SoviError('conflict', plan.problems.join('; '));
    const jobs = check.jobEngine
      ? (await client.query<{ ok: boolean }>(`SELECT to_regclass('pgboss.job') IS NOT NULL AS ok`)).rows[0]
          ?.ok
      : true;
    if (plan.pending.length === 0 && jobs) return undefined;
    return `${plan.pending.length} migration(s) pending${jobs ? '' : ', job engine not installed'}`;
  } finally {
    client.release();
  }
}

const notReady = (missing: string) =>
  new SoviError(
    'unavailable',
    `the database is not ready (${missing}): run \`sovi migrate\` (or \`sovi up\`) first`,
  );
