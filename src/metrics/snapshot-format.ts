// What a metric snapshot file or batch holds: its columns (which are required, which are counts or rates),
// how a file's format is told from its name, and a CSV file's header, checked before a byte is staged.
import { checkHeader } from '../csv-import.ts';
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { invalidInput, type OneOf } from '../errors.ts';

export const snapshotColumns = [
  'time',
  'distribution_id',
  'account_id',
  'views',
  'likes',
  'comments',
  'shares',
  'saves',
  'completion_rate',
  'engagement_rate',
  'follower_count_at',
] as const;
export type SnapshotColumn = OneOf<typeof snapshotColumns>;
export const requiredColumns: readonly SnapshotColumn[] = ['time', 'distribution_id'];
/** Whole numbers, at least 0. */
export const countColumns = ['views', 'likes', 'comments', 'shares', 'saves', 'follower_count_at'] as const;
/** Numbers from 0 to 1. */
export const rateColumns = ['completion_rate', 'engagement_rate'] as const;

/**
 * engagement_rate, when a row has none: interactions over views, (likes + comments + shares + saves) / views,
 * a missing count counting as 0. NULL without views; at most 1 (interactions can outrun a lagging view count).
 * The SQL computing it is ENGAGEMENT_RATE_SQL in snapshot-ingest-repository.ts.
 */
export const ENGAGEMENT_FORMULA = '(likes + comments + shares + saves) / views, at most 1';

export type IngestFormat = 'csv' | 'ndjson';

/**
 * How rows are staged: a CSV file's columns in the order its header names them, or one JSON document per
 * line (NDJSON files and the API's batches).
 */
export type StagedFormat = { kind: 'csv'; columns: SnapshotColumn[] } | { kind: 'json' };

export function formatOf(file: string, format?: string): IngestFormat {
  const chosen =
    format ?? (/\.csv$/i.test(file) ? 'csv' : /\.(nd)?jsonl?$/i.test(file) ? 'ndjson' : undefined);
  if (chosen === 'csv' || chosen === 'ndjson') return chosen;
  throw invalidInput(
    format ? '--format' : 'file',
    format
      ? `--format: expected csv or ndjson, got "${format}"`
      : `${file}: cannot tell the format from the name; expected .csv or .ndjson (.jsonl), or pass --format`,
  );
}

/** How a file's rows are staged; a CSV file's header is read and checked here. */
export async function stagedFormatOf(file: string, format: IngestFormat): Promise<StagedFormat> {
  return format === 'csv' ? { kind: 'csv', columns: await readHeader(file) } : { kind: 'json' };
}

async function readHeader(file: string): Promise<SnapshotColumn[]> {
  const handle = await fs.promises.open(file);
  let first: string;
  try {
    const buffer = Buffer.alloc(4_096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    first = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    await handle.close();
  }
  const end = first.search(/\r|\n/);
  if (first.trim() === '')
    throw invalidInput('file', `${file} line 1: the file is empty: expected a header line and rows`, {
      issues: [{ line: 1, message: 'the file is empty' }],
    });
  // Parsed as CSV: a header may quote its names ("time","views"), as spreadsheets and pandas write them.
  let names: string[];
  try {
    const rows: string[][] = parse(end < 0 ? first : first.slice(0, end), { trim: true });
    names = rows[0] ?? [];
  } catch (err) {
    throw invalidInput('header', `${file} line 1: the header is not valid CSV (${(err as Error).message})`, {
      issues: [{ line: 1, message: 'the header is not valid CSV' }],
    });
  }
  const header = names.map((h) => h.toLowerCase());
  checkHeader(header, file, snapshotColumns, requiredColumns);
  return header as SnapshotColumn[];
}
