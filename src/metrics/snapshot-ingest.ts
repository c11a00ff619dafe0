// Metric snapshot ingestion: files (CSV, NDJSON) and batches from the API, through one path.
//
// No row is parsed in JavaScript (that is what limits a COPY from Node, at about 150k rows/s against the
// server's 300k+). Two sessions work together:
//   1. the staging session COPYs the file's bytes into a temporary table of text columns (NDJSON as one
//      text column per line), numbered in file order;
//   2. a `COPY (SELECT …) TO STDOUT` there casts and checks each row, fills account_id from the
//      distribution, computes a missing engagement_rate and leaves out rows already stored, and its output
//      streams untouched into `COPY metric_snapshots FROM STDIN` on the writing session, in the writer's own
//      transaction. COPY inserts in batches, which an INSERT … SELECT does not: measured on PostgreSQL 15,
//      1M rows took 9.7 s by COPY and 20 s by INSERT … SELECT … ON CONFLICT.
// (distribution_id, time) is unique: a replayed batch changes nothing. The first transfer assumes new rows; a
// duplicate (stored before, by a concurrent writer, or twice in the batch) fails it with a unique violation,
// and the transfer runs again leaving out stored rows and repeats (DISTINCT ON, the first occurrence wins).
//
// When any row is bad, the transfer fails as a whole; only then does a second query look at every row with
// safe casts and name each problem by line. A batch is all or nothing by default; with onBadRows 'skip',
// the bad rows are left out, listed in the report, and recorded in a warning event: never silently.
import fs from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { importRefused, type ImportIssue } from '../csv-import.ts';
import { SoviError, invalidInput } from '../errors.ts';
import { withClientTransaction } from '../db/client-transaction.ts';
import { recordEvent } from '../events/events-service.ts';
import { isDataException, isIntegrityViolation, isUniqueViolation } from '../db/pg-errors.ts';

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
export type SnapshotColumn = (typeof snapshotColumns)[number];
const requiredColumns: readonly SnapshotColumn[] = ['time', 'distribution_id'];
const countColumns = ['views', 'likes', 'comments', 'shares', 'saves', 'follower_count_at'] as const;
const rateColumns = ['completion_rate', 'engagement_rate'] as const;

/**
 * engagement_rate, when a row has none: interactions over views, (likes + comments + shares + saves) / views,
 * a missing count counting as 0. NULL without views; at most 1 (interactions can outrun a lagging view count).
 */
export const ENGAGEMENT_FORMULA = '(likes + comments + shares + saves) / views, at most 1';
export const ENGAGEMENT_RATE_SQL = `CASE WHEN v.views > 0 THEN LEAST(1, (COALESCE(v.likes, 0) + COALESCE(v.comments, 0)
  + COALESCE(v.shares, 0) + COALESCE(v.saves, 0))::float8 / v.views) END`;

export interface IngestSettings {
  /** How far ahead of the server's clock a snapshot's time may be (clock skew). */
  futureToleranceSeconds: number;
  /** 'reject': a batch with a bad row writes nothing. 'skip': the good rows go in, the bad are reported. */
  onBadRows: 'reject' | 'skip';
}

export const defaultIngestSettings: IngestSettings = { futureToleranceSeconds: 300, onBadRows: 'reject' };

export interface IngestReport {
  /** The file, or "batch". */
  source: string;
  rows: number;
  inserted: number;
  /** Rows already stored (same distribution and time), left as they were. */
  duplicates: number;
  /** Bad rows left out (onBadRows 'skip'); 0 otherwise. */
  skippedRows: number;
  /** Their problems, for the first 1,000 of them. */
  skipped: ImportIssue[];
  durationMs: number;
}

export type IngestFormat = 'csv' | 'ndjson';

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

/** Imports a CSV (header line naming the columns) or NDJSON (one object per line) file. */
export async function ingestSnapshotFile(
  pool: pg.Pool,
  file: string,
  settings: IngestSettings,
  options: { format?: string; onProgress?: (bytes: number, total: number) => void } = {},
): Promise<IngestReport> {
  const format = formatOf(file, options.format);
  let size: number;
  try {
    size = (await fs.promises.stat(file)).size;
  } catch {
    throw invalidInput('file', `${file}: no such file`);
  }
  const header = format === 'csv' ? await readHeader(file) : undefined;
  const stage: Stage = header ? { kind: 'csv', columns: header } : { kind: 'json' };
  return ingest(pool, file, stage, settings, async (client) => {
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        options.onProgress?.(bytes, size);
        done(null, chunk);
      },
    });
    await pipeline(fs.createReadStream(file), counter, client.query(copyFrom(copyStatement(stage))));
  });
}

