// Snapshot ingestion: files and batches, idempotent, with every bad row named by line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import {
  defaultIngestSettings,
  ingestSnapshotFile,
  ingestSnapshots,
} from '../../src/metrics/snapshot-ingest.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-ingest-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

let dist: string;
let account: string;
let otherAccount: string;
beforeEach(async () => {
  await t.pool.query(
    'DELETE FROM metric_snapshots; DELETE FROM metric_rollup_changes; DELETE FROM system_events',
  );
  const d = await factories.distribution(t.pool);
  dist = String(d.id);
  account = String(d.account_id);
  otherAccount = String((await factories.account(t.pool)).id);
});

const stored = async () =>
  (
    await t.pool.query(
      `SELECT time, distribution_id, account_id, views, likes, comments, shares, saves, completion_rate,
              engagement_rate, follower_count_at
       FROM metric_snapshots ORDER BY time`,
    )
  ).rows;

describe('importing a CSV file', () => {
  it('stores each row, fills account_id from the distribution and computes a missing engagement rate', async () => {
    const csv = file(
      'ok.csv',
      `time,distribution_id,views,likes,comments,shares,saves,engagement_rate,follower_count_at
2026-05-01T10:00:00Z,${dist},1000,50,10,5,5,,1200
2026-05-01 11:00:00,${dist},2000,100,20,,,0.5,1250
2026-05-01T14:00:00+02:00,${dist},0,0,0,0,0,,
`,
    );
    const report = await ingestSnapshotFile(t.pool, csv, defaultIngestSettings);
    expect(report).toMatchObject({ rows: 3, inserted: 3, duplicates: 0, skipped: [] });
    const rows = await stored();
    expect(rows.map((r) => r.time.toISOString())).toEqual([
      '2026-05-01T10:00:00.000Z',
      '2026-05-01T11:00:00.000Z', // no offset: UTC
      '2026-05-01T12:00:00.000Z', // +02:00
    ]);
    const byViews = Object.fromEntries(rows.map((r) => [r.views, r]));
    expect(byViews[1000]).toMatchObject({
      account_id: account,
      engagement_rate: 0.07,
      follower_count_at: 1200,
    });
    expect(byViews[2000]).toMatchObject({ engagement_rate: 0.5 }); // given: kept
    expect(byViews[0]).toMatchObject({ engagement_rate: null }); // no views: no rate
  });

  it('changes nothing when the same file comes again', async () => {
    const csv = file(
      'replay.csv',
      `time,distribution_id,views\n2026-05-01T10:00:00Z,${dist},10\n2026-05-01T11:00:00Z,${dist},20\n`,
    );
    await ingestSnapshotFile(t.pool, csv, defaultIngestSettings);
    const before = await stored();
    const again = await ingestSnapshotFile(t.pool, csv, defaultIngestSettings);
    expect(again).toMatchObject({ rows: 2, inserted: 0, duplicates: 2 });
    expect(await stored()).toEqual(before);
  });

  it('keeps one row of a key that appears twice in the file, the first', async () => {
    const csv = file(
      'twice.csv',
      `time,distribution_id,views\n2026-05-01T10:00:00Z,${dist},1\n2026-05-01T11:00:00Z,${dist},2\n2026-05-01T10:00:00Z,${dist},3\n`,
    );
    const report = await ingestSnapshotFile(t.pool, csv, defaultIngestSettings);
    expect(report).toMatchObject({ rows: 3, inserted: 2, duplicates: 1 });
    expect((await stored()).map((r) => r.views)).toEqual([1, 2]);
  });

  it('stores each row once when two imports of the same rows race', async () => {
    const lines = Array.from(
      { length: 2_000 },
      (_, i) => `${new Date(Date.UTC(2026, 4, 1) + i * 60_000).toISOString()},${dist},${i}`,
    );
    const csv = file('race.csv', `time,distribution_id,views\n${lines.join('\n')}\n`);
    const reports = await Promise.all(
      [1, 2, 3].map(() => ingestSnapshotFile(t.pool, csv, defaultIngestSettings)),
    );
    expect(reports.reduce((n, r) => n + r.inserted, 0)).toBe(2_000);
    expect(reports.every((r) => r.inserted + r.duplicates === 2_000)).toBe(true);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM metric_snapshots')).rows[0].n).toBe(2_000);
  });

  it('refuses the whole file and names every bad row by line', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const csv = file(
      'bad.csv',
      `time,distribution_id,account_id,views,likes,completion_rate
2026-05-01T10:00:00Z,${dist},,10,1,0.5
2026-05-01T11:00:00Z,${missing},,10,1,0.5
2026-05-01T12:00:00Z,${dist},,-3,1,0.5
2026-05-01T13:00:00Z,${dist},,10,1,1.5
2099-01-01T00:00:00Z,${dist},,10,1,0.5
yesterday-ish,${dist},,ten,1,0.5
2026-05-01T14:00:00Z,${dist},${otherAccount},10,1,0.5
`,
    );
    const err = await ingestSnapshotFile(t.pool, csv, defaultIngestSettings).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SoviError);
    const issues = (err as SoviError).details.issues!;
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [3, 'distribution_id'],
      [4, 'views'],
      [5, 'completion_rate'],
      [6, 'time'],
      [7, 'time'],
      [7, 'views'],
      [8, 'account_id'],
    ]);
    expect((err as SoviError).message).toContain('line 3: distribution_id: no distribution');
    expect((err as SoviError).message).toContain('nothing was imported');
    expect(await stored()).toEqual([]);
  });

  it('with skip, stores the good rows and reports and records the bad ones', async () => {
    const csv = file(
      'skip.csv',
      `time,distribution_id,views\n2026-05-01T10:00:00Z,${dist},10\n2026-05-01T11:00:00Z,${dist},-1\n2026-05-01T12:00:00Z,${dist},30\n`,
    );
    const report = await ingestSnapshotFile(t.pool, csv, { ...defaultIngestSettings, onBadRows: 'skip' });
    expect(report).toMatchObject({ rows: 3, inserted: 2, duplicates: 0 });
    expect(report.skipped).toEqual([
      { line: 3, field: 'views', message: 'views: must not be negative, got -1' },
    ]);
    expect((await stored()).map((r) => r.views)).toEqual([10, 30]);
    const { rows } = await t.pool.query(`SELECT severity, event_type, message FROM system_events`);
    expect(rows).toEqual([
      expect.objectContaining({ severity: 'warning', event_type: 'metrics_rows_skipped' }),
    ]);
    expect(rows[0].message).toContain('lines 3');
  });

  it('refuses a header with unknown or missing columns before reading any row', async () => {
    const csv = file('header.csv', `time,view,likes\n2026-05-01T10:00:00Z,1,2\n`);
    await expect(ingestSnapshotFile(t.pool, csv, defaultIngestSettings)).rejects.toThrow(
      /line 1: unknown column "view"; missing column "distribution_id"/,
    );
  });

  it('names the line of a row COPY cannot read', async () => {
    const csv = file(
      'short.csv',
      `time,distribution_id,views\n2026-05-01T10:00:00Z,${dist},1\n2026-05-01T11:00:00Z\n`,
    );
    await expect(ingestSnapshotFile(t.pool, csv, defaultIngestSettings)).rejects.toThrow(
      /line 3: expected 3 fields \(as the header has\), got 1/,
    );
  });

  it('reads on after a line COPY cannot read, naming every bad line, and with skip stores the good ones', async () => {
    const text = [
      'time,distribution_id,views', // 1
      `2026-05-01T10:00:00Z,${dist},1`,
      `2026-05-01T11:00:00Z,"${dist},2`, // 3: an unterminated quote
      `2026-05-01T12:00:00Z,${dist},3`,
      `2026-05-01T13:00:00Z,${dist},4,surplus`, // 5: an extra column
      `2026-05-01T14:00:00Z,${dist},5`,
      `2026-05-01T15:00:00Z,${dist},-7`, // 7: a bad value
      `2026-05-01T16:00:00Z,${dist},"8"`,
    ].join('\n');
    const csv = file('broken.csv', `${text}\n`);
    const error = (await ingestSnapshotFile(t.pool, csv, defaultIngestSettings).catch(
      (e: unknown) => e,
    )) as SoviError;
    expect(error).toBeInstanceOf(SoviError);
    expect(error.code).toBe('invalid_input');
    expect(error.details.issues?.map((i) => [i.line, i.field])).toEqual([
      [3, undefined],
      [5, undefined],
      [7, 'views'],
    ]);
    expect(error.message).toMatch(/3 bad row\(s\); nothing was imported/);
    expect(error.message).toMatch(/line 3: not valid CSV: a quote \("\) opens a field that is never closed/);
    expect(error.message).toMatch(/line 5: expected 3 fields \(as the header has\), got 4/);
    expect(await stored()).toEqual([]);

    const report = await ingestSnapshotFile(t.pool, csv, { ...defaultIngestSettings, onBadRows: 'skip' });
    expect(report).toMatchObject({ rows: 7, inserted: 4, duplicates: 0, skippedRows: 3 });
    expect(report.skipped.map((i) => i.line)).toEqual([3, 5, 7]);
    expect((await stored()).map((r) => r.views)).toEqual([1, 3, 5, 8]);
  });

  it('names a line that is not UTF-8 among the others, in an NDJSON file too', async () => {
    const nd = path.join(dir, 'latin1.ndjson');
    fs.writeFileSync(
      nd,
      Buffer.concat([
        Buffer.from(`{"time":"2026-05-01T10:00:00Z","distribution_id":"${dist}","views":1}\n`),
        Buffer.from(`{"time":"2026-05-01T11:00:00Z","distribution_id":"${dist}","views":2,"x":"caf`),
        Buffer.from([0xe9]),
        Buffer.from(`"}\n{"time":"2026-05-01T12:00:00Z","distribution_id":"${dist}","views":-3}\n`),
      ]),
    );
    const error = (await ingestSnapshotFile(t.pool, nd, defaultIngestSettings).catch(
      (e: unknown) => e,
    )) as SoviError;
    expect(error.details.issues?.map((i) => i.line)).toEqual([2, 3]);
    expect(error.message).toMatch(/line 2: the line is not valid UTF-8/);
  });

  it('logs the hours it touched for the rollup refresh', async () => {
    const csv = file(
      'hours.csv',
      `time,distribution_id,views\n2026-05-01T10:05:00Z,${dist},1\n2026-05-01T10:55:00Z,${dist},2\n2026-05-01T12:00:00Z,${dist},3\n`,
    );
    await ingestSnapshotFile(t.pool, csv, defaultIngestSettings);
    const { rows } = await t.pool.query(`SELECT hour, rows::int FROM metric_rollup_changes ORDER BY hour`);
    expect(rows.map((r) => [r.hour.toISOString(), r.rows])).toEqual([
      ['2026-05-01T10:00:00.000Z', 2],
      ['2026-05-01T12:00:00.000Z', 1],
    ]);
  });
});

