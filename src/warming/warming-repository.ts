// SQL of the warming scheduler's own tables, warming_queue and warming_progress, and the planner's reads.
// Executor first; the planner's reads run in its transaction. The accounts and devices a session touches are
// written by their own domains (src/accounts/account-warming.ts, src/devices/device-sessions.ts).
import { sql, type QueryCreator } from 'kysely';
import type { DB } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';
import type { SessionStart } from './warming-model.ts';
import { dueCondition, dueOrder } from './due-rule.ts';
import type { WarmingPolicy } from './warming-policy.ts';

export interface Candidate {
  id: string;
  platform: string;
  username: string;
  current_state: string;
  warming_day_count: number;
  device_id: string | null;
  last_warmed_at: Date | null;
  sessions_today: number;
  sessions_day: string | null;
}

/**
 * Accounts due now (due-rule.ts), least recently warmed first, read from the head of
 * idx_accounts_needs_warming (ORDER BY the indexed column alone, so no sort: a tiebreak column would make
 * PostgreSQL sort every never-warmed account). Only accounts on no device or on one of `devices` (this
 * host's devices with room, and its inactive ones, whose accounts move), not already queued. Rows are locked
 * and rows another planner holds are skipped, so two planners never plan one account.
 */
export interface PickOptions {
  policy: WarmingPolicy;
  now: Date;
  devices: string[];
  limit: number;
}

export async function pickCandidates(db: Executor, options: PickOptions): Promise<Candidate[]> {
  const { rows } = await pickCandidatesQuery(options).execute(db);
  return rows;
}

/** Reads due accounts (pickCandidatesQuery's rows, in its order) a batch at a time; see openCandidates. */
export interface CandidateCursor {
  /** The next `count` rows, fewer at the end. */
  read(count: number): Promise<Candidate[]>;
  close(): Promise<void>;
}

/**
 * pickCandidatesQuery (at most `limit` rows) as a cursor in the caller's transaction. A planner tick reads
 * batch after batch until its devices are full: with LIMIT/OFFSET each batch walked and locked again every
 * row of the batches before it (the 20th batch of a tick read 10,000 rows to return 500); the cursor goes on
 * from where the last read stopped. Rows are locked as they are read, as before.
 */
export async function openCandidates(trx: Executor, options: PickOptions): Promise<CandidateCursor> {
  const cursor = sql.id('sovi_due_accounts');
  await sql`DECLARE ${cursor} NO SCROLL CURSOR FOR ${pickCandidatesQuery(options)}`.execute(trx);
  return {
    read: async (count) =>
      (await sql<Candidate>`FETCH FORWARD ${sql.lit(count)} FROM ${cursor}`.execute(trx)).rows,
    close: async () => {
      await sql`CLOSE ${cursor}`.execute(trx);
    },
  };
}

/** The statement pickCandidates runs; test/db/warming-index.test.ts checks its plan. */
export function pickCandidatesQuery(options: PickOptions) {
  return sql<Candidate>`
    SELECT a.id, a.platform, a.username, a.current_state, a.warming_day_count, a.device_id, a.last_warmed_at,
           a.sessions_today, a.sessions_day
    FROM accounts a
    WHERE ${dueCondition(options.policy, options.now)}
      AND (a.device_id IS NULL OR a.device_id = ANY(${options.devices}::uuid[]))
      AND NOT EXISTS (SELECT 1 FROM warming_queue q WHERE q.account_id = a.id)
    ORDER BY ${dueOrder}
    LIMIT ${options.limit}
    FOR UPDATE OF a SKIP LOCKED`;
}

/**
 * Starts a session in one statement: its warming_progress row (inserted once: a retry of the session finds
 * it there) and its queue row marked started (on every attempt, as the queue row says when the session last
 * began). One round trip instead of two, on every session's path. `inserted`: the row was inserted now;
 * `completed`: it was there already, completed by an earlier attempt (whose caller then has nothing to run,
 * and no read of the row beforehand: the statement answers it as it was before the statement ran).
 */
