// `sovi metrics import` (CSV and NDJSON) and the batch ingest API under malformed input: a clear refusal naming
// the line (and field), nothing written, never a crash or a 500; with --skip-bad (onBadRows 'skip') exactly the
// good rows are written and the bad ones reported.
import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { fuzzParams } from '../helpers/fuzz.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotColumns } from '../../src/metrics/snapshot-format.ts';
import {
  defaultIngestSettings,
  ingestSnapshotFile,
  type IngestSettings,
} from '../../src/metrics/snapshot-ingest.ts';
import { runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { bearer, startTestApp, type TestApp } from '../http/helpers.ts';
import { mixedFile, mixedPlanArb, physicalLines, type MixedPlan, type Table } from './csv-files.ts';
import { fuzzCsvImporter } from './importer-harness.ts';
import {
  deltaOf,
  expectBadRowsNamed,
  expectClearRefusal,
  expectCliRefusal,
  outcomeOf,
  rowCounts,
  tempDir,
} from './outcome.ts';

const t = useTestDatabase();
const TABLES = ['metric_snapshots', 'metric_rollup_changes', 'system_events'] as const;
const unchanged = { metric_snapshots: 0, metric_rollup_changes: 0, system_events: 0 };
const MISSING = '00000000-0000-4000-8000-000000000000';

let dir: string;
const dists: string[] = [];
let otherAccount = '';
let api: TestApp;
beforeAll(async () => {
  dir = await tempDir('metrics');
  for (let i = 0; i < 3; i++) dists.push(String((await factories.distribution(t.pool)).id));
  otherAccount = String((await factories.account(t.pool)).id);
  badValues.account_id = [otherAccount, 'zzz'];
  api = await startTestApp(t);
});
afterAll(() => api?.close());

const badValues: Record<string, readonly string[]> = {
  time: ['yesterday', '2026-13-45T00:00:00Z', '2999-01-01T00:00:00Z', ''],
  distribution_id: ['not-a-uuid', MISSING, ''],
  views: ['-1', 'NaN', '1.5', '99999999999', 'abc', '1e3'],
  likes: ['-3', 'x'],
  comments: ['0x10'],
  shares: ['٣'],
  saves: ['2147483648'],
  completion_rate: ['1.5', '-0.1', 'NaN', 'abc', 'Infinity'],
  engagement_rate: ['2', '1e400'],
  // (A NUL byte fails the COPY itself: the whole file is refused naming the line, not the field; the
  // damaged-file property covers it.)
  follower_count_at: ['-5'],
};

// Unique (distribution, time) keys across runs: minutes counting back from an hour ago.
let minute = 0;
const nextTime = () => new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000 - ++minute * 60_000);

function validTable(rows: number): Table {
  return {
    header: [...snapshotColumns],
    rows: Array.from({ length: rows }, (_, i) => [
      nextTime().toISOString(),
      dists[i % dists.length]!,
      '',
      String(100 * i),
      String(i),
      '1',
      '',
      '0',
      i % 2 ? '0.5' : '',
      '',
      String(1000 + i),
    ]),
  };
}

let files = 0;
async function fileOf(bytes: Buffer | string, extension: string): Promise<string> {
  const file = path.join(dir, `f-${++files}${extension}`);
  await fs.writeFile(file, bytes);
  return file;
}
const importBytes = async (bytes: Buffer | string, settings: IngestSettings = defaultIngestSettings) =>
  ingestSnapshotFile(t.pool, await fileOf(bytes, '.csv'), settings);

const withoutBlankLines = (plan: MixedPlan): MixedPlan => ({
  ...plan,
  layout: { ...plan.layout, blankLinesAfter: [] },
});

