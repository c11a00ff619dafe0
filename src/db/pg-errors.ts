// PostgreSQL and driver errors, translated at the edge into SoviError codes (STYLE: one error type).
import { SoviError, type ErrorCode } from '../errors.ts';

interface PgLikeError {
  code?: string;
  message: string;
  constraint?: string;
  column?: string;
  table?: string;
  detail?: string;
}

// Failures to reach the server at all: only connecting (to the database, in sovi's use of this module) fails
// like this.
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH']);
// A connection that broke. Every socket breaks like this, an HTTP client's that hung up or a child's pipe as
// much as the database's, so these count only for errors seen on a database connection (markDatabaseError).
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE']);

const fromDatabase = new WeakSet<object>();

/**
 * Marks an error as having come from a database connection (the pool's clients report theirs here before
 * the query that was waiting sees it), so that a broken socket is read as an outage only when it was the
 * database's.
 */
export function markDatabaseError(err: unknown): void {
  if (typeof err === 'object' && err !== null) fromDatabase.add(err);
}

const codeOf = (err: unknown): string =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : '';

// The PostgreSQL error classes sovi reacts to (https://www.postgresql.org/docs/current/errcodes-appendix.html),
// by name instead of by code.

/** 23505: a unique constraint (optionally this one) refused the row. */
export const isUniqueViolation = (err: unknown, constraint?: string): boolean =>
  codeOf(err) === '23505' &&
  (constraint === undefined || (err as { constraint?: string }).constraint === constraint);
/** Class 22: a value the column's type refused (bad number, text, time…). */
export const isDataException = (err: unknown): boolean => codeOf(err).startsWith('22');
/** Class 23: a constraint refused the row (NOT NULL, CHECK, unique, foreign key). */
export const isIntegrityViolation = (err: unknown): boolean => codeOf(err).startsWith('23');
/**
 * 40001 or 40P01: the server cancelled this transaction to let a concurrent one finish (a serialization
 * failure or a deadlock). Nothing of it was applied, so running it again is safe.
 */
export const isTransactionConflict = (err: unknown): boolean => ['40001', '40P01'].includes(codeOf(err));
/** 55P03: a lock was not granted within lock_timeout. */
export const isLockNotAvailable = (err: unknown): boolean => codeOf(err) === '55P03';
/** 42P04: CREATE DATABASE of a database that exists. */
export const isDuplicateDatabase = (err: unknown): boolean => codeOf(err) === '42P04';
/** 55006: an object in use, e.g. a template database another CREATE DATABASE is copying. */
export const isObjectInUse = (err: unknown): boolean => codeOf(err) === '55006';

function classify(
  code: string,
  message: string,
  database: boolean,
): { code: ErrorCode; prefix: string } | undefined {
  if (code === '23505') return { code: 'conflict', prefix: 'already exists' };
  if (code === '23503') return { code: 'not_found', prefix: 'refers to something that does not exist' };
  if (code === '23514' || code === '23502' || code.startsWith('22'))
    return { code: 'invalid_input', prefix: 'invalid value' };
  if (code === '40001' || code === '40P01' || code === '55P03')
    return { code: 'conflict', prefix: 'concurrent change, try again' };
  if (code === '28P01' || code === '28000' || code === '3D000')
    return { code: 'unavailable', prefix: 'cannot use the database' };
  if (
    code.startsWith('08') ||
    ['57P01', '57P02', '57P03', '53300'].includes(code) ||
    CONNECT_CODES.has(code) ||
    (database && BROKEN_CODES.has(code)) ||
    /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable/i.test(
      message,
    )
  ) {
    return { code: 'unavailable', prefix: 'the database is unavailable' };
  }
  return undefined;
}

/**
 * The SoviError a database error means, or undefined when it means nothing sovi knows. With `serverText`
 * false (what goes to API clients), the message names the constraint and column but carries none of the
 * server's own text, which may quote values, types or SQL.
 */
export function translatePgError(
  err: unknown,
  options: { serverText?: boolean } = {},
): SoviError | undefined {
  if (err instanceof SoviError) return err;
  if (typeof err !== 'object' || err === null || !('message' in err)) return undefined;
  const e = err as PgLikeError;
  const kind = classify(e.code ?? '', e.message, fromDatabase.has(err));
  if (!kind) return undefined;
  const where = e.constraint ? ` (${e.constraint})` : '';
  // Key details name the conflicting key; other details ("Failing row contains …") would echo whole rows.
  const text = (e.code === '23505' || e.code === '23503') && e.detail ? e.detail : e.message;
  const message =
    options.serverText === false
      ? `${kind.prefix}${where}${e.column ? `: ${e.column}` : ''}`
      : `${kind.prefix}${where}: ${text}`;
  return new SoviError(
    kind.code,
    message,
    { pgCode: e.code, constraint: e.constraint, table: e.table, field: e.column },
    { cause: err },
  );
}
