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

export function readCsv(text: string, source: string): { header: string[]; records: CsvRecord[] } {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
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
    throw new SoviError(
      'invalid_input',
      `${source}${e.lines ? ` line ${e.lines}` : ''}: not valid CSV (${e.message}); nothing was imported`,
      {
        field: 'file',
        issues: [{ line: e.lines, message: e.message }],
      },
    );
  }
  const [first, ...rest] = parsed;
  if (!first)
    throw new SoviError('invalid_input', `${source} is empty: expected a header line and rows`, {
      field: 'file',
    });
  return {
    header: first.record.map((h) => h.toLowerCase()),
    records: rest.map((r) => ({ line: r.info.lines, fields: r.record })),
  };
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

/** The error for a file with bad rows: every problem by line (the first 50 in the message), nothing written. */
/** `badRows`: how many rows were bad in all, when `issues` covers only the first of them. */
export function importRefused(source: string, issues: ImportIssue[], badRows?: number): SoviError {
  const sorted = [...issues].sort((a, b) => a.line - b.line);
  const shown = sorted.slice(0, 50).map((i) => `line ${i.line}: ${i.message}`);
  const more = sorted.length > shown.length ? `\n  … and ${sorted.length - shown.length} more` : '';
  const rows = badRows ?? new Set(sorted.map((i) => i.line)).size;
  return new SoviError(
    'invalid_input',
    `${source}: ${badRows === undefined ? `${sorted.length} problem(s) in ${rows} row(s)` : `${rows} bad row(s)`}; nothing was imported:\n  ${shown.join('\n  ')}${more}`,
    { field: 'file', issues: sorted },
  );
}