describe('metrics import with malformed CSV files', () => {
  fuzzCsvImporter({
    command: ['metrics', 'import'],
    extension: '.csv',
    pool: () => t.pool,
    env: () => ({ DATABASE_URL: t.url }),
    tables: TABLES,
    badValues,
    validTable,
    importFile: (bytes) => importBytes(bytes),
    expectWritten: (report, delta) => {
      expect(delta.metric_snapshots).toBe(report.inserted);
      expect(report.inserted + report.duplicates).toBe(report.rows);
      expect(delta.system_events).toBe(0);
    },
    runs: { cli: 3 },
    // COPY reads a blank line as a row with missing fields: refused with its line (below), not skipped.
    mixedPlan: withoutBlankLines,
  });

  it('refuses a blank line naming it: COPY cannot skip one', async () => {
    const time = nextTime().toISOString();
    const error = await importBytes(`time,distribution_id,views\n${time},${dists[0]},1\n\n`).then(
      () => expect.unreachable('accepted'),
      (e: unknown) => e,
    );
    expect(expectClearRefusal(error, 4).message).toMatch(/line 3: an empty line/);
  });

  it('refuses the times PostgreSQL reads but people do not mean: yesterday, epoch, -infinity', async () => {
    for (const word of ['yesterday', 'epoch', '-infinity', 'now']) {
      const error = await importBytes(`time,distribution_id,views\n${word},${dists[0]},1\n`).then(
        () => expect.unreachable(`accepted ${word}`),
        (e: unknown) => e,
      );
      expect(expectClearRefusal(error, 2).message).toMatch(/line 2: time: expected an ISO 8601 time/);
    }
  });

  it('with skip, writes exactly the good rows and reports exactly the bad ones', async () => {
    await fc.assert(
      fc.asyncProperty(mixedPlanArb, async (generated) => {
        const plan = withoutBlankLines(generated);
        const file = mixedFile(validTable(plan.rows), plan, badValues);
        const before = await rowCounts(t.pool, TABLES);
        const report = await importBytes(file.text, { ...defaultIngestSettings, onBadRows: 'skip' });
        const delta = deltaOf(before, await rowCounts(t.pool, TABLES));
        expect(report.inserted).toBe(file.goodRows);
        expect(delta.metric_snapshots).toBe(file.goodRows);
        expect(report.skippedRows).toBe(file.bad.length);
        expect([...new Set(report.skipped.map((s) => s.line))]).toEqual(file.bad.map((b) => b.line));
        for (const b of file.bad)
          expect(report.skipped.some((s) => s.line === b.line && s.field === b.field)).toBe(true);
        expect(delta.system_events).toBe(file.bad.length > 0 ? 1 : 0); // The skip is never silent.
      }),
      fuzzParams(80),
    );
  }, 120_000);

  it('sovi metrics import --skip-bad imports the good rows and names the bad ones; without it, nothing', async () => {
    const times = [nextTime(), nextTime(), nextTime()].map((d) => d.toISOString());
    const text = `time,distribution_id,views\r\n${times[0]},${dists[0]},1\r\n${times[1]},${dists[0]},-1\r\n${times[2]},${MISSING},3\r\n`;
    const file = await fileOf(text, '.csv');
    const before = await rowCounts(t.pool, TABLES);
    const refused = await runSovi(['metrics', 'import', file], { DATABASE_URL: t.url });
    expectCliRefusal(refused);
    expect(refused.stderr).toMatch(/line 3: views: must not be negative/);
    expect(refused.stderr).toMatch(/line 4: distribution_id: no distribution/);
    expect(await rowCounts(t.pool, TABLES)).toEqual(before);
    const skipped = await runSovi(['metrics', 'import', file, '--skip-bad', '--json'], {
      DATABASE_URL: t.url,
    });
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ inserted: 1, skippedRows: 2 });
    expect(deltaOf(before, await rowCounts(t.pool, TABLES))).toMatchObject({
      metric_snapshots: 1,
      system_events: 1,
    });
  });
});

