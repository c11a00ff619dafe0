// The fuzz tests every CSV importer gets: damaged files refused clearly with nothing written (or imported
// whole), files with known bad rows refused naming exactly those rows and fields, and the real CLI exiting 2
// with a one-message refusal, never a stack.
import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { fuzzParams } from '../helpers/fuzz.ts';
import type pg from 'pg';
import { expect, it } from 'vitest';
import { runSovi } from '../helpers/cli.ts';
import {
  asReadByCli,
  damage,
  damageArb,
  layoutArb,
  mixedFile,
  mixedPlanArb,
  physicalLines,
  type Damage,
  type MixedPlan,
  type Table,
} from './csv-files.ts';
import {
  deltaOf,
  expectBadRowsNamed,
  expectClearRefusal,
  expectCliSettled,
  outcomeOf,
  rowCounts,
  tempDir,
} from './outcome.ts';

export interface CsvImporterSpec<R> {
  /** The command, e.g. ['hooks', 'import']. */
  command: string[];
  extension: string;
  pool(): pg.Pool;
  env(): Record<string, string>;
  /** The tables an import writes to: none may change when a file is refused. */
  tables: readonly string[];
  badValues: Record<string, readonly string[]>;
  validTable(rows: number): Table;
  /** Imports the file in process, as the command would (bytes: what is on disk). */
  importFile(bytes: Buffer): Promise<R>;
  /** What an accepted file must have written. */
  expectWritten(result: R, delta: Record<string, number>, rows: number): void;
  /** A text that must never appear in a refusal (secrets), unless the columns no longer line up. */
  secretMark?: string;
  /** Adjusts a mixed plan to what this importer takes (e.g. no blank lines). */
  mixedPlan?: (plan: MixedPlan) => MixedPlan;
  runs?: { damaged?: number; mixed?: number; cli?: number };
}

/** Damage after which values land in other columns: a secret may then be echoed as another field's value. */
const misaligning = new Set<Damage['kind']>(['shuffle header only', 'no header', 'drop header column']);

export function fuzzCsvImporter<R>(spec: CsvImporterSpec<R>): void {
  const unchanged = Object.fromEntries(spec.tables.map((t) => [t, 0]));

  it('refuses every damaged file clearly, writing nothing, or imports it whole', async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(layoutArb, damageArb, fc.integer({ min: 0, max: 6 }), async (layout, d, rows) => {
        const bytes = damage(spec.validTable(rows), layout, d, spec.badValues);
        const before = await rowCounts(spec.pool(), spec.tables);
        const outcome = await outcomeOf(() => spec.importFile(bytes));
        const delta = deltaOf(before, await rowCounts(spec.pool(), spec.tables));
        const key = `${outcome.ok ? 'imported' : 'refused'}`;
        seen[key] = (seen[key] ?? 0) + 1;
        if (outcome.ok) {
          spec.expectWritten(outcome.value, delta, rows);
          return;
        }
        const error = expectClearRefusal(outcome.error, physicalLines(asReadByCli(bytes)) + 1);
        expect(delta, error.message).toEqual(unchanged);
        if (spec.secretMark && !misaligning.has(d.kind)) expect(error.message).not.toContain(spec.secretMark);
      }),
      fuzzParams(spec.runs?.damaged ?? 120),
    );
    console.log(`${spec.command.join(' ')}: damaged files`, seen);
    // Both outcomes must have come up, or the property proves little.
    expect(seen.imported).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 120_000);

  it('names exactly the bad rows of a file, each with its field, and imports the file only when none is', async () => {
    await fc.assert(
      fc.asyncProperty(mixedPlanArb, async (generated) => {
        const plan = spec.mixedPlan?.(generated) ?? generated;
        const file = mixedFile(spec.validTable(plan.rows), plan, spec.badValues);
        const before = await rowCounts(spec.pool(), spec.tables);
        const outcome = await outcomeOf(() => spec.importFile(Buffer.from(file.text)));
        const delta = deltaOf(before, await rowCounts(spec.pool(), spec.tables));
        if (file.bad.length === 0) {
          if (!outcome.ok) throw outcome.error;
          spec.expectWritten(outcome.value, delta, plan.rows);
          return;
        }
        if (outcome.ok) throw new Error(`accepted a file with bad rows ${JSON.stringify(file.bad)}`);
        const error = expectClearRefusal(outcome.error, physicalLines(file.text));
        expectBadRowsNamed(error, file.bad);
        if (spec.secretMark) expect(error.message).not.toContain(spec.secretMark);
        expect(delta, error.message).toEqual(unchanged);
      }),
      fuzzParams(spec.runs?.mixed ?? 80),
    );
  }, 120_000);

  it(`sovi ${spec.command.join(' ')} exits 0 or 2 with a one-message refusal naming the line, never a stack`, async () => {
    const dir = await tempDir(spec.command[0]!);
    const cases = fc.sample(fc.tuple(layoutArb, damageArb, fc.integer({ min: 1, max: 4 })), {
      numRuns: spec.runs?.cli ?? 3,
      seed: Number(process.env.FUZZ_SEED ?? 8),
    });
    // And the damage most likely to reach past the checks, whatever the sample holds.
    const layout = { ...cases[0]![0], bom: false };
    for (const d of [
      { kind: 'nul byte', at: 0.7 },
      { kind: 'unbalanced quote', row: 0.5, column: 0.1 },
      { kind: 'utf-16', bom: true },
      { kind: 'latin-1 field', row: 0.5, column: 0.3 },
    ] as Damage[])
      cases.push([layout, d, 3]);
    const started = performance.now();
    for (const [i, [layout, d, rows]] of cases.entries()) {
      const file = path.join(dir, `case-${i}${spec.extension}`);
      await fs.writeFile(file, damage(spec.validTable(rows), layout, d, spec.badValues));
      const before = await rowCounts(spec.pool(), spec.tables);
      const result = await runSovi([...spec.command, file], spec.env(), { timeoutMs: 60_000 });
      const delta = deltaOf(before, await rowCounts(spec.pool(), spec.tables));
      expectCliSettled(result);
      if (result.code !== 0) expect(delta, `${d.kind}: ${result.stderr}`).toEqual(unchanged);
      if (spec.secretMark && !misaligning.has(d.kind)) expect(result.stderr).not.toContain(spec.secretMark);
    }
    console.log(
      `sovi ${spec.command.join(' ')}: ${cases.length} runs, ${Math.round((performance.now() - started) / cases.length)} ms each`,
    );
  }, 180_000);
}
