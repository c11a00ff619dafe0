// What every CSV import shares: reading the file with line numbers, checking the header, and refusing the
// whole file with every bad line listed (imports are all or nothing).
import type * as CsvParse from 'csv-parse/sync';
import { createRequire } from 'node:module';

// csv-parse is loaded when a file is read: the command groups that import CSV load this module for every
// one of their commands, most of which read no file.
const require = createRequire(import.meta.url);
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
 * with its own; the value is never echoed (it may be a secret). So is a record that is not valid CSV (an
 * unterminated or stray quote): the reader notes its first line and starts again on the next line, so that
 * one broken line hides none of the others' problems. Only a header that cannot be read refuses the file.
 */
export function readCsv(
  text: string,
  source: string,
): { header: string[]; records: CsvRecord[]; issues: ImportIssue[] } {
  // csv-parse counts a CRLF inside a quoted field as two lines, putting every later line number off by
  // one: with LF alone it counts right (and a field's line breaks read the same from every platform).
  const normalized = text.replaceAll('\r\n', '\n');
  const parsed: { record: string[]; line: number }[] = [];
  const syntax: ImportIssue[] = [];
  // Where the text being parsed starts: its character offset, and how many lines come before it.
  let offset = 0;
  let linesBefore = 0;
  let lineStarts: number[] | undefined;
  for (;;) {
    let lastEnd = linesBefore;
    const error = parseRecords(offset === 0 ? normalized : normalized.slice(offset), (record, endLine) => {
      // csv-parse gives the line a record ends on; a person looks for the line it starts on.
      const end = linesBefore + endLine;
      const line = end - record.reduce((n, value) => n + (value.split('\n').length - 1), 0);
      parsed.push({ record, line });
      lastEnd = end;
    });
    if (error === undefined) break;
    lineStarts ??= startsOfLines(normalized);
    // The broken record starts on the first line with text after the last good record; the next one may
    // start on the line after it.
    let bad = lastEnd + 1;
    while (
      bad < lineStarts.length &&
      normalized.slice(lineStarts[bad - 1], lineStarts[bad]! - 1).trim() === ''
    )
      bad++;
    bad = Math.min(bad, lineStarts.length - 1);
    if (parsed.length === 0) {
      // No header to check rows against: the file is refused as a whole.
      throw new SoviError(
        'invalid_input',
        `${source} line ${bad}: not valid CSV (${error}); nothing was imported`,
        { field: 'file', issues: [{ line: bad, message: `not valid CSV: ${error}` }] },
      );
    }
    syntax.push({ line: bad, message: `not valid CSV: ${error}` });
    if (bad >= lineStarts.length) break;
    offset = lineStarts[bad]!;
    linesBefore = bad;
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
  const issues: ImportIssue[] = [...syntax];
  const records: CsvRecord[] = [];
  for (const { record, line } of rest) {
    const problems = record.flatMap((value, i) => {
      const problem = unstorableText(value);
      const field = header[i] ?? `field ${i + 1}`;
      return problem ? [{ line, field, message: `${field}: ${problem}` }] : [];
    });
    if (problems.length > 0) issues.push(...problems);
    else records.push({ line, fields: record });
  }
  return { header, records, issues };
}

/**
 * Parses CSV text, handing each record and the line (of the text) it ends on to `onRecord`, up to the first
 * record that is not valid CSV; returns what is wrong with that one, or undefined when none is.
 */
function parseRecords(
  text: string,
  onRecord: (record: string[], endLine: number) => void,
): string | undefined {
  const { parse } = require('csv-parse/sync') as typeof CsvParse;
  try {
    parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      on_record: (record: string[], info: { lines: number }) => {
        onRecord(record, info.lines);
        return null;
      },
    });
    return undefined;
  } catch (err) {
    return syntaxProblem(err as { code?: string; message: string });
  }
}

/** What a person can fix, for csv-parse's error: never the field's value (it may be a secret). */
function syntaxProblem(err: { code?: string; message: string }): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quote (") opens a field that is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'a quoted field is not closed where it ends (a lone quote, or text after the closing one)';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote (") inside an unquoted field: quote the whole field and double the quote ("")';
    default:
      // csv-parse quotes the field it choked on ("…, value is "…"") and counts lines from where this
      // parse began: both go.
      return err.message.replace(/,? value is [\s\S]*$/, '').replace(/\s*(at|on) line \d+/g, '');
  }
}

/** The offset each line of `text` starts at: [0] is line 1's, and one more past the end of the text. */
function startsOfLines(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  starts.push(text.length + 1);
  return starts;
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