// NDJSON: one object per line, damaged as such files go wrong.
const oddJson = fc.oneof(
  fc.constantFrom(
    null,
    true,
    -1,
    1e308,
    2 ** 31,
    '',
    ' ',
    '\u0000',
    'x'.repeat(3000),
    '2999-01-01T00:00:00Z',
  ),
  fc.string({ maxLength: 20 }),
  fc.double(),
  fc.array(fc.nat(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.nat(), { maxKeys: 2 }),
);
const lineDamage = fc.oneof(
  fc.record({
    kind: fc.constant('odd value' as const),
    key: fc.constantFrom(...snapshotColumns),
    value: oddJson,
  }),
  fc.record({ kind: fc.constant('unknown key' as const), key: fc.string({ maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('raw' as const),
    text: fc.oneof(
      fc.string({ maxLength: 30 }),
      oddJson.map((v) => JSON.stringify(v) ?? ''),
    ),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: 999 }) }),
  fc.record({ kind: fc.constant('blank' as const), text: fc.constantFrom('', '  ', '\t') }),
);

type LineDamage = typeof lineDamage extends fc.Arbitrary<infer D> ? D : never;

function ndjson(rows: number, damages: { row: number; damage: LineDamage }[], eol: string): string {
  const docs = validTable(rows).rows.map((r) =>
    Object.fromEntries(snapshotColumns.map((c, i) => [c, r[i]]).filter(([, v]) => v !== '')),
  );
  const lines = docs.map((d) => JSON.stringify(d));
  for (const { row, damage } of damages) {
    if (lines.length === 0) break;
    const i = row % lines.length;
    if (damage.kind === 'odd value') lines[i] = JSON.stringify({ ...docs[i], [damage.key]: damage.value });
    if (damage.kind === 'unknown key') lines[i] = JSON.stringify({ ...docs[i], [`x${damage.key}`]: 1 });
    if (damage.kind === 'raw') lines[i] = damage.text.replace(/[\r\n]/g, ' ');
    if (damage.kind === 'truncate')
      lines[i] = lines[i]!.slice(0, Math.floor((damage.at / 1000) * lines[i]!.length));
    if (damage.kind === 'blank') lines[i] = damage.text;
  }
  return lines.join(eol) + eol;
}

describe('metrics import with malformed NDJSON files and batches', () => {
  const damagesArb = fc.array(fc.record({ row: fc.nat(), damage: lineDamage }), { maxLength: 3 });

  it('refuses every damaged NDJSON file clearly, writing nothing, or imports it whole', async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        damagesArb,
        fc.constantFrom('\n', '\r\n'),
        async (rows, damages, eol) => {
          const text = ndjson(rows, damages, eol);
          const before = await rowCounts(t.pool, TABLES);
          const outcome = await outcomeOf(async () =>
            ingestSnapshotFile(t.pool, await fileOf(text, '.ndjson'), defaultIngestSettings),
          );
          const delta = deltaOf(before, await rowCounts(t.pool, TABLES));
          const key = outcome.ok ? 'imported' : 'refused';
          seen[key] = (seen[key] ?? 0) + 1;
          if (outcome.ok) {
            expect(delta.metric_snapshots).toBe(outcome.value.inserted);
            return;
          }
          const error = expectClearRefusal(outcome.error, physicalLines(text));
          expect(delta, error.message).toEqual(unchanged);
        },
      ),
      fuzzParams(100),
    );
    console.log('metrics import (NDJSON): damaged files', seen);
    expect(seen.imported).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 120_000);

  it('answers every batch 200 or 400 naming each bad item, never a 500, and writes nothing on a 400', async () => {
    const seen: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        damagesArb,
        fc.constantFrom('reject', 'skip', undefined),
        fc.option(fc.anything({ maxDepth: 2 }), { freq: 8 }),
        async (rows, damages, onBadRows, wholeBody) => {
          const items = ndjson(rows, damages, '\n')
            .trimEnd()
            .split('\n')
            .map((line) => {
              try {
                return JSON.parse(line) as unknown;
              } catch {
                return line; // Not JSON: sent as a string item.
              }
            });
          const body = wholeBody ?? { snapshots: items, ...(onBadRows ? { onBadRows } : {}) };
          const before = await rowCounts(t.pool, TABLES);
          const response = await api.app.inject({
            method: 'POST',
            url: '/api/v1/metrics/snapshots',
            headers: bearer(api.admin.secret),
            payload: body,
          });
          const delta = deltaOf(before, await rowCounts(t.pool, TABLES));
          seen[response.statusCode] = (seen[response.statusCode] ?? 0) + 1;
          // A batch is answered 200 or 400; any other body (not an object, not JSON) some 4xx.
          if (wholeBody === null) expect([200, 400], response.body).toContain(response.statusCode);
          else expect(response.statusCode, response.body).toBeLessThan(500);
          expect(response.statusCode, response.body).toBeGreaterThanOrEqual(200);
          if (response.statusCode >= 400) {
            expect(delta, response.body).toEqual(unchanged);
            const error = response.json<{ error: { message: string; issues?: { line?: number }[] } }>().error;
            if (wholeBody === null) {
              expect(error.message).toMatch(/line \d+/);
              for (const issue of error.issues ?? []) {
                expect(issue.line).toBeGreaterThanOrEqual(1);
                expect(issue.line).toBeLessThanOrEqual(items.length);
              }
            }
          } else {
            const report = response.json<{ inserted: number; skippedRows: number }>();
            expect(delta.metric_snapshots).toBe(report.inserted);
          }
        },
      ),
      fuzzParams(100),
    );
    console.log('POST /api/v1/metrics/snapshots: statuses', seen);
    expect(seen[200]).toBeGreaterThan(0);
    expect(seen[400]).toBeGreaterThan(0);
  }, 120_000);

  it('sovi metrics import refuses damaged NDJSON with exit 2 naming the line', async () => {
    const cases = fc.sample(fc.tuple(fc.integer({ min: 1, max: 3 }), damagesArb), { numRuns: 2, seed: 8 });
    for (const [rows, damages] of cases) {
      const file = await fileOf(ndjson(rows, damages, '\n'), '.ndjson');
      const before = await rowCounts(t.pool, TABLES);
      const result = await runSovi(['metrics', 'import', file], { DATABASE_URL: t.url });
      expect(result.signal).toBeNull();
      if (result.code !== 0) {
        expectCliRefusal(result);
        expect(await rowCounts(t.pool, TABLES)).toEqual(before);
      }
    }
  }, 120_000);
});

