// SQL of the warming scheduler. Executor first; the planner's reads run in its transaction.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { dueCondition, dueOrder } from './due-rule.ts';
import type { WarmingPolicy } from './warming-policy.ts';
import { utcDay } from '../time.ts';

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
  offset: number;
}

export async function pickCandidates(db: Executor, options: PickOptions): Promise<Candidate[]> {
  const { rows } = await pickCandidatesQuery(options).execute(db);
  return rows;
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
    LIMIT ${options.limit} OFFSET ${options.offset}
    FOR UPDATE OF a SKIP LOCKED`;
}

/**
 * Starts a session's warming_progress row, and counts the session against its account's day, once: a
 * retry of the same session finds the row there and counts nothing.
 */
export async function startSessionRow(
  db: Executor,
  row: {
    sessionKey: string;
    accountId: string;
    deviceId: string;
    platform: string;
    phase: number;
    day: number;
    startedAt: Date;
  },
): Promise<void> {
  const day = utcDay(row.startedAt);
  await sql`
    WITH started AS (
      INSERT INTO warming_progress (session_key, account_id, device_id, platform, warming_phase, warming_day, started_at)
      VALUES (${row.sessionKey}::uuid, ${row.accountId}, ${row.deviceId}, ${row.platform}, ${row.phase}, ${row.day},
              ${row.startedAt})
      ON CONFLICT (session_key) DO NOTHING
      RETURNING account_id)
    UPDATE accounts a
    SET sessions_today = CASE WHEN a.sessions_day = ${day}::date THEN a.sessions_today + 1 ELSE 1 END,
        sessions_day = ${day}::date
    FROM started WHERE a.id = started.account_id`.execute(db);
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

export async function assignDevices(
  db: Executor,
  pairs: { accountId: string; deviceId: string }[],
): Promise<void> {
  if (pairs.length === 0) return;
  await sql`
    UPDATE accounts a SET device_id = p.device_id
    FROM unnest(${pairs.map((p) => p.accountId)}::uuid[], ${pairs.map((p) => p.deviceId)}::uuid[]) AS p(account_id, device_id)
    WHERE a.id = p.account_id`.execute(db);
}

export async function deleteQueueRow(db: Executor, sessionKey: string): Promise<void> {
  await db.deleteFrom('warming_queue').where('session_key', '=', sessionKey).execute();
}

/**
 * Takes the device for a session: free, held by this same session (a retry after a crash), or held by a
 * lease that ran out. Returns false when another live session holds it or the device is not active.
 */
export async function claimDevice(
  db: Executor,
  deviceId: string,
  sessionKey: string,
  until: Date,
  now: Date,
): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    UPDATE devices SET current_session_key = ${sessionKey}::uuid, session_lease_until = ${until}
    WHERE id = ${deviceId} AND status = 'active'
      AND (current_session_key IS NULL OR current_session_key = ${sessionKey}::uuid OR session_lease_until < ${now})
    RETURNING id`.execute(db);
  return rows.length > 0;
}

export async function renewDevice(
  db: Executor,
  deviceId: string,
  sessionKey: string,
  until: Date,
): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    UPDATE devices SET session_lease_until = ${until}
    WHERE id = ${deviceId} AND current_session_key = ${sessionKey}::uuid
    RETURNING id`.execute(db);
  return rows.length > 0;
}

export async function releaseDevice(db: Executor, deviceId: string, sessionKey: string): Promise<void> {
  await sql`
    UPDATE devices SET current_session_key = NULL, session_lease_until = NULL
    WHERE id = ${deviceId} AND current_session_key = ${sessionKey}::uuid`.execute(db);
}
