// SQL of the warming scheduler. Executor first; the planner's reads run in its transaction.
import { sql } from 'kysely';
import type { Executor } from '../events/events-repository.ts';
import {
  scheduledStates,
  shortestGapMinutes,
  utcDayStart,
  type StatePolicy,
  type WarmingPolicy,
} from './warming-policy.ts';

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

/** A CASE over the account's state, with each scheduled state's value from the policy. */
export const byState = (policy: WarmingPolicy, value: (rule: StatePolicy) => number) =>
  sql<number>`CASE a.current_state ${sql.join(
    scheduledStates.map((s) => sql`WHEN ${s} THEN ${value(policy[s])}::int`),
    sql` `,
  )} END`;

/**
 * Accounts due now, least recently warmed first: idx_accounts_needs_warming's predicate and order, read
 * from the head of that index (ORDER BY the indexed column alone, so no sort: a tiebreak column would make
 * PostgreSQL sort every never-warmed account). Whether an account is due (its state's gap since the last
 * session, its sessions today) is decided here, in SQL, so a tick never reads the same not-due rows over
 * and over. Only accounts on no device or on one of `devices` (this host's devices with room, and its
 * inactive ones, whose accounts move), not already queued. Rows are locked and rows another planner holds
 * are skipped, so two planners never plan one account.
 */
export async function pickCandidates(
  db: Executor,
  options: { policy: WarmingPolicy; now: Date; devices: string[]; limit: number; offset: number },
): Promise<Candidate[]> {
  const { policy, now } = options;
  const today = utcDayStart(now).toISOString().slice(0, 10);
  const cutoff = new Date(now.getTime() - shortestGapMinutes(policy) * 60_000);
  const { rows } = await sql<Candidate>`
    SELECT a.id, a.platform, a.username, a.current_state, a.warming_day_count, a.device_id, a.last_warmed_at,
           a.sessions_today, a.sessions_day
    FROM accounts a
    WHERE a.current_state IN ('created', 'warming_p1', 'warming_p2', 'warming_p3', 'active')
      AND a.platform IN ('tiktok', 'instagram')
      AND a.deleted_at IS NULL
      AND (a.last_warmed_at IS NULL OR a.last_warmed_at <= ${cutoff})
      AND (a.last_warmed_at IS NULL
           OR a.last_warmed_at <= ${now}::timestamptz - make_interval(mins => ${byState(policy, (r) => r.minGapMinutes)}))
      AND (a.sessions_day IS DISTINCT FROM ${today}::date OR a.sessions_today < ${byState(policy, (r) => r.sessionsPerDay)})
      AND (a.device_id IS NULL OR a.device_id = ANY(${options.devices}::uuid[]))
      AND NOT EXISTS (SELECT 1 FROM warming_queue q WHERE q.account_id = a.id)
    ORDER BY a.last_warmed_at ASC NULLS FIRST
    LIMIT ${options.limit} OFFSET ${options.offset}
    FOR UPDATE OF a SKIP LOCKED`.execute(db);
  return rows;
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
  const day = utcDayStart(row.startedAt).toISOString().slice(0, 10);
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
