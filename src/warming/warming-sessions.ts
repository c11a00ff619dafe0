// Warming session history: warming_progress, newest first, in keyset pages (the API's /warming/sessions).
// Each filter has an index ending in started_at, which serves both the filter and the order:
//   account  warming_progress_account_idx (account_id, started_at)
//   device   warming_progress_device_idx (device_id, started_at)
//   neither  warming_progress_started_idx (started_at)
import { sql } from 'kysely';
import { decodeCursor, encodeCursor, exactTime, isExactTime } from '../db/keyset.ts';
import { invalidInput } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';

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
  const before = query.after === undefined ? undefined : readCursor(query.after);
  let q = sessionRows(db).select(exactTime('w.started_at').as('cursor_time'));
  if (query.accountId) q = q.where('w.account_id', '=', query.accountId);
  if (query.deviceId) q = q.where('w.device_id', '=', query.deviceId);
  if (query.since) q = q.where('w.started_at', '>=', query.since);
  if (query.until) q = q.where('w.started_at', '<', query.until);
  if (before) {
    q = q.where(sql<boolean>`(w.started_at, w.id) < (${before.startedAt}::timestamptz, ${before.id}::uuid)`);
  }
  const rows = await q
    .orderBy('w.started_at', 'desc')
    .orderBy('w.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    sessions: page.map(toWarmingSession),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.cursor_time, last.id]) : null,
  };
}

function readCursor(text: string): { startedAt: string; id: string } {
  const [startedAt, id] = decodeCursor<[string, string]>(
    text,
    'after',
    ([t, i]) => isExactTime(t) && typeof i === 'string' && isUuid(i),
  );
  return { startedAt, id };
}