/** Imports snapshots given as objects (the API's batches): item N of the array is reported as line N. */
export async function ingestSnapshots(
  pool: pg.Pool,
  rows: readonly unknown[],
  settings: IngestSettings,
): Promise<IngestReport> {
  const stage: Stage = { kind: 'json' };
  return ingest(pool, 'batch', stage, settings, async (client) => {
    // JSON.stringify never emits a raw control character, so a line can never contain the staging
    // format's quote or delimiter (see copyStatement).
    const text = rows.map((row) => JSON.stringify(row ?? null)).join('\n');
    const copy = client.query(copyFrom(copyStatement(stage)));
    await pipeline(async function* () {
      yield Buffer.from(text);
    }, copy);
  });
}

type Stage = { kind: 'csv'; columns: SnapshotColumn[] } | { kind: 'json' };

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
  const problems = [
    ...header
      .filter((h) => !(snapshotColumns as readonly string[]).includes(h))
      .map((c) => `unknown column "${c}"`),
    ...requiredColumns.filter((c) => !header.includes(c)).map((c) => `missing column "${c}"`),
    ...header.filter((h, i) => header.indexOf(h) !== i).map((c) => `column "${c}" appears twice`),
  ];
  if (problems.length > 0) {
    throw new SoviError(
      'invalid_input',
      `${file} line 1: ${problems.join('; ')}. Columns: ${snapshotColumns.join(', ')} (${requiredColumns.join(' and ')} required)`,
      { field: 'header', issues: problems.map((message) => ({ line: 1, message })) },
    );
  }
  return header as SnapshotColumn[];
}

const STAGE = 'metric_ingest_stage';
const BAD = 'metric_ingest_bad';
/** Bad rows named in a report or error; the count covers the rest. */
const REPORTED_ROWS = 1_000;

function createStage(stage: Stage): string {
  const columns = stage.kind === 'csv' ? snapshotColumns.map((c) => `${c} text`).join(', ') : 'doc text';
  // Temporary: no WAL, no other session sees it, gone at commit. The identity numbers rows in file order.
  return `CREATE TEMP TABLE ${STAGE} (line bigint GENERATED ALWAYS AS IDENTITY, ${columns}) ON COMMIT DROP`;
}

