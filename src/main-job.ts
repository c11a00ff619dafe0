// `sovi up`: the database (embedded when no DATABASE_URL), migrations, this host's device monitor and
// warming worker, then the HTTP server.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { prepareDatabase } from './db/prepare.ts';
import { SoviError } from './errors.ts';
import { startHostServices, type HostServices } from './host-services.ts';
import { buildApp } from './http/app.ts';
import type { Logger } from './logger.ts';
import { loadPolicies, type Policies } from './policies.ts';
import { createVault, noVaultKeyMessage } from './vault/vault.ts';

export interface RunningSovi {
  readonly database: Database;
  /** The policies this process loaded, for what runs beside it (the demo seeder). */
  readonly policies: Policies;
  readonly app: FastifyInstance;
  /** The URL the server listens on. */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** false: serve only, for a deployment whose workers run elsewhere (`sovi worker`). Default true. */
  worker?: boolean;
  /** The policies to run with, instead of the ones the policy files give (the demo's quick warming). */
  policies?: Policies;
  /** Runs once the database is open, before migrations write anything: the demo's guard. */
  beforeMigrate?: (database: Database) => Promise<void>;
  /** Runs after migrations, before the workers and the monitor start: the demo's seeding. */
  beforeServices?: (database: Database, policies: Policies) => Promise<void>;
}

export async function startSovi(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningSovi> {
  const policies = options.policies ?? loadPolicies(config);
  // Read the keys now: a bad key file stops the start (exit 78) rather than failing the first request that
  // needs it. A server with none says so once the database is ready (a start refused before that, like the
  // demo's on a database with real data, says only why), before anyone can add an account with secrets.
  const vault = createVault(config.vault);
  const database = await openDatabase(config, logger, { applicationName: 'sovi up' });
  let app: FastifyInstance | undefined;
  let services: HostServices | undefined;
  try {
    await options.beforeMigrate?.(database);
    const result = await prepareDatabase(database, config, logger);
    logger.info(
      {
        applied: result.applied.map((m) => m.name),
        upToDate: result.alreadyApplied,
        database: database.description,
      },
      'database ready',
    );
    if (!vault.isConfigured()) logger.warn({ field: 'SOVI_VAULT_KEYS' }, noVaultKeyMessage);
    await options.beforeServices?.(database, policies);
    if (options.worker !== false) services = await startHostServices(config, database, logger, { policies });
    const background = services;
    app = await buildApp({
      db: database.db,
      pool: database.pool,
      logger,
      vault,
      config,
      policies,
      contentSink: services?.content.sink,
      planNow: background ? () => background.worker.planNow() : undefined,
    });
    const url = await listen(app, config.http);
    logger.info({ url }, 'sovi is up');
    const running = app;
    return {
      database,
      policies,
      app: running,
      url,
      close: async () => {
        await running.close();
        await background?.stop(); // Waits for sessions and a health round in flight, which still write.
        await database.close();
      },
    };
  } catch (err) {
    await app?.close();
    await services?.stop();
    await database.close();
    throw err;
  }
}

async function listen(app: FastifyInstance, http: Config['http']): Promise<string> {
  try {
    return await app.listen({ host: http.host, port: http.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new SoviError(
        'unavailable',
        `cannot listen on ${http.host}:${http.port} (${code}): choose another SOVI_PORT/SOVI_HOST or pass --port`,
        { field: 'SOVI_PORT' },
      );
    }
    throw err;
  }
}
