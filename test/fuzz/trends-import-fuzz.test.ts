// `sovi trends import` under malformed files, CSV and JSON: a clear refusal naming the line and field,
// nothing written, never a crash (see importer-harness.ts for what the CSV tests assert).
import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importTrends, type ImportFormat } from '../../src/trends/trends-import.ts';
import { defaultTrendsSettings } from '../../src/settings/trends-settings.ts';
import { runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { asReadByCli, physicalLines, type Table } from './csv-files.ts';
import { fuzzParams } from '../helpers/fuzz.ts';
import { fuzzCsvImporter } from './importer-harness.ts';
import { deltaOf, expectClearRefusal, expectCliSettled, outcomeOf, rowCounts, tempDir } from './outcome.ts';

const t = useTestDatabase();
const TABLES = ['trending_topics', 'trend_observations', 'system_events'] as const;

const badValues: Record<string, readonly string[]> = {
  topic: ['ab', '!!!', 'x'.repeat(201), 'a NUL \u0000 topic here'],
  niche: ['no_such_niche', ''],
  source: ['Bad Source', '', '9lives'],
  source_url: ['ftp://x.io/a', 'not a url', 'javascript:alert(1)'],
  source_group: ['g'.repeat(101)],
  engagement: ['-1', 'NaN', 'abc', '1e309', 'Infinity'],
  overperformance_ratio: ['-2', 'x'],
  published_at: ['yesterday', '2026-13-45', '2999-01-01T00:00:00Z', '2000-01-01T00:00:00Z', '12/31/2025'],
};

let run = 0;
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
function validTable(rows: number): Table {
  const id = `${process.pid}_${++run}`;
  return {
    header: [
      'topic',
      'niche',
      'source',
      'source_url',
      'source_group',
      'engagement',
      'overperformance_ratio',
      'published_at',
    ],
    rows: Array.from({ length: rows }, (_, i) => [
      `fuzz topic ${id} number ${i}, "quoted"`,
      i % 2 ? 'motivation' : 'personal_finance',
      'manual',
      `https://example.com/${id}/${i}`,
      '',
      String(100 + i),
      i % 2 ? '' : '1.5',
      hourAgo(),
    ]),
  };
}

const importText = (text: string, format: ImportFormat) =>
  importTrends({ db: t.db, settings: defaultTrendsSettings, actor: 'fuzz' }, text, {
    source: `trends.${format}`,
    format,
  });

describe('trends import with malformed CSV files', () => {
  fuzzCsvImporter({
    command: ['trends', 'import'],
    extension: '.csv',
    pool: () => t.pool,
    env: () => ({ DATABASE_URL: t.url }),
    tables: TABLES,
    badValues,
    validTable,
    importFile: (bytes) => importText(asReadByCli(bytes), 'csv'),
    expectWritten: (result, delta) => {
      expect(delta.trending_topics).toBe(result.created);
      expect(delta.system_events).toBe(1);
    },
  });
});

// JSON: the rows of a valid table as objects, then damaged as JSON goes wrong.
type JsonDamage =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'odd value'; row: number; key: number; value: unknown }
  | { kind: 'unknown key'; row: number }
  | { kind: 'not an object'; row: number; value: unknown }
  | { kind: 'not an array'; value: unknown }
  | { kind: 'nul escape'; row: number }
  | { kind: 'garbage'; text: string };

const index = fc.integer({ min: 0, max: 999 });
const oddJson = fc.oneof(
  fc.constantFrom(null, true, -1, 1e308, Number.MAX_SAFE_INTEGER, '', ' ', '\u0000', 'x'.repeat(3000)),
  fc.string({ maxLength: 20 }),
  fc.double(),
  fc.array(fc.nat(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.nat(), { maxKeys: 2 }),
);
const jsonDamageArb: fc.Arbitrary<JsonDamage> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('truncate' as const), at: index }),
  fc.record({ kind: fc.constant('odd value' as const), row: index, key: index, value: oddJson }),
  fc.record({ kind: fc.constant('unknown key' as const), row: index }),
  fc.record({ kind: fc.constant('not an object' as const), row: index, value: oddJson }),
  fc.record({ kind: fc.constant('not an array' as const), value: oddJson }),
  fc.record({ kind: fc.constant('nul escape' as const), row: index }),
  fc.record({ kind: fc.constant('garbage' as const), text: fc.string({ maxLength: 30 }) }),
);

