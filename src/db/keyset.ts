// Keyset pagination helpers. A cursor carries the last row's sort key exactly: PostgreSQL keeps timestamps
// to the microsecond and a JS Date only to the millisecond, so a cursor built from a Date would repeat or
// skip rows that share a millisecond. Times therefore travel as PostgreSQL's own text.
import { sql, type RawBuilder } from 'kysely';
import { invalidInput } from '../errors.ts';

/** A timestamptz column as exact UTC text, e.g. 2026-11-25T04:03:00.123456Z. */
export const exactTime = (column: string): RawBuilder<string | null> =>
  sql<string | null>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(parts: (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** Decodes a cursor, checking its shape; anything else is the caller's mistake, named by `field`. */
export function decodeCursor<T extends unknown[]>(
  text: string,
  field: string,
  isValid: (parts: unknown[]) => boolean,
): T {
  try {
    const parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parts) && isValid(parts)) return parts as T;
  } catch {
    // Falls through to the error below.
  }
  throw invalidInput(field, `${field}: not a cursor returned by a previous page of this listing`);
}

export const isExactTime = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value);
