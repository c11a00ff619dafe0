// The SQL of snapshot ingestion (snapshot-ingest.ts tells the story): the staging table the file's bytes are
// COPied into, the transfer that casts and checks the staged rows on the way into metric_snapshots, and the
// diagnosis that names every bad row. Functions take the pg client itself, not an Executor: COPY streams
// need it, and the staging table is the session's own.
import type pg from 'pg';
import {
  from as copyFrom,
  to as copyTo,
  type CopyStreamQuery,
  type CopyToStreamQuery,
} from 'pg-copy-streams';
import { countColumns, rateColumns, snapshotColumns, type StagedFormat } from './snapshot-format.ts';

const STAGE = 'metric_ingest_stage';
const BAD = 'metric_ingest_bad';

/** engagement_rate when a row has none: ENGAGEMENT_FORMULA (snapshot-format.ts). */
const ENGAGEMENT_RATE_SQL = `CASE WHEN v.views > 0 THEN LEAST(1, (COALESCE(v.likes, 0) + COALESCE(v.comments, 0)
  + COALESCE(v.shares, 0) + COALESCE(v.saves, 0))::float8 / v.views) END`;

/** metric_snapshots' columns, which a file's columns are named after. */
const targetColumns = snapshotColumns;

/** An import is deliberate long work: no statement timeout. Times without an offset are UTC. */
export async function prepareStagingSession(staging: pg.PoolClient): Promise<void> {
  await staging.query(`SET LOCAL statement_timeout = 0; SET LOCAL TimeZone = 'UTC'`);
}

export async function createStage(staging: pg.PoolClient, format: StagedFormat): Promise<void> {
  const columns = format.kind === 'csv' ? snapshotColumns.map((c) => `${c} text`).join(', ') : 'doc text';
  // Temporary: no WAL, no other session sees it, gone at commit. The identity numbers rows in file order.
  await staging.query(
    `CREATE TEMP TABLE ${STAGE} (line bigint GENERATED ALWAYS AS IDENTITY, ${columns}) ON COMMIT DROP`,
  );
}