describe('importing NDJSON and batches', () => {
  it('reads one object per line, numbers or strings, skipping blank lines', async () => {
    const nd = file(
      'ok.ndjson',
      [
        JSON.stringify({ time: '2026-05-01T10:00:00Z', distribution_id: dist, views: 100, likes: 10 }),
        '',
        JSON.stringify({
          time: '2026-05-01T11:00:00Z',
          distribution_id: dist,
          views: '200',
          completion_rate: 0.25,
        }),
      ].join('\n'),
    );
    const report = await ingestSnapshotFile(t.pool, nd, defaultIngestSettings);
    expect(report).toMatchObject({ rows: 2, inserted: 2 });
    expect((await stored()).map((r) => [r.views, r.engagement_rate, r.completion_rate])).toEqual([
      [100, 0.1, null],
      [200, 0, 0.25],
    ]);
  });

  it('names bad lines: broken JSON, not an object, unknown fields, bad values', async () => {
    const nd = file(
      'bad.ndjson',
      [
        JSON.stringify({ time: '2026-05-01T10:00:00Z', distribution_id: dist, views: 1 }),
        '{"time": "2026-05-01T11:00:00Z", ',
        '[1, 2]',
        JSON.stringify({ time: '2026-05-01T12:00:00Z', distribution_id: dist, veiws: 3 }),
        JSON.stringify({ time: '2026-05-01T13:00:00Z', distribution_id: dist, likes: 1.5 }),
      ].join('\n'),
    );
    const err = (await ingestSnapshotFile(t.pool, nd, defaultIngestSettings).catch(
      (e: unknown) => e,
    )) as SoviError;
    expect(err.details.issues!.map((i) => [i.line, i.message.slice(0, 20)])).toEqual([
      [2, 'not valid JSON'],
      [3, 'expected a JSON obje'],
      [4, 'unknown field(s) vei'],
      [5, 'likes: expected a wh'],
    ]);
    expect(await stored()).toEqual([]);
  });

  it('takes a batch of objects, numbering items from 1', async () => {
    const report = await ingestSnapshots(
      t.pool,
      [
        { time: '2026-05-01T10:00:00Z', distribution_id: dist, views: 5 },
        { time: '2026-05-01T11:00:00Z', distribution_id: dist, views: 6 },
      ],
      defaultIngestSettings,
    );
    expect(report).toMatchObject({ source: 'batch', rows: 2, inserted: 2 });
    const err = (await ingestSnapshots(
      t.pool,
      [
        { time: '2026-05-01T12:00:00Z', distribution_id: dist },
        { distribution_id: dist, views: 1 },
      ],
      defaultIngestSettings,
    ).catch((e: unknown) => e)) as SoviError;
    expect(err.details.issues).toEqual([{ line: 2, field: 'time', message: 'time: required' }]);
    expect((await stored()).length).toBe(2);
  });
});
