// Opens sovi's database: the configured server, or the embedded one. Everything that needs the database
// goes through here, so the embedded server is started once and released on close.
import type pg from 'pg';
import path from 'node:path';
import type { Config, ConnectionSettings } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { EmbeddedPostgres } from './embedded/server.ts';
import { createDb, createPool, describeConnection, type Db } from './pool.ts';

export const EMBEDDED_DATABASE = 'sovi';

/** The WAL archive inside SOVI_BACKUP_DIR. */
export const backupWalDir = (backupDir: string): string => path.join(backupDir, 'wal');

export interface Database {
  readonly db: Db;
  readonly pool: pg.Pool;
  readonly kind: 'external' | 'embedded';
  /** Where the database is, without secrets. */
  readonly description: string;
  /** The application's connection (what the pool uses), for components with pools of their own. */
  readonly connection: ConnectionSettings;
  /** The connection that runs DDL (the table owner's, when one is configured). */
  readonly migrationConnection: ConnectionSettings;
  readonly embedded: EmbeddedPostgres | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  applicationName: string;
  /** Pool bounds for this process; defaults to the configured ones. */
  pool?: { min: number; max: number };
}

export async function openDatabase(config: Config, logger: Logger, options: OpenOptions): Promise<Database> {
  const { target } = config.database;
  let embedded: EmbeddedPostgres | undefined;
  let connection: ConnectionSettings;
  let migrationConnection: ConnectionSettings;
  if (target.kind === 'external') {
    connection = target.connection;
    migrationConnection = target.migrationConnection;
  } else {
    // Imported here: a process with DATABASE_URL (every `sovi` command against a server) never loads it.
    const { useEmbeddedPostgres } = await import('./embedded/server.ts');
    embedded = await useEmbeddedPostgres({
      home: config.home,
      port: target.port,
      osUser: target.osUser,
      database: EMBEDDED_DATABASE,
      logger,
      // Continuous archiving is always on for the embedded server: `sovi db backup` and point-in-time
      // restore need the WAL from the moment of the base backup on.
      archiveDir: backupWalDir(config.backup.dir),
    });
    connection = migrationConnection = { url: embedded.urlFor(EMBEDDED_DATABASE) };
  }
  const pool = createPool(
    connection,
    {
      ...(options.pool ?? config.database.pool),
      connectTimeoutMs: config.database.connectTimeoutMs,
      statementTimeoutMs: config.database.statementTimeoutMs,
      applicationName: options.applicationName,
    },
    logger,
  );
  const db = createDb(pool);
  let closed = false;
  return {
    db,
    pool,
    kind: target.kind,
    description: embedded
      ? `embedded PostgreSQL at 127.0.0.1:${embedded.port} (data ${embedded.dataDir})`
      : describeConnection(connection),
    connection,
    migrationConnection,
    embedded,
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
      // Kysely ends the pool only if it ever used it; direct pool users (status, migrations) bypass Kysely.
      if (!pool.ended) await pool.end();
      await embedded?.release();
    },
  };
}
