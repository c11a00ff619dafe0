// What every importer promises for a malformed file, as assertions: a clear refusal naming the line (and the
// field, where one is to blame), nothing written, and never a crash.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { expect } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import type { CliResult } from '../helpers/cli.ts';
import type { KnownBad } from './csv-files.ts';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function outcomeOf<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

export async function rowCounts(pool: pg.Pool, tables: readonly string[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ t: string; n: number }>(
    tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t}`).join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

export function deltaOf(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(Object.keys(before).map((t) => [t, after[t]! - before[t]!]));
}

const STACK = /\n\s+at |node:internal|\.ts:\d+:\d+/;

/** A refusal a person can act on: invalid_input, "line N" in the message, every issue on a line of the file. */
export function expectClearRefusal(error: unknown, fileLines: number): SoviError {
  if (!(error instanceof SoviError)) throw new Error(`not a SoviError: ${String(error)}`, { cause: error });
  expect(error.code, error.message).toBe('invalid_input');
  expect(error.message).toMatch(/line \d+/);
  expect(error.message).not.toMatch(STACK);
  for (const issue of error.details.issues ?? []) {
    expect(issue.line, error.message).toBeGreaterThanOrEqual(1);
    expect(issue.line, error.message).toBeLessThanOrEqual(fileLines);
  }
  return error;
}

/** The refusal names exactly the bad rows, each with its field. */
export function expectBadRowsNamed(error: SoviError, bad: KnownBad[]): void {
  const issues = error.details.issues ?? [];
  expect(
    [...new Set(issues.map((i) => i.line))].sort((a, b) => a! - b!),
    error.message,
  ).toEqual(bad.map((b) => b.line));
  for (const b of bad) {
    expect(
      issues.some((i) => i.line === b.line && i.field === b.field),
      `line ${b.line} should be blamed on ${b.field}:\n${error.message}`,
    ).toBe(true);
  }
}

/** A CLI run that refused a file: exit 2, one "sovi: … line N …" message, no stack, no signal. */
export function expectCliRefusal(result: CliResult): void {
  expect(result.signal).toBeNull();
  expect(result.code, result.stderr).toBe(2);
  // A progress bar may come first.
  expect(result.stderr).toMatch(/(^|\n)sovi: [\s\S]*line \d+/);
  expect(result.stderr).not.toMatch(STACK);
  expect(result.stderr).not.toMatch(/unexpected error/);
}

/** A CLI run that ended well or refused the file; never a crash. */
export function expectCliSettled(result: CliResult): void {
  expect(result.signal).toBeNull();
  if (result.code === 0) expect(result.stderr).not.toMatch(/error/i);
  else expectCliRefusal(result);
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `sovi-fuzz-${prefix}-`));
}