/** The COPY that fills the staging table: write the file's (or batch's) bytes into it. */
export function stageCopy(staging: pg.PoolClient, format: StagedFormat): CopyStreamQuery {
  // One line, one field, taken verbatim: valid JSON cannot contain the control characters chosen as quote
  // and delimiter, so no character of a line is special. An empty line arrives as NULL.
  const statement =
    format.kind === 'csv'
      ? `COPY ${STAGE} (${format.columns.join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true)`
      : `COPY ${STAGE} (doc) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;
  return staging.query(copyFrom(statement));
}

/** Staged rows (NDJSON's blank lines are not rows). */
export async function countStaged(staging: pg.PoolClient, format: StagedFormat): Promise<number> {
  const { rows } = await staging.query<{ n: string }>(
    format.kind === 'csv'
      ? `SELECT count(*) AS n FROM ${STAGE}`
      : `SELECT count(*) AS n FROM ${STAGE} WHERE doc IS NOT NULL AND btrim(doc) <> ''`,
  );
  return Number(rows[0]!.n);
}

/** A failed transfer is undone on the staging session back to here, and the staged rows stay. */
export async function markTransfer(staging: pg.PoolClient): Promise<void> {
  await staging.query('SAVEPOINT metric_transfer');
}

export async function undoTransfer(staging: pg.PoolClient): Promise<void> {
  await staging.query('ROLLBACK TO SAVEPOINT metric_transfer');
}

/** The writer's COPY into metric_snapshots; its rowCount is the rows inserted. */
export async function snapshotSink(writer: pg.PoolClient): Promise<CopyStreamQuery> {
  await writer.query(`SET LOCAL statement_timeout = 0`);
  return writer.query(copyFrom(`COPY metric_snapshots (${targetColumns.join(', ')}) FROM STDIN`));
}

/**
 * The staged rows as metric_snapshots rows, streamed out in COPY's text format (see transferStatement); a row
 * breaking a rule fails the stream.
 */
export function transferSource(
  staging: pg.PoolClient,
  format: StagedFormat,
  toleranceSeconds: number,
  dedupe: boolean,
): CopyToStreamQuery {
  return staging.query(copyTo(`COPY (${transferStatement(format, toleranceSeconds, dedupe)}) TO STDOUT`));
}

/**
 * Names every problem of every staged row into a temporary table on the server (a file of a million bad rows
 * must not become a million objects here); returns how many rows have one. Only run once a transfer has
 * failed.
 */
export async function diagnoseStaged(
  staging: pg.PoolClient,
  format: StagedFormat,
  toleranceSeconds: number,
): Promise<number> {
  await staging.query(`CREATE TEMP TABLE ${BAD} ON COMMIT DROP AS ${diagnoseStatement(format)}`, [
    toleranceSeconds,
  ]);
  const { rows } = await staging.query<{ n: string }>(`SELECT count(*) AS n FROM ${BAD}`);
  return Number(rows[0]!.n);
}

/** The first `limit` diagnosed rows, by line. */
export async function diagnosedRows(
  staging: pg.PoolClient,
  limit: number,
): Promise<{ line: number; problems: string[] }[]> {
  const { rows } = await staging.query<{ line: string; problems: string[] }>(
    `SELECT line, problems FROM ${BAD} ORDER BY line LIMIT ${Math.trunc(limit)}`,
  );
  return rows.map((r) => ({ line: Number(r.line), problems: r.problems }));
}

/** Leaves the diagnosed rows out of the stage, so the next transfer takes the good ones only. */
export async function unstageDiagnosed(staging: pg.PoolClient, format: StagedFormat): Promise<void> {
  const offset = format.kind === 'csv' ? 1 : 0;
  await staging.query(`DELETE FROM ${STAGE} WHERE line IN (SELECT line - ${offset} FROM ${BAD})`);
}

/** The staged rows as text columns, with their line numbers (the CSV header is line 1). */
function stagedText(format: StagedFormat, safe: boolean): string {
  if (format.kind === 'csv') {
    const cols = snapshotColumns.map((c) => `nullif(btrim(${c}), '') AS ${c}`).join(', ');
    return `SELECT line + 1 AS line, ${cols}, NULL::jsonb AS j FROM ${STAGE}`;
  }
  const cols = snapshotColumns.map((c) => `nullif(btrim(j ->> '${c}'), '') AS ${c}`).join(', ');
  const parse = safe ? 'metric_ingest_try_jsonb(doc)' : 'doc::jsonb';
  return `SELECT line, ${cols}, j FROM (SELECT line, ${parse} AS j, doc FROM ${STAGE}
          WHERE doc IS NOT NULL AND btrim(doc) <> '') parsed`;
}

const keysSql = `ARRAY[${snapshotColumns.map((c) => `'${c}'`).join(', ')}]`;

/**
 * The staged rows as metric_snapshots rows, for COPY … TO STDOUT (which takes no parameters: the tolerance is
 * an integer from the config). A row breaking a rule the table does not check fails the statement. OFFSET 0
 * keeps the casts from being repeated in every condition that uses them.
 *
 * `dedupe` leaves out rows already stored and repeats within the batch. The first try goes without: most
 * batches are new rows, and probing the unique index row by row while the writer fills it halves the speed.
 * A duplicate then fails the COPY at once (a unique violation), and the next try dedupes.
 */
function transferStatement(format: StagedFormat, toleranceSeconds: number, dedupe: boolean): string {
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
    format.kind === 'json'
      ? `WHEN jsonb_typeof(v.j) <> 'object' OR v.j - ${keysSql} <> '{}'::jsonb THEN metric_ingest_refuse('shape')`
      : '';
  const rows = `
    SELECT v.line, v.time, v.distribution_id, COALESCE(v.account_id, d.account_id) AS account_id, v.views,
           v.likes, v.comments, v.shares, v.saves, v.completion_rate,
           COALESCE(v.engagement_rate, ${ENGAGEMENT_RATE_SQL}) AS engagement_rate, v.follower_count_at
    FROM (SELECT ${casts} FROM (${stagedText(format, false)}) t OFFSET 0) v
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

/** Every problem of every staged row, by line; $1 is the future tolerance in seconds. */
function diagnoseStatement(format: StagedFormat): string {
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
    format.kind === 'json'
      ? `CASE WHEN c.j IS NULL THEN 'not valid JSON'
          WHEN jsonb_typeof(c.j) <> 'object' THEN 'expected a JSON object, got a JSON ' || jsonb_typeof(c.j) END`
      : 'NULL::text';
  const unknown =
    format.kind === 'json'
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
      FROM (${stagedText(format, true)}) c
      CROSS JOIN LATERAL (SELECT CASE WHEN c.time ~ ${ISO_TIME} THEN metric_ingest_try_timestamptz(c.time) END AS value) ts
      LEFT JOIN distributions d
        ON d.id = CASE WHEN c.distribution_id ~ ${UUID} THEN c.distribution_id::uuid END
    ) checked
    WHERE json_problem IS NOT NULL OR cardinality(problems) > 0
    ORDER BY line`;
}