export async function startSessionRows(
  db: Executor,
  row: SessionStart & { sessionKey: string },
): Promise<{ inserted: boolean; completed: boolean }> {
  const { rows } = await sql<{ inserted: boolean; completed: boolean }>`
    WITH progress AS (
      INSERT INTO warming_progress (session_key, account_id, device_id, platform, warming_phase, warming_day, started_at)
      VALUES (${row.sessionKey}::uuid, ${row.accountId}::uuid, ${row.deviceId}::uuid, ${row.platform},
              ${row.phase}, ${row.day}, ${row.startedAt}::timestamptz)
      ON CONFLICT (session_key) DO NOTHING
      RETURNING id),
    queued AS (
      UPDATE warming_queue SET started_at = ${row.startedAt}::timestamptz
      WHERE session_key = ${row.sessionKey}::uuid)
    SELECT EXISTS (SELECT 1 FROM progress) AS inserted,
           EXISTS (SELECT 1 FROM warming_progress
                   WHERE session_key = ${row.sessionKey}::uuid AND completed_at IS NOT NULL) AS completed`.execute(
    db,
  );
  const result = rows[0];
  return { inserted: result?.inserted === true, completed: result?.completed === true };
}

/** Whether the session has a row, and when it completed. */
export async function findSessionRow(
  db: Executor,
  sessionKey: string,
): Promise<{ completed_at: Date | null } | undefined> {
  return db
    .selectFrom('warming_progress')
    .select(['completed_at'])
    .where('session_key', '=', sessionKey)
    .executeTakeFirst();
}

/**
 * Completes the session's row with what it did, once: undefined when there is no open row (another attempt
 * completed it first, or it never started). With `dequeue`, the session's queue row goes in the same statement
 * (a finished session's record transaction runs on every session's path), and only when this call completed
 * the row: an attempt that finds the row completed already deletes nothing (the attempt that completed it
 * deleted the queue row).
 */
export async function completeSessionRow(
  db: Executor,
  sessionKey: string,
  completedAt: Date,
  data: Record<string, unknown>,
  options: { dequeue?: boolean } = {},
): Promise<{ id: string; warming_day: number; warming_phase: number } | undefined> {
  const complete = (qc: QueryCreator<DB>) =>
    qc
      .updateTable('warming_progress')
      .set({ completed_at: completedAt, session_data: JSON.stringify(data) })
      .where('session_key', '=', sessionKey)
      .where('completed_at', 'is', null)
      .returning(['id', 'warming_day', 'warming_phase']);
  if (!options.dequeue) return complete(db).executeTakeFirst();
  return db
    .with('done', complete)
    .with('dequeued', (qc) =>
      qc
        .deleteFrom('warming_queue')
        .where('session_key', '=', sessionKey)
        .where((eb) => eb.exists(eb.selectFrom('done').select('id'))),
    )
    .selectFrom('done')
    .select(['id', 'warming_day', 'warming_phase'])
    .executeTakeFirst();
}

export interface DeviceLoad {
  id: string;
  name: string;
  status: string;
  queued: number;
}

/** This host's devices with how many sessions each has queued or running. */
export async function deviceLoads(db: Executor, host: string): Promise<DeviceLoad[]> {
  const { rows } = await sql<DeviceLoad>`
    SELECT d.id, d.name, d.status, count(q.session_key)::int AS queued
    FROM devices d LEFT JOIN warming_queue q ON q.device_id = d.id
    WHERE d.host = ${host}
    GROUP BY d.id ORDER BY d.name`.execute(db);
  return rows;
}

export interface QueueRow {
  session_key: string;
  account_id: string;
  device_id: string;
  host: string;
}

/** Queues sessions; an account that already has one keeps it (the unique key is the dedupe). */
export async function insertQueueRows(db: Executor, rows: QueueRow[], plannedAt: Date): Promise<QueueRow[]> {
  if (rows.length === 0) return [];
  const { rows: inserted } = await sql<QueueRow>`
    INSERT INTO warming_queue (session_key, account_id, device_id, host, planned_at)
    SELECT s, a, d, h, ${plannedAt}::timestamptz
    FROM unnest(${rows.map((r) => r.session_key)}::uuid[], ${rows.map((r) => r.account_id)}::uuid[],
                ${rows.map((r) => r.device_id)}::uuid[], ${rows.map((r) => r.host)}::text[]) AS t(s, a, d, h)
    ON CONFLICT (account_id) DO NOTHING
    RETURNING session_key, account_id, device_id, host`.execute(db);
  return inserted;
}

/** Drops the session's queue row; false when there was none. */
export async function deleteQueueRow(db: Executor, sessionKey: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom('warming_queue')
    .where('session_key', '=', sessionKey)
    .returning('session_key')
    .executeTakeFirst();
  return deleted !== undefined;
}

/** Drops queue rows planned before `before` and never started. */
export async function deleteUnstartedQueueRows(db: Executor, before: Date): Promise<void> {
  await db
    .deleteFrom('warming_queue')
    .where('started_at', 'is', null)
    .where('planned_at', '<', before)
    .execute();
}