function copyStatement(stage: Stage): string {
  if (stage.kind === 'csv')
    return `COPY ${STAGE} (${stage.columns.join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true)`;
  // One line, one field, taken verbatim: valid JSON cannot contain the control characters chosen as quote
  // and delimiter, so no character of a line is special. An empty line arrives as NULL.
  return `COPY ${STAGE} (doc) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;
}

/** The staged rows as text columns, with their line numbers (the CSV header is line 1). */
function stagedText(stage: Stage, safe: boolean): string {
  if (stage.kind === 'csv') {
    const cols = snapshotColumns.map((c) => `nullif(btrim(${c}), '') AS ${c}`).join(', ');
    return `SELECT line + 1 AS line, ${cols}, NULL::jsonb AS j FROM ${STAGE}`;
  }
  const cols = snapshotColumns.map((c) => `nullif(btrim(j ->> '${c}'), '') AS ${c}`).join(', ');
  const parse = safe ? 'metric_ingest_try_jsonb(doc)' : 'doc::jsonb';
  return `SELECT line, ${cols}, j FROM (SELECT line, ${parse} AS j, doc FROM ${STAGE}
          WHERE doc IS NOT NULL AND btrim(doc) <> '') parsed`;
}

const keysSql = `ARRAY[${snapshotColumns.map((c) => `'${c}'`).join(', ')}]`;

const targetColumns = [
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

/**
 * The staged rows as metric_snapshots rows, for COPY … TO STDOUT (which takes no parameters: the tolerance is
 * an integer from the config). A row breaking a rule the table does not check fails the statement. OFFSET 0
 * keeps the casts from being repeated in every condition that uses them.
 *
 * `dedupe` leaves out rows already stored and repeats within the batch. The first try goes without: most
 * batches are new rows, and probing the unique index row by row while the writer fills it halves the speed.
 * A duplicate then fails the COPY at once (a unique violation), and the next try dedupes.
 */
function transferStatement(stage: Stage, toleranceSeconds: number, dedupe: boolean): string {
  const casts = [
    't.line',
    `CASE WHEN t.time ~ ${ISO_TIME} THEN t.time::timestamptz END AS time`,
    't.distribution_id::uuid AS distribution_id',
    't.account_id::uuid AS account_id',
    // Only decimal digits: PostgreSQL 16+ would also read '0x10' or '1_000' as integers (15 does not). Anything
    // else becomes 'x', whose cast fails the transfer, and the diagnosis names it.
    ...countColumns.map(
      (c) => `(CASE WHEN t.${c} IS NULL OR t.${c} ~ ${INTEGER} THEN t.${c} ELSE 'x' END)::integer AS ${c}`,
    ),
    ...rateColumns.map((c) => `t.${c}::float8 AS ${c}`),
    't.j',
  ].join(', ');
  const shape =
    stage.kind === 'json'
      ? `WHEN jsonb_typeof(v.j) <> 'object' OR v.j - ${keysSql} <> '{}'::jsonb THEN metric_ingest_refuse('shape')`
      : '';
  const rows = `
    SELECT v.line, v.time, v.distribution_id, COALESCE(v.account_id, d.account_id) AS account_id, v.views,
           v.likes, v.comments, v.shares, v.saves, v.completion_rate,
           COALESCE(v.engagement_rate, ${ENGAGEMENT_RATE_SQL}) AS engagement_rate, v.follower_count_at
    FROM (SELECT ${casts} FROM (${stagedText(stage, false)}) t OFFSET 0) v
    LEFT JOIN distributions d ON d.id = v.distribution_id
    WHERE CASE
      ${shape}
      WHEN v.time IS NULL OR v.distribution_id IS NULL THEN metric_ingest_refuse('required')
      WHEN d.id IS NULL THEN metric_ingest_refuse('distribution')
      WHEN v.time > now() + make_interval(secs => ${Math.trunc(toleranceSeconds)}) THEN metric_ingest_refuse('future')
      WHEN v.account_id IS NOT NULL AND v.account_id <> d.account_id THEN metric_ingest_refuse('account')
      ELSE true END
      ${
        dedupe
          ? `AND NOT EXISTS (SELECT 1 FROM metric_snapshots m
                             WHERE m.distribution_id = v.distribution_id AND m.time = v.time)`
          : ''
      }`;
  const picked = dedupe
    ? `SELECT DISTINCT ON (distribution_id, time) * FROM (${rows}) r ORDER BY distribution_id, time, line`
    : rows;
  return `SELECT ${targetColumns.join(', ')} FROM (${picked}) p`;
}

/** A time must look like a date: PostgreSQL also reads 'yesterday', 'epoch' or '-infinity' as times. */
const ISO_TIME = `'^[0-9]{4}-[0-9]{2}-[0-9]{2}'`;
const UUID = `'^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$'`;
const INTEGER = `'^[+-]?[0-9]{1,18}$'`;
const NUMBER = `'^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$'`;
const shown = (column: string) => `left(quote_literal(c.${column}), 60)`;

/** Every problem of every staged row, by line (only run once the INSERT has failed). */
function diagnoseStatement(stage: Stage): string {
  const counts = countColumns.map(
    (c) => `CASE WHEN c.${c} IS NULL THEN NULL
      WHEN c.${c} !~ ${INTEGER} THEN '${c}: expected a whole number, got ' || ${shown(c)}
      WHEN c.${c}::numeric < 0 THEN '${c}: must not be negative, got ' || c.${c}
      WHEN c.${c}::numeric > 2147483647 THEN '${c}: too large (at most 2147483647), got ' || c.${c} END`,
  );
  // Compared as numeric: a float8 cast of "1e400" fails the whole diagnosis (out of range).
  const rates = rateColumns.map(
    (c) => `CASE WHEN c.${c} IS NULL THEN NULL
      WHEN c.${c} !~ ${NUMBER} THEN '${c}: expected a number between 0 and 1, got ' || ${shown(c)}
      WHEN c.${c}::numeric < 0 OR c.${c}::numeric > 1 THEN '${c}: must be between 0 and 1, got ' || c.${c} END`,
  );
  const json =
    stage.kind === 'json'
      ? `CASE WHEN c.j IS NULL THEN 'not valid JSON'
          WHEN jsonb_typeof(c.j) <> 'object' THEN 'expected a JSON object, got a JSON ' || jsonb_typeof(c.j) END`
      : 'NULL::text';
  const unknown =
    stage.kind === 'json'
      ? `CASE WHEN jsonb_typeof(c.j) = 'object' AND c.j - ${keysSql} <> '{}'::jsonb
          THEN 'unknown field(s) ' || (SELECT string_agg(quote_ident(k), ', ') FROM jsonb_object_keys(c.j - ${keysSql}) k)
               || '; fields: ${snapshotColumns.join(', ')}' END`
      : 'NULL::text';
  return `
    SELECT line, CASE WHEN json_problem IS NOT NULL THEN ARRAY[json_problem] ELSE problems END AS problems
    FROM (
      SELECT c.line, ${json} AS json_problem, array_remove(ARRAY[
        ${unknown},
        CASE WHEN c.time IS NULL THEN 'time: required'
             WHEN ts.value IS NULL THEN 'time: expected an ISO 8601 time, got ' || ${shown('time')}
             WHEN ts.value > now() + make_interval(secs => $1)
               THEN 'time: ' || c.time || ' is in the future (more than ' || $1 || ' s ahead of the server clock)' END,
        CASE WHEN c.distribution_id IS NULL THEN 'distribution_id: required'
             WHEN c.distribution_id !~ ${UUID} THEN 'distribution_id: expected a UUID, got ' || ${shown('distribution_id')}
             WHEN d.id IS NULL THEN 'distribution_id: no distribution ' || c.distribution_id END,
        CASE WHEN c.account_id IS NULL THEN NULL
             WHEN c.account_id !~ ${UUID} THEN 'account_id: expected a UUID, got ' || ${shown('account_id')}
             WHEN d.id IS NOT NULL AND c.account_id::uuid <> d.account_id
               THEN 'account_id: ' || c.account_id || ' is not the account of distribution ' || d.id END,
        ${[...counts, ...rates].join(',\n        ')}
      ], NULL) AS problems
      FROM (${stagedText(stage, true)}) c
      CROSS JOIN LATERAL (SELECT CASE WHEN c.time ~ ${ISO_TIME} THEN metric_ingest_try_timestamptz(c.time) END AS value) ts
      LEFT JOIN distributions d
        ON d.id = CASE WHEN c.distribution_id ~ ${UUID} THEN c.distribution_id::uuid END
    ) checked
    WHERE json_problem IS NOT NULL OR cardinality(problems) > 0
    ORDER BY line`;
}

async function ingest(
  pool: pg.Pool,
  source: string,
  stage: Stage,
  settings: IngestSettings,
  load: (client: pg.PoolClient) => Promise<void>,
): Promise<IngestReport> {
  const started = performance.now();
  return withClientTransaction(pool, async (staging) => {
    // An import is deliberate long work: no statement timeout. Times without an offset are UTC.
    await staging.query(`SET LOCAL statement_timeout = 0; SET LOCAL TimeZone = 'UTC'`);
    await staging.query(createStage(stage));
    try {
      await load(staging);
    } catch (err) {
      throw copyRefused(source, err);
    }
    const rows = Number(
      (
        await staging.query<{ n: string }>(
          stage.kind === 'csv'
            ? `SELECT count(*) AS n FROM ${STAGE}`
            : `SELECT count(*) AS n FROM ${STAGE} WHERE doc IS NOT NULL AND btrim(doc) <> ''`,
        )
      ).rows[0]!.n,
    );
    let skipped: ImportIssue[] = [];
    let skippedRows = 0;
    for (let attempt = 1; ; attempt++) {
      await staging.query('SAVEPOINT metric_transfer');
      try {
        const inserted = await withClientTransaction(pool, async (writer, writerDb) => {
          await writer.query(`SET LOCAL statement_timeout = 0`);
          const sink = writer.query(
            copyFrom(`COPY metric_snapshots (${targetColumns.join(', ')}) FROM STDIN`),
          );
          const statement = transferStatement(stage, settings.futureToleranceSeconds, attempt > 1);
          await relay(staging.query(copyTo(`COPY (${statement}) TO STDOUT`)), sink);
          if (skippedRows > 0) {
            const lines = skipped.map((i) => i.line);
            await recordEvent(writerDb, {
              category: 'metrics',
              severity: 'warning',
              eventType: 'metrics_rows_skipped',
              message: `${source}: skipped ${skippedRows} bad row(s) of ${rows} (lines ${[...new Set(lines)].slice(0, 10).join(', ')}${skippedRows > 10 ? ', …' : ''})`,
              context: { source, rows, skipped: skippedRows, issues: skipped.slice(0, 100) },
            });
          }
          return sink.rowCount;
        });
        return {
          source,
          rows,
          inserted,
          duplicates: rows - skippedRows - inserted,
          skippedRows,
          skipped,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (err) {
        await staging.query('ROLLBACK TO SAVEPOINT metric_transfer');
        if (isUniqueViolation(err) && attempt < 3) continue;
        if (skippedRows > 0 || !(isDataException(err) || isIntegrityViolation(err))) throw err;
        // The bad rows stay on the server: a file of a million bad rows must not become a million objects here.
        await staging.query(`CREATE TEMP TABLE ${BAD} ON COMMIT DROP AS ${diagnoseStatement(stage)}`, [
          settings.futureToleranceSeconds,
        ]);
        skippedRows = Number(
          (await staging.query<{ n: string }>(`SELECT count(*) AS n FROM ${BAD}`)).rows[0]!.n,
        );
        // Nothing wrong with any row: the failure was not the data's.
        if (skippedRows === 0) throw err;
        const { rows: bad } = await staging.query<{ line: string; problems: string[] }>(
          `SELECT line, problems FROM ${BAD} ORDER BY line LIMIT ${REPORTED_ROWS}`,
        );
        skipped = bad.flatMap((b) =>
          b.problems.map((message) => ({
            line: Number(b.line),
            field: message.match(/^([a-z_]+):/)?.[1],
            message,
          })),
        );
        if (settings.onBadRows === 'reject') throw importRefused(source, skipped, skippedRows);
        const offset = stage.kind === 'csv' ? 1 : 0;
        await staging.query(`DELETE FROM ${STAGE} WHERE line IN (SELECT line - ${offset} FROM ${BAD})`);
      }
    }
  });
}

/**
 * Streams a COPY TO into a COPY FROM on another session. Unlike pipeline(), a failing writer does not stop the
 * reading: a COPY TO abandoned halfway leaves its session paused mid-protocol, unusable, so the rest of it is
 * read and dropped. A failing reader aborts the writer's COPY (CopyFail).
 */
function relay(source: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined;
    let sourceDone = false;
    let sinkDone = false;
    const settle = () => {
      if (sourceDone && sinkDone) {
        if (error === undefined) resolve();
        else reject(error);
      }
    };
    source.on('data', (chunk: Buffer) => {
      if (error !== undefined) return;
      if (!sink.write(chunk)) {
        source.pause();
        sink.once('drain', () => source.resume());
      }
    });
    source.once('end', () => {
      sourceDone = true;
      if (error === undefined) sink.end();
      settle();
    });
    source.once('error', (err: Error) => {
      error ??= err;
      sourceDone = true;
      if (!sinkDone) sink.destroy(err);
      settle();
    });
    sink.once('finish', () => {
      sinkDone = true;
      settle();
    });
    sink.once('error', (err: Error) => {
      error ??= err;
      sinkDone = true;
      source.resume();
      settle();
    });
    sink.once('close', () => {
      if (sinkDone) return;
      sinkDone = true;
      settle();
    });
  });
}

/** A file COPY could not even read (wrong number of fields, broken quoting): named with its line. */
function copyRefused(source: string, err: unknown): unknown {
  if (!(isDataException(err) || isIntegrityViolation(err))) return err;
  const e = err as { message?: string; where?: string };
  // Only the message: the error's context quotes the row, which may hold anything.
  const line = Number(e.where?.match(/line (\d+)/)?.[1]);
  return importRefused(source, [
    { line: Number.isFinite(line) ? line : 0, message: e.message ?? 'unreadable row' },
  ]);
}
