// A snapshot file COPY could not read (a broken quote, a line with too many or too few fields, bytes that
// are not UTF-8), read again line by line: each line is checked the way PostgreSQL's CSV reader would take
// it, the good ones are handed on with their line number for a restage, and each bad one becomes an issue
// by its line, so that one broken line hides no other line's problem. Only ever run after such a failure:
// the common path never parses a row in JavaScript (see snapshot-ingest.ts).
import fs from 'node:fs';
import readline from 'node:readline';
import { unstorableText, type ImportIssue } from '../csv-import.ts';
import type { StagedFormat } from './snapshot-format.ts';

export interface CheckedLines {
  /** Bad lines in all. */
  badRows: number;
  /** Their problems, for the first `keep` of them. */
  issues: ImportIssue[];
}

/** Lines handed on at once: one COPY chunk rather than a write per line. */
const BATCH = 1_000;

/**
 * Reads `file` line by line, yielding the good lines as the restage takes them (each line's number first:
 * see restageCopy) and recording the bad ones in `checked`.
 */
export async function* checkedLines(
  file: string,
  format: StagedFormat,
  checked: CheckedLines,
  keep: number,
): AsyncGenerator<string> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  let batch: string[] = [];
  for await (const text of lines) {
    line++;
    if (format.kind === 'csv') {
      // The header was read and checked before anything was staged.
      if (line === 1) continue;
      const problem = csvLineProblem(text, format.columns.length);
      if (problem === undefined) {
        // The stage numbers a CSV file's rows from 1 after the header (see stagedText).
        batch.push(`${line - 1},${text}\n`);
      } else {
        checked.badRows++;
        if (checked.issues.length < keep) checked.issues.push({ line, message: problem });
      }
    } else {
      const problem = unstorableText(text);
      if (problem === undefined) {
        batch.push(`${line}\x02${text}\n`);
      } else {
        checked.badRows++;
        if (checked.issues.length < keep) checked.issues.push({ line, message: `the line ${problem}` });
      }
    }
    if (batch.length >= BATCH) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length > 0) yield batch.join('');
}

/**
 * What PostgreSQL's CSV COPY would refuse in one line of `columns` fields, or undefined. As there, a quote
 * anywhere in a field opens a quoted part, and "" inside one is a quote. A quoted line break (which no
 * snapshot column can hold) reads as a quote that is never closed.
 */
export function csvLineProblem(text: string, columns: number): string | undefined {
  const unstorable = unstorableText(text);
  if (unstorable !== undefined) return `the line ${unstorable}`;
  if (text.trim() === '') return 'an empty line (remove it)';
  let fields = 1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      }
    } else if (c === '"') quoted = true;
    else if (c === ',') fields++;
  }
  if (quoted) return 'not valid CSV: a quote (") opens a field that is never closed';
  if (fields !== columns) return `expected ${columns} fields (as the header has), got ${fields}`;
  return undefined;
}
