// What every CSV import shares: reading the file with line numbers, checking the header, and refusing the
// whole file with every bad line listed (imports are all or nothing).
import { parse } from 'csv-parse/sync';
import { SoviError } from './errors.ts';

export interface CsvRecord {
  /** The file's line number of the record (1 is the header). */
  line: number;
  fields: string[];
}

export interface ImportIssue {
  line: number;
  field?: string;
  message: string;
}

/**
 * Text PostgreSQL cannot store, or that was not UTF-8 on disk: a NUL byte (text columns cannot hold one; a
 * UTF-16 file is full of them) and U+FFFD, what reading invalid UTF-8 (e.g. a Latin-1 export) leaves behind.
 * Found here, such a field is reported with its line instead of failing the write with no line at all.
 */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL byte (is the file UTF-16? save it as UTF-8)';
  if (value.includes('\uFFFD')) return 'is not valid UTF-8 (save the file as UTF-8)';
  return undefined;
}

/**
 * Where the first NUL byte is in a parsed input (an API body, query or path; CLI arguments): its field path
 * from `path` (`body.snapshots.3.platform`), or undefined when there is none. PostgreSQL text cannot hold
 * one, so it is refused up front, by name, instead of failing the write with the server's error text.
 */
export function nulBytePath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined;
  // Parsed JSON is a tree whose depth the body parser bounds, so recursion is safe here.
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
    const found = nulBytePath(item, `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The header and records of a CSV file, with each record's line. Records holding text that cannot be stored
 * (see unstorableText) are left out and listed in `issues`, by line and column, for the importer to report
 * with its own; the value is never echoed (it may be a secret).
 */
export function readCsv(
  text: string,
  source: string,
): { header: string[]; records: CsvRecord[]; issues: ImportIssue[] } {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse counts a CRLF inside a quoted field as two lines, putting every later line number off by
    // one: with LF alone it counts right (and a field's line breaks read the same from every platform).
    parsed = parse(text.replaceAll('\r\n', '\n'), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (err) {
    const e = err as { lines?: number; message: string };
    // csv-parse quotes the field it choked on ("…, value is "…""): it may be a secret, so it goes.
    const message = e.message.replace(/,? value is [\s\S]*$/, '');
    throw new SoviError(
      'invalid_input',
      `${source}${e.lines ? ` line ${e.lines}` : ''}: not valid CSV (${message}); nothing was imported`,
      {
        field: 'file',
        issues: [{ line: e.lines, message }],
      },
    );
  }
  const [first, ...rest] = parsed;
  if (!first)
    throw new SoviError(
      'invalid_input',
      `${source} line 1: the file is empty: expected a header line and rows`,
      {
        field: 'file',
        issues: [{ line: 1, message: 'the file is empty' }],
      },
    );
  const headerProblem = first.record.map(unstorableText).find((p) => p !== undefined);
  if (headerProblem) {
    throw new SoviError('invalid_input', `${source} line 1: the header ${headerProblem}`, {
      field: 'header',
      issues: [{ line: 1, message: `the header ${headerProblem}` }],
    });
  }
  const header = first.record.map((h) => h.toLowerCase());
  const issues: ImportIssue[] = [];
  const records: CsvRecord[] = [];
  for (const r of rest) {
    // csv-parse gives the line a record ends on; a person looks for the line it starts on.
    const line = r.info.lines - r.record.reduce((n, value) => n + (value.split('\n').length - 1), 0);
    const problems = r.record.flatMap((value, i) => {
      const problem = unstorableText(value);
      const field = header[i] ?? `field ${i + 1}`;
      return problem ? [{ line, field, message: `${field}: ${problem}` }] : [];
    });
    if (problems.length > 0) issues.push(...problems);
    else records.push({ line, fields: r.record });
  }
  return { header, records, issues };
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number as people write it; NaN for anything else (Number() would also take "0x1f", "0b1"). */
export function decimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}

/** Refuses a header with unknown, missing or repeated columns. */
export function checkHeader(
  header: string[],
  source: string,
  columns: readonly string[],
  required: readonly string[],
): void {
  const problems = [
    ...header.filter((h) => !columns.includes(h)).map((c) => `unknown column "${c}"`),
    ...required.filter((c) => !header.includes(c)).map((c) => `missing column "${c}"`),
    ...header.filter((h, i) => header.indexOf(h) !== i).map((c) => `column "${c}" appears twice`),
  ];
  if (problems.length > 0) {
    throw new SoviError(
      'invalid_input',
      `${source} line 1: ${problems.join('; ')}. Columns: ${columns.join(', ')} (${required.join(' and ')} required)`,
      { field: 'header', issues: problems.map((message) => ({ line: 1, message })) },
    );
  }
}

/** A record's fields by column name; empty fields read as undefined. */
export function fieldsByName(header: string[], fields: string[]): (column: string) => string | undefined {
  return (column) => {
    const i = header.indexOf(column);
    const value = i < 0 ? '' : (fields[i] ?? '');
    return value === '' ? undefined : value;
  };
}

/**
 * The error for a file with bad rows: every problem by line (the first 50 in the message), nothing written.
 * `badRows`: how many rows were bad in all, when `issues` covers only the first of them; the error's details
 * carry it either way.
 */
export function importRefused(source: string, issues: ImportIssue[], badRows?: number): SoviError {
  const sorted = [...issues].sort((a, b) => a.line - b.line);
  const shown = sorted.slice(0, 50).map((i) => `line ${i.line}: ${i.message}`);
  const more = sorted.length > shown.length ? `\n  … and ${sorted.length - shown.length} more` : '';
  const rows = badRows ?? new Set(sorted.map((i) => i.line)).size;
  return new SoviError(
    'invalid_input',
    `${source}: ${badRows === undefined ? `${sorted.length} problem(s) in ${rows} row(s)` : `${rows} bad row(s)`}; nothing was imported:\n  ${shown.join('\n  ')}${more}`,
    { field: 'file', issues: sorted, badRows: rows },
  );
}