function jsonFile(table: Table, d: JsonDamage, pretty: boolean): string {
  const rows: unknown[] = table.rows.map((r) =>
    Object.fromEntries(table.header.map((h, i) => [h, r[i]]).filter(([, v]) => v !== '')),
  );
  const pick = (n: number) => Math.min(rows.length - 1, Math.floor((n / 1000) * rows.length));
  const stringify = (v: unknown) => JSON.stringify(v, null, pretty ? 2 : undefined);
  if (rows.length > 0) {
    if (d.kind === 'odd value') {
      const row = rows[pick(d.row)] as Record<string, unknown>;
      row[table.header[Math.floor((d.key / 1000) * table.header.length)]!] = d.value;
    }
    if (d.kind === 'unknown key') (rows[pick(d.row)] as Record<string, unknown>).views = 10;
    if (d.kind === 'not an object') rows[pick(d.row)] = d.value;
    if (d.kind === 'nul escape') (rows[pick(d.row)] as Record<string, unknown>).topic = 'nul \u0000 in it';
  }
  if (d.kind === 'not an array') return stringify(d.value);
  if (d.kind === 'garbage') return d.text;
  const text = stringify(rows);
  return d.kind === 'truncate' ? text.slice(0, Math.floor((d.at / 1000) * text.length)) : text;
}

describe('trends import with malformed JSON files', () => {
  it('refuses every damaged file clearly, writing nothing, or imports it whole', async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        jsonDamageArb,
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        async (d, rows, pretty) => {
          const text = jsonFile(validTable(rows), d, pretty);
          const before = await rowCounts(t.pool, TABLES);
          const outcome = await outcomeOf(() => importText(text, 'json'));
          const delta = deltaOf(before, await rowCounts(t.pool, TABLES));
          const key = outcome.ok ? 'imported' : 'refused';
          seen[key] = (seen[key] ?? 0) + 1;
          if (outcome.ok) {
            expect(delta.trending_topics).toBe(outcome.value.created);
            expect(outcome.value.rows).toBe(rows);
            return;
          }
          const error = expectClearRefusal(outcome.error, physicalLines(text) + 1);
          expect(delta, error.message).toEqual({
            trending_topics: 0,
            trend_observations: 0,
            system_events: 0,
          });
          if (d.kind === 'none' && rows > 0) throw error;
        },
      ),
      fuzzParams(120),
    );
    console.log('trends import (JSON): damaged files', seen);
    expect(seen.imported).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 120_000);

  it('sovi trends import exits 0 or 2 on damaged JSON, never a stack', async () => {
    const dir = await tempDir('trends-json');
    const cases = fc.sample(fc.tuple(jsonDamageArb, fc.integer({ min: 1, max: 3 }), fc.boolean()), {
      numRuns: 3,
      seed: Number(process.env.FUZZ_SEED ?? 8),
    });
    for (const [i, [d, rows, pretty]] of cases.entries()) {
      const file = path.join(dir, `case-${i}.json`);
      await fs.writeFile(file, jsonFile(validTable(rows), d, pretty));
      const before = await rowCounts(t.pool, TABLES);
      const result = await runSovi(['trends', 'import', file], { DATABASE_URL: t.url });
      expectCliSettled(result);
      if (result.code !== 0)
        expect(deltaOf(before, await rowCounts(t.pool, TABLES)), result.stderr).toEqual({
          trending_topics: 0,
          trend_observations: 0,
          system_events: 0,
        });
    }
  }, 120_000);
});
