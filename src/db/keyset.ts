// Keyset pagination: one helper for every listing. A page reads limit + 1 rows after the cursor's key, keeps
// limit, and encodes the last kept row's key as the next cursor (null when nothing follows).
//
// A cursor carries the last row's sort key exactly: PostgreSQL keeps timestamps to the microsecond and a JS
// Date only to the millisecond, so a cursor built from a Date would repeat or skip rows that share a
// millisecond. Times therefore travel as PostgreSQL's own text (exactTime).
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { invalidInput } from '../errors.ts';
import { isUuid } from '../ids.ts';

/** A timestamptz column as exact UTC text, e.g. 2026-11-25T04:03:00.123456Z. */
export const exactTime = (column: string): RawBuilder<string | null> =>
  sql<string | null>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const isExactTime = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value);

export type KeyPart = string | number | null;

export function encodeCursor(parts: KeyPart[]): string {
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

/** How a listing's rows are ordered: the key a cursor holds, read from a row and checked when decoded. */
export interface Keyset<Row, Key extends KeyPart[]> {
  keyOf: (row: Row) => Key;
  isKey: (parts: unknown[]) => boolean;
}

export interface PageQuery {
  /** The nextCursor of the previous page. */
  after?: string;
  limit: number;
}

export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

/** A page size asked for (`defaultLimit` when not given), checked: one rule and message for every listing. */
export function pageLimit(limit: number | undefined, defaultLimit: number, max = 1000): number {
  const n = limit ?? defaultLimit;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw invalidInput('limit', `limit: expected an integer between 1 and ${max}, got ${n}`);
  }
  return n;
}

/**
 * One page of a listing: `read` gets the decoded key to start after (undefined on the first page) and how
 * many rows to read (limit + 1, to tell whether more follow); `map` turns a row into what callers see.
 */
export async function keysetPage<Row, Key extends KeyPart[], Item>(
  query: PageQuery,
  keyset: Keyset<Row, Key>,
  read: (after: Key | undefined, rows: number) => Promise<Row[]>,
  map: (row: Row) => Item,
  field = 'after',
): Promise<Page<Item>> {
  const after = query.after === undefined ? undefined : decodeCursor<Key>(query.after, field, keyset.isKey);
  const rows = await read(after, query.limit + 1);
  const kept = rows.slice(0, query.limit);
  const last = kept.at(-1);
  return {
    items: kept.map(map),
    nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(keyset.keyOf(last)) : null,
  };
}

/** The common key: a row's time (exactTime, selected as cursor_time) and its uuid id, as tiebreak. */
export const timeAndId: Keyset<{ cursor_time: string | null; id: string }, [string | null, string]> = {
  keyOf: (row) => [row.cursor_time, row.id],
  isKey: ([time, id]) => isExactTime(time) && typeof id === 'string' && isUuid(id),
};

/**
 * Rows past a (time, uuid id) key in a listing's order: '<' for newest first, '>' for oldest first. The
 * columns are the ones the listing orders by, so their index serves the comparison.
 */
export const pastTimeAndId = (
  timeColumn: string,
  idColumn: string,
  direction: '<' | '>',
  [time, id]: [string | null, string],
): RawBuilder<SqlBool> =>
  sql<SqlBool>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) ${sql.raw(direction)} (${time}::timestamptz, ${id}::uuid)`;
