// SQL of the warming scheduler. Executor first; the planner's reads run in its transaction.
import { sql } from 'kysely';
import type { Executor } from '../events/events-repository.ts';

export interface Candidate {
  id: string;
  platform: string;
  username: string;
  current_state: string;
  warming_day_count: number;
  device_id: string | null;
  last_warmed_at: Date | null;
}

/**
 * Accounts that may be due, least recently warmed first: idx_accounts_needs_warming's predicate and order,
 * read from the head of that index (ORDER BY the indexed column alone, so no sort: a tiebreak column would
 * make PostgreSQL sort every never-warmed account). Only accounts on this host's devices or on none, not
 * already queued, and warmed before `cutoff` (the shortest gap any state asks for). Rows are locked, and
 * rows another planner holds are skipped, so two planners never plan one account. Later batches of the
 * same transaction page with OFFSET: the head of the index is what the planner reads.
 */
export async function pickCandidates(
  db: Executor,
  options: { host: string; cutoff: Date; limit: number; offset: number },
): Promise<Candidate[]> {
  const { rows } = await sql<Candidate>`
    SELECT a.id, a.platform, a.username, a.current_state, a.warming_day_count, a.device_id, a.last_warmed_at
    FROM accounts a
    WHERE a.current_state IN ('created', 'warming_p1', 'warming_p2', 'warming_p3', 'active')
      AND a.platform IN ('tiktok', 'instagram')
      AND a.deleted_at IS NULL
      AND (a.last_warmed_at IS NULL OR a.last_warmed_at <= ${options.cutoff})
      AND (a.device_id IS NULL OR a.device_id IN (SELECT d.id FROM devices d WHERE d.host = ${options.host}))
      AND NOT EXISTS (SELECT 1 FROM warming_queue q WHERE q.account_id = a.id)
    ORDER BY a.last_warmed_at ASC NULLS FIRST
    LIMIT ${options.limit} OFFSET ${options.offset}
    FOR UPDATE OF a SKIP LOCKED`.execute(db);
  return rows;
}

/** Sessions each account started since `since` (served by warming_progress_account_idx). */
export async function sessionsSince(
  db: Executor,
  accountIds: string[],
  since: Date,
): Promise<Map<string, number>> {
  if (accountIds.length === 0) return new Map();
  const { rows } = await sql<{ account_id: string; n: number }>`
    SELECT account_id, count(*)::int AS n FROM warming_progress
    WHERE account_id = ANY(${accountIds}::uuid[]) AND started_at >= ${since}
    GROUP BY account_id`.execute(db);
  return new Map(rows.map((r) => [r.account_id, r.n]));
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
