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
// A file COPY cannot read at all (a broken quote, a line with too many fields) is read again line by line in
// snapshot-lines.ts, on that failure only: its readable lines are staged, and its unreadable ones reported
// with the staged rows' problems, as bad rows like any other.
//
// When any row is bad, the transfer fails as a whole; only then does a second query look at every row with
// safe casts and name each problem by line. A batch is all or nothing by default; with onBadRows 'skip',
// the bad rows are left out, listed in the report, and recorded in a warning event: never silently.
//
// The statements are in snapshot-ingest-repository.ts; the columns and formats in snapshot-format.ts.
import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { importRefused, nulBytePath, type ImportIssue } from '../csv-import.ts';
import { invalidInput } from '../errors.ts';
import { withClientTransaction } from '../db/client-transaction.ts';
import { relayCopy } from '../db/copy-relay.ts';
import { isDataException, isIntegrityViolation, isUniqueViolation } from '../db/pg-errors.ts';
import { recordEvent } from '../events/events-service.ts';
import { formatOf, stagedFormatOf, type StagedFormat } from './snapshot-format.ts';
import { checkedLines, type CheckedLines } from './snapshot-lines.ts';
import {
  countStaged,
  createStage,
  diagnoseStaged,
  diagnosedRows,
  markTransfer,
  prepareStagingSession,
  restageCopy,
  snapshotSink,
  stageCopy,
  transferSource,
  undoStage,
  undoTransfer,
  unstageDiagnosed,
} from './snapshot-ingest-repository.ts';

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

/** Bad rows named in a report or error; the count covers the rest. */
const REPORTED_ROWS = 1_000;

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
  const staged = await stagedFormatOf(file, format);
  return ingest(
    pool,
    file,
    staged,
    settings,
    async (client) => {
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          options.onProgress?.(bytes, size);
          done(null, chunk);
        },
      });
      await pipeline(fs.createReadStream(file), counter, stageCopy(client, staged));
      return undefined;
    },
    async (client) => {
      const checked: CheckedLines = { badRows: 0, issues: [] };
      await pipeline(
        Readable.from(checkedLines(file, staged, checked, REPORTED_ROWS)),
        restageCopy(client, staged),
      );
      return checked;
    },
  );
}

/** Imports snapshots given as objects (the API's batches): item N of the array is reported as line N. */
export async function ingestSnapshots(
  pool: pg.Pool,
  rows: readonly unknown[],
  settings: IngestSettings,
): Promise<IngestReport> {
  const staged: StagedFormat = { kind: 'json' };
  // JSON.stringify never emits a raw control character, so a line can never contain the staging format's
  // quote or delimiter (see stageCopy).
  const lines = rows.map((row) => JSON.stringify(row ?? null));
  // An item holding a NUL byte cannot be staged (jsonb refuses \u0000): it is a bad row named by its line,
  // and the others are staged numbered as they stand in the batch. Only then is any item walked.
  const unstorable = lines.some((line) => line.includes('\\u0000'))
    ? rows.flatMap((row, i) => {
        const at = nulBytePath(row, 'item');
        return at === undefined
          ? []
          : [{ line: i + 1, message: `${at}: contains a NUL byte (\\u0000), which cannot be stored` }];
      })
    : [];
  return ingest(pool, 'batch', staged, settings, async (client) => {
    if (unstorable.length === 0) {
      const copy = stageCopy(client, staged);
      await pipeline(async function* () {
        yield Buffer.from(lines.join('\n'));
      }, copy);
      return undefined;
    }
    const bad = new Set(unstorable.map((issue) => issue.line));
    const numbered = lines.flatMap((line, i) => (bad.has(i + 1) ? [] : [`${i + 1}\x02${line}\n`]));
    await pipeline(
      async function* () {
        yield Buffer.from(numbered.join(''));
      },
      restageCopy(client, staged),
    );
    return { badRows: unstorable.length, issues: unstorable.slice(0, REPORTED_ROWS) };
  });
}

async function ingest(
  pool: pg.Pool,
  source: string,
  format: StagedFormat,
  settings: IngestSettings,
  /** Stages the source; what it could not stage, it returns as bad rows. */
  load: (client: pg.PoolClient) => Promise<CheckedLines | undefined>,
  /** Stages what can be read of a source COPY could not read, and says what could not. */
  reload?: (client: pg.PoolClient) => Promise<CheckedLines>,
): Promise<IngestReport> {
  const started = performance.now();
  return withClientTransaction(pool, async (staging) => {
    await prepareStagingSession(staging);
    await createStage(staging, format);
    let unreadable: CheckedLines = { badRows: 0, issues: [] };
    try {
      unreadable = (await load(staging)) ?? unreadable;
    } catch (err) {
      if (!reload || !(isDataException(err) || isIntegrityViolation(err))) throw copyRefused(source, err);
      await undoStage(staging);
      // Lines the check let through that COPY still cannot read: the first such error is all there is.
      unreadable = await reload(staging).catch((again: unknown) => {
        throw copyRefused(source, again);
      });
    }
    const rows = (await countStaged(staging, format)) + unreadable.badRows;
    let skipped: ImportIssue[] = [];
    let skippedRows = 0;
    if (unreadable.badRows > 0) {
      // The unreadable lines are bad rows: with the staged rows' problems, they are refused or skipped.
      const badStaged = await diagnoseStaged(staging, format, settings.futureToleranceSeconds);
      skippedRows = unreadable.badRows + badStaged;
      skipped = [...unreadable.issues, ...(await diagnosedIssues(staging))]
        .sort((a, b) => a.line - b.line)
        .slice(0, REPORTED_ROWS);
      if (settings.onBadRows === 'reject') throw importRefused(source, skipped, skippedRows);
      if (badStaged > 0) await unstageDiagnosed(staging, format);
    }
    for (let attempt = 1; ; attempt++) {
      await markTransfer(staging);
      try {
        const inserted = await withClientTransaction(pool, async (writer, writerDb) => {
          const sink = await snapshotSink(writer);
          const dedupe = attempt > 1;
          await relayCopy(transferSource(staging, format, settings.futureToleranceSeconds, dedupe), sink);
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
        await undoTransfer(staging);
        if (isUniqueViolation(err) && attempt < 3) continue;
        if (skippedRows > 0 || !(isDataException(err) || isIntegrityViolation(err))) throw err;
        skippedRows = await diagnoseStaged(staging, format, settings.futureToleranceSeconds);
        // Nothing wrong with any row: the failure was not the data's.
        if (skippedRows === 0) throw err;
        skipped = await diagnosedIssues(staging);
        if (settings.onBadRows === 'reject') throw importRefused(source, skipped, skippedRows);
        await unstageDiagnosed(staging, format);
      }
    }
  });
}

/** The diagnosed rows' problems, for the first REPORTED_ROWS rows, each naming its field. */
async function diagnosedIssues(staging: pg.PoolClient): Promise<ImportIssue[]> {
  return (await diagnosedRows(staging, REPORTED_ROWS)).flatMap((bad) =>
    bad.problems.map((message) => ({
      line: bad.line,
      field: message.match(/^([a-z_]+):/)?.[1],
      message,
    })),
  );
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
