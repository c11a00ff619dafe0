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

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);

function classify(code: string, message: string): { code: ErrorCode; prefix: string } | undefined {
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
    CONNECTION_CODES.has(code) ||
    /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable/i.test(
      message,
    )
  ) {
    return { code: 'unavailable', prefix: 'the database is unavailable' };
  }
  return undefined;
}

export function translatePgError(err: unknown): SoviError | undefined {
  if (err instanceof SoviError) return err;
  if (typeof err !== 'object' || err === null || !('message' in err)) return undefined;
  const e = err as PgLikeError;
  const kind = classify(e.code ?? '', e.message);
  if (!kind) return undefined;
  const where = e.constraint ? ` (${e.constraint})` : '';
  // Key details name the conflicting key; other details ("Failing row contains …") would echo whole rows.
  const text = (e.code === '23505' || e.code === '23503') && e.detail ? e.detail : e.message;
  return new SoviError(
    kind.code,
    `${kind.prefix}${where}: ${text}`,
    { pgCode: e.code, constraint: e.constraint, table: e.table, field: e.column },
    { cause: err },
  );
}
