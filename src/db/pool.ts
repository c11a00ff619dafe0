// Connection pools and the typed Kysely handle over them.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { ConnectionSettings } from '../config.ts';
import type { Logger } from '../logger.ts';
import { markDatabaseError } from './pg-errors.ts';
import type { DB } from './types.generated.ts';

export type Db = Kysely<DB>;

const INT8 = 20;
const DATE = 1082;

// Per-pool type parsers (not the global pg.types) so that nothing else in the process is surprised:
// - int8 (counts, bigserial ids) as a JS number: sovi's counts and ids stay far below 2^53;
// - date as its 'YYYY-MM-DD' text, because a JS Date would shift it to local midnight.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 && format !== 'binary') return (value: string) => Number(value);
    if (oid === DATE && format !== 'binary') return (value: string) => value;
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  }) as typeof pg.types.getTypeParser,
};

export function clientConfig(settings: ConnectionSettings, connectTimeoutMs?: number): pg.ClientConfig {
  const base: pg.ClientConfig = 'url' in settings ? { connectionString: settings.url } : { ...settings };
  return {
    ...base,
    types,
    ...(connectTimeoutMs !== undefined ? { connectionTimeoutMillis: connectTimeoutMs } : {}),
  };
}

/** Where a connection goes, for people to read: never the password. */
export function describeConnection(settings: ConnectionSettings): string {
  if ('url' in settings) {
    const url = new URL(settings.url);
    if (url.password !== '') url.password = '***';
    return url.toString();
  }
  const { host = 'localhost', port = 5432, user = '', database = '' } = settings;
  return `postgresql://${user ? `${user}@` : ''}${host}:${port}/${database}`;
}

export interface PoolOptions {
  min: number;
  max: number;
  connectTimeoutMs: number;
  /** 0 disables it. */
  statementTimeoutMs: number;
  applicationName: string;
}

export function createPool(settings: ConnectionSettings, options: PoolOptions, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    ...clientConfig(settings, options.connectTimeoutMs),
    min: options.min,
    max: options.max,
    application_name: options.applicationName,
    ...(options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {}),
    idleTimeoutMillis: 30_000,
  });
  // An idle client whose server connection dies emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle database connection lost'));
  // A checked-out client whose connection dies between two queries (inside a transaction, say, or while a
  // LISTEN waits) emits 'error' on itself, where the pool no longer listens: without a listener of its own,
  // one pg_terminate_backend or server restart would crash the process. Its next query then fails, and the
  // holder releases it as broken.
  // The client reports the error here before the waiting query is failed with it (pg fails queries on the
  // next tick), so marking it now lets translatePgError tell a database outage from a client's hang-up.
  // Errors while connecting are marked by markConnectErrors below.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      markDatabaseError(err);
      logger.warn({ err: err.message }, 'database connection lost while in use');
    });
  });
  markConnectErrors(pool);
  return pool;
}

/**
 * Marks the errors of getting a connection (a server that resets it while starting or stopping, say) as the
 * database's. pool.query connects through pool.connect too, so both are covered.
 */
function markConnectErrors(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool);
  const marked = (
    callback?: (err: Error | undefined, client: pg.PoolClient, done: (release?: unknown) => void) => void,
  ) => {
    if (callback) {
      connect((err, client, done) => {
        if (err) markDatabaseError(err);
        callback(err, client as pg.PoolClient, done);
      });
      return undefined;
    }
    return connect().catch((err: unknown) => {
      markDatabaseError(err);
      throw err;
    });
  };
  pool.connect = marked as typeof pool.connect;
}

export function createDb(pool: pg.Pool): Db {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
