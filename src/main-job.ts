// `sovi up`: the database (embedded when no DATABASE_URL), migrations, then the HTTP server. Later issues add
// the workers, the API and the dashboard to the same start.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { migrate } from './db/migrations/migrator.ts';
import { startHealthMonitor, type HealthMonitor } from './devices/health-monitor.ts';
import { SoviError } from './errors.ts';
import { buildApp } from './http/app.ts';
import type { Logger } from './logger.ts';

export interface RunningSovi {
  readonly database: Database;
  readonly app: FastifyInstance;
  /** The URL the server listens on. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startSovi(config: Config, logger: Logger): Promise<RunningSovi> {
  const database = await openDatabase(config, logger, { applicationName: 'sovi up' });
  let app: FastifyInstance | undefined;
  let monitor: HealthMonitor | undefined;
  try {
    const result = await migrate(database.migrationConnection, {
      logger,
      appRole: config.database.appRole,
      connectTimeoutMs: config.database.connectTimeoutMs,
    });
    logger.info(
      {
        applied: result.applied.map((m) => m.name),
        upToDate: result.alreadyApplied,
        database: database.description,
      },
      'database ready',
    );
    monitor = startHealthMonitor({ db: database.db, health: config.health, logger });
    const health = monitor;
    app = await buildApp({ db: database.db, logger });
    const url = await listen(app, config.http);
    logger.info({ url }, 'sovi is up');
    const running = app;
    return {
      database,
      app: running,
      url,
      close: async () => {
        await running.close();
        await health.stop(); // Waits for a round in flight, which still writes to the database.
        await database.close();
      },
    };
  } catch (err) {
    await app?.close();
    await monitor?.stop();
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