describe('a known bad row is named exactly', () => {
  it('in a mixed CSV file', async () => {
    const plan = {
      layout: { eol: '\n' as const, bom: false, quoteAll: false, trailingEol: true, blankLinesAfter: [] },
      rows: 3,
      bad: [{ row: 0.5, column: 0, pick: 0 }],
      broken: [],
    };
    const file = mixedFile(validTable(3), plan, badValues);
    const outcome = await outcomeOf(() => importBytes(file.text));
    expect(outcome.ok).toBe(false);
    expectBadRowsNamed(expectClearRefusal(!outcome.ok && outcome.error, 4), file.bad);
  });

  it('after lines COPY cannot read: a stray quote and an extra field', async () => {
    const plan = {
      layout: { eol: '\r\n' as const, bom: false, quoteAll: true, trailingEol: true, blankLinesAfter: [] },
      rows: 8,
      bad: [{ row: 0.9, column: 0, pick: 0 }],
      broken: [
        { row: 0.1, column: 0.5, kind: 'stray quote' as const },
        { row: 0.5, column: 0, kind: 'extra field' as const },
      ],
    };
    const file = mixedFile(validTable(8), plan, badValues);
    expect(file.bad.map((b) => b.field)).toEqual([undefined, undefined, expect.any(String)]);
    const outcome = await outcomeOf(() => importBytes(file.text));
    expect(outcome.ok).toBe(false);
    expectBadRowsNamed(expectClearRefusal(!outcome.ok && outcome.error, 10), file.bad);
  });
});
