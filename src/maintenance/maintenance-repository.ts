// SQL of the maintenance job: activity_log's partitions (the functions of 013_partition_maintenance.sql) and
// raw metric_snapshots. Functions take the executor first so they compose inside the callers' transactions.
// `now` is the moment to act at (tests pass another one); undefined means the server's now().
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db/executor.ts';

const at = (now: Date | undefined) => sql`${now ?? null}::timestamptz`;
const days = (n: number) => sql`make_interval(days => ${n}::int)`;

/**
 * Takes the lock the partition functions take (013: 'sovi' in ASCII, then the migration's number) until the
 * transaction ends, without waiting; false when another session holds it.
 */
export async function tryPartitionLock(trx: Executor): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(1936684649, 13) AS ok`.execute(
    trx,
  );
  return rows[0]?.ok === true;
}

/** Bounds how long the transaction's statements wait for a lock (then fail with 55P03). */
export async function setLockTimeout(trx: Executor, ms: number): Promise<void> {
  await sql`SELECT set_config('lock_timeout', ${`${ms}ms`}, true)`.execute(trx);
}

/** The moment rows must be newer than to be kept: now - retention, as the functions compute it. */
export async function retentionCutoff(db: Executor, retentionDays: number, now?: Date): Promise<Date> {
  const { rows } = await sql<{ cutoff: Date }>`
    SELECT coalesce(${at(now)}, now()) - ${days(retentionDays)} AS cutoff`.execute(db);
  return rows[0]!.cutoff;
}

/** The partitions a partition function created or dropped (dry: would have), by name. */
async function partitionNames(db: Executor, call: RawBuilder<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT ${call} AS name`.execute(db);
  return rows.map((r) => r.name);
}

export const ensurePartitions = (db: Executor, monthsAhead: number, now: Date | undefined, dryRun: boolean) =>
  partitionNames(
    db,
    sql`activity_log_ensure_partitions(${monthsAhead}::int, ${at(now)}, ${dryRun}::boolean)`,
  );

export const dropPartitions = (db: Executor, retentionDays: number, now: Date | undefined, dryRun: boolean) =>
  partitionNames(
    db,
    sql`activity_log_drop_partitions(${days(retentionDays)}, ${at(now)}, ${dryRun}::boolean)`,
  );

/** Deletes (dry: counts) the default partition's rows older than the cutoff. */
export async function pruneDefaultPartition(
  db: Executor,
  retentionDays: number,
  now: Date | undefined,
  dryRun: boolean,
): Promise<number> {
  // As text: bigint's parser depends on the pool.
  const { rows } = await sql<{ n: string }>`
    SELECT activity_log_prune_default(${days(retentionDays)}, ${at(now)}, ${dryRun}::boolean)::text AS n`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0);
}

export interface PartitionRow {
  name: string;
  rangeStart: Date | null;
  rangeEnd: Date | null;
  isDefault: boolean;
  /** The planner's estimate (reltuples); null until the partition is first analyzed. */
  rowEstimate: number | null;
  totalBytes: number;
}

export async function listPartitions(db: Executor): Promise<PartitionRow[]> {
  const { rows } = await sql<{
    name: string;
    range_start: Date | null;
    range_end: Date | null;
    is_default: boolean;
    row_estimate: string | null;
    total_bytes: string;
  }>`
    SELECT partition_name AS name, range_start, range_end, is_default,
           row_estimate::text, total_bytes::text
    FROM activity_log_partitions()`.execute(db);
  return rows.map((r) => ({
    name: r.name,
    rangeStart: r.range_start,
    rangeEnd: r.range_end,
    isDefault: r.is_default,
    rowEstimate: r.row_estimate === null ? null : Number(r.row_estimate),
    totalBytes: Number(r.total_bytes),
  }));
}

/** The older of now - retention and the rollup watermark: only rows past both may go. */
export async function snapshotCutoff(
  db: Executor,
  retentionDays: number,
  safeBefore: Date,
  now?: Date,
): Promise<Date> {
  const { rows } = await sql<{ cutoff: Date }>`
    SELECT least(coalesce(${at(now)}, now()) - ${days(retentionDays)}, ${safeBefore}::timestamptz) AS cutoff`.execute(
    db,
  );
  return rows[0]!.cutoff;
}

/** Served by metric_snapshots_time_idx (index-only once vacuumed). */
export async function countSnapshotsBefore(db: Executor, cutoff: Date): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM metric_snapshots WHERE time < ${cutoff}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Deletes up to `limit` snapshots older than the cutoff, in one short transaction of its own (the caller's
 * autocommit). Rows are picked by ctid (metric_snapshots_time_idx or a scan, as the planner likes) and deleted
 * with a TID scan: 864k rows in 175 batches of 5000 took 0.7 s on PostgreSQL 15, either plan. On a hypertable
 * a ctid names a row in each chunk; the repeated time condition keeps every deleted row older than the cutoff,
 * so a batch may just be larger than `limit`.
 */
export async function deleteSnapshotsBefore(db: Executor, cutoff: Date, limit: number): Promise<number> {
  const result = await sql`
    DELETE FROM metric_snapshots
    WHERE ctid = ANY (ARRAY (SELECT ctid FROM metric_snapshots WHERE time < ${cutoff} LIMIT ${limit}::int))
      AND time < ${cutoff}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
