// Warming session history: warming_progress, newest first, in keyset pages (the API's /warming/sessions).
// Each filter has an index ending in started_at, which serves both the filter and the order:
//   account  warming_progress_account_idx (account_id, started_at)
//   device   warming_progress_device_idx (device_id, started_at)
//   neither  warming_progress_started_idx (started_at)
// And the changes the live stream polls for (session-stream.ts).
import { sql } from 'kysely';
import { exactTime, keysetPage, pastTimeAndId, timeAndId } from '../db/keyset.ts';
import { invalidInput } from '../errors.ts';
import type { Executor } from '../db/executor.ts';

export interface WarmingSession {
  id: string;
  sessionKey: string | null;
  accountId: string;
  platform: string;
  username: string;
  deviceId: string | null;
  deviceName: string | null;
  phase: number;
  day: number;
  startedAt: Date;
  completedAt: Date | null;
  /** success, timeout, device_lost…; null while the session runs. */
  outcome: string | null;
  /** What the executor reported: videos watched, likes, follows, duration, host. */
  data: Record<string, unknown>;
}

export interface WarmingSessionQuery {
  accountId?: string;
  deviceId?: string;
  since?: Date;
  until?: Date;
  after?: string;
  limit: number;
}

/** The session rows with their account and device names: what the listing and the live stream read. */
export function sessionRows(db: Executor) {
  return db
    .selectFrom('warming_progress as w')
    .innerJoin('accounts as a', 'a.id', 'w.account_id')
    .leftJoin('devices as d', 'd.id', 'w.device_id')
    .select([
      'w.id',
      'w.session_key',
      'w.account_id',
      'w.platform',
      'a.username',
      'w.device_id',
      'd.name as device_name',
      'w.warming_phase',
      'w.warming_day',
      'w.started_at',
      'w.completed_at',
      'w.session_data',
    ]);
}

type SessionRow = Awaited<ReturnType<ReturnType<typeof sessionRows>['executeTakeFirstOrThrow']>>;

export function toWarmingSession(r: SessionRow): WarmingSession {
  const data = (r.session_data ?? {}) as Record<string, unknown>;
  return {
    id: r.id,
    sessionKey: r.session_key,
    accountId: r.account_id,
    platform: r.platform,
    username: r.username,
    deviceId: r.device_id,
    deviceName: r.device_name,
    phase: r.warming_phase,
    day: r.warming_day,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    outcome: typeof data.outcome === 'string' ? data.outcome : null,
    data,
  };
}

export async function listWarmingSessions(
  db: Executor,
  query: WarmingSessionQuery,
): Promise<{ sessions: WarmingSession[]; nextCursor: string | null }> {
  if (query.since && query.until && query.until <= query.since) {
    throw invalidInput(
      'until',
      `until (${query.until.toISOString()}) must be after since (${query.since.toISOString()})`,
    );
  }
  const page = await keysetPage<
    SessionRow & { cursor_time: string | null },
    [string | null, string],
    WarmingSession
  >(
    query,
    timeAndId,
    (after, rows) => {
      let q = sessionRows(db).select(exactTime('w.started_at').as('cursor_time'));
      if (query.accountId) q = q.where('w.account_id', '=', query.accountId);
      if (query.deviceId) q = q.where('w.device_id', '=', query.deviceId);
      if (query.since) q = q.where('w.started_at', '>=', query.since);
      if (query.until) q = q.where('w.started_at', '<', query.until);
      if (after) q = q.where(pastTimeAndId('w.started_at', 'w.id', '<', after));
      return q.orderBy('w.started_at', 'desc').orderBy('w.id', 'desc').limit(rows).execute();
    },
    toWarmingSession,
  );
  return { sessions: page.items, nextCursor: page.nextCursor };
}

export const SESSION_CHANGES_PAGE = 500;

export interface SessionStreamFilter {
  accountId?: string;
  deviceId?: string;
}

export interface ChangedSession {
  session: WarmingSession;
  changedAt: string;
}

/**
 * Sessions whose change time — greatest(started_at, completed_at) — is past (after, afterId), oldest change
 * first, at most SESSION_CHANGES_PAGE: what the live stream (session-stream.ts) polls. Served by
 * warming_progress_started_idx (008) and warming_progress_completed_idx (014).
 */
export async function sessionsChangedAfter(
  db: Executor,
  filter: SessionStreamFilter,
  after: string,
  afterId: string,
): Promise<ChangedSession[]> {
  const changed = sql`greatest(w.started_at, w.completed_at)`;
  let q = sessionRows(db)
    .select(
      sql<string>`to_char(${changed} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('changed_at'),
    )
    // The OR lets the planner use both time indexes; the row comparison is the exact keyset.
    .where((eb) =>
      eb.or([
        eb('w.started_at', '>=', sql<Date>`${after}::timestamptz`),
        eb('w.completed_at', '>=', sql<Date>`${after}::timestamptz`),
      ]),
    )
    .where(sql<boolean>`(${changed}, w.id) > (${after}::timestamptz, ${afterId}::uuid)`);
  if (filter.accountId) q = q.where('w.account_id', '=', filter.accountId);
  if (filter.deviceId) q = q.where('w.device_id', '=', filter.deviceId);
  const rows = await q.orderBy(changed).orderBy('w.id').limit(SESSION_CHANGES_PAGE).execute();
  return rows.map((r) => ({ changedAt: r.changed_at, session: toWarmingSession(r) }));
}

/** The database's now, as a stream cursor: where a stream with no cursor starts. */
export async function sessionStreamStart(db: Executor): Promise<string> {
  const { rows } = await sql<{
    now: string;
  }>`SELECT ${exactTime('n')} AS now FROM (SELECT now() AS n) t`.execute(db);
  return rows[0]!.now;
}
