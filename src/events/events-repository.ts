// SQL for system_events. Functions take the executor first so they compose inside callers' transactions.
// Which index serves each read is noted where it matters; the plans are checked in test/events.
import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Selectable,
  type SqlBool,
  type UpdateObject,
} from 'kysely';
import type { Executor } from '../db/executor.ts';
import { exactTime } from '../db/keyset.ts';
import type { DB, SystemEvents } from '../db/types.generated.ts';
export type EventRow = Selectable<SystemEvents>;

export interface EventFilter {
  unresolved?: boolean;
  severities?: string[];
  category?: string;
  eventType?: string;
  deviceId?: string;
  accountId?: string;
  since?: Date;
  until?: Date;
  /** Keyset: events strictly older than this (timestamp as exact text, id). */
  before?: { timestamp: string; id: number };
  /** Events with an id above this, oldest first (for following the log). */
  afterId?: number;
  /** Events with an id up to this one (a stream catching up to where the shared reader is). */
  throughId?: number;
}

export async function insertEvent(
  db: Executor,
  values: {
    category: string;
    severity: string;
    event_type: string;
    message: string;
    device_id: string | null;
    account_id: string | null;
    context: Record<string, unknown>;
    /** Recorded already resolved, by `auto`. */
    resolved: boolean;
  },
): Promise<EventRow> {
  return db
    .insertInto('system_events')
    .values({
      ...values,
      context: JSON.stringify(values.context),
      resolved_by: values.resolved ? 'auto' : null,
      resolved_at: values.resolved ? sql<Date>`now()` : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function conditions(filter: EventFilter) {
  return (eb: ExpressionBuilder<DB, 'system_events'>) => {
    const all: Expression<SqlBool>[] = [];
    // "resolved = false" literally, so the planner can match idx_events_unresolved's predicate.
    if (filter.unresolved) all.push(eb('resolved', '=', false));
    if (filter.severities?.length) all.push(eb('severity', 'in', filter.severities));
    if (filter.category) all.push(eb('category', '=', filter.category));
    if (filter.eventType) all.push(eb('event_type', '=', filter.eventType));
    if (filter.deviceId) all.push(eb('device_id', '=', filter.deviceId));
    if (filter.accountId) all.push(eb('account_id', '=', filter.accountId));
    if (filter.since) all.push(eb('timestamp', '>=', filter.since));
    if (filter.until) all.push(eb('timestamp', '<', filter.until));
    if (filter.before) {
      const { timestamp, id } = filter.before;
      all.push(sql<SqlBool>`("timestamp", id) < (${timestamp}::timestamptz, ${id}::bigint)`);
    }
    if (filter.afterId !== undefined) all.push(eb('id', '>', filter.afterId));
    if (filter.throughId !== undefined) all.push(eb('id', '<=', filter.throughId));
    return eb.and(all);
  };
}

/** Newest first, keyset-paginated on (timestamp, id). The builder is exposed so tests can EXPLAIN it. */
export const listEventsQuery = (db: Executor, filter: EventFilter, limit: number) =>
  db
    .selectFrom('system_events')
    .selectAll()
    // "timestamp" is NOT NULL, so its text is too.
    .select(exactTime('timestamp').$castTo<string>().as('cursor_time'))
    .where(conditions(filter))
    .orderBy('timestamp', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);

export type ListedEventRow = EventRow & { cursor_time: string };

export async function listEvents(
  db: Executor,
  filter: EventFilter,
  limit: number,
): Promise<ListedEventRow[]> {
  return listEventsQuery(db, filter, limit).execute();
}

/** Oldest first after an id: what `tail -f` prints next. */
export async function eventsAfter(
  db: Executor,
  filter: EventFilter,
  afterId: number,
  limit: number,
): Promise<EventRow[]> {
  return db
    .selectFrom('system_events')
    .selectAll()
    .where(conditions({ ...filter, afterId }))
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
}

/** The newest event's id; undefined when the log is empty. */
export async function maxEventId(db: Executor): Promise<number | undefined> {
  const row = await db
    .selectFrom('system_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return row?.id ?? undefined;
}

export async function findEvent(db: Executor, id: number): Promise<EventRow | undefined> {
  return db.selectFrom('system_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Resolves an open event; undefined when it does not exist or was already resolved. */
export async function resolveEvent(
  db: Executor,
  id: number,
  resolvedBy: string,
  resolution: Record<string, unknown>,
): Promise<EventRow | undefined> {
  return (await resolveEventsRows(db, [id], resolvedBy, resolution))[0];
}

/** What resolving an event sets: resolved, by whom, now, and the resolution kept in its context. */
const resolvedWith = (
  resolvedBy: string,
  resolution: Record<string, unknown>,
): UpdateObject<DB, 'system_events'> => ({
  resolved: true,
  resolved_by: resolvedBy,
  resolved_at: sql<Date>`now()`,
  context: sql`context || jsonb_build_object('resolution', ${JSON.stringify(resolution)}::jsonb)`,
});

/** Resolves the open events among `ids` in one statement; returns those it resolved. */
export async function resolveEventsRows(
  db: Executor,
  ids: number[],
  resolvedBy: string,
  resolution: Record<string, unknown>,
): Promise<EventRow[]> {
  return db
    .updateTable('system_events')
    .set(resolvedWith(resolvedBy, resolution))
    .where('id', 'in', ids)
    .where('resolved', '=', false)
    .returningAll()
    .execute();
}

/** Which of `ids` exist. */
export async function existingEventIds(db: Executor, ids: number[]): Promise<number[]> {
  const rows = await db.selectFrom('system_events').select('id').where('id', 'in', ids).execute();
  return rows.map((r) => r.id);
}

/**
 * Every event type present, with the category of its latest event. A loose index scan over
 * idx_events_type_time (event_type, timestamp): one index probe per distinct type, however many events
 * there are.
 */
export async function eventTypeRows(db: Executor): Promise<{ event_type: string; category: string }[]> {
  const { rows } = await sql<{ event_type: string; category: string }>`
    WITH RECURSIVE types AS (
      (SELECT event_type FROM system_events ORDER BY event_type LIMIT 1)
      UNION ALL
      SELECT (SELECT e.event_type FROM system_events e WHERE e.event_type > t.event_type
              ORDER BY e.event_type LIMIT 1)
      FROM types t WHERE t.event_type IS NOT NULL
    )
    SELECT t.event_type, latest.category
    FROM types t
    CROSS JOIN LATERAL (
      SELECT e.category FROM system_events e WHERE e.event_type = t.event_type
      ORDER BY e."timestamp" DESC LIMIT 1
    ) latest
    WHERE t.event_type IS NOT NULL
    ORDER BY latest.category, t.event_type`.execute(db);
  return rows;
}

/** Auto-resolves every open event of a type for a device or account (a condition that cleared). */
/**
 * Which open events an ongoing condition is: its type, and its device, account or context keys (e.g. the
 * platform and scope of a failing pull).
 */
export interface OpenEventMatch {
  eventType: string;
  deviceId?: string;
  accountId?: string;
  context?: Record<string, string>;
}

/** The open events `match` names: of its type, and of its device, account and context when it names them. */
function openMatching(match: OpenEventMatch) {
  return (eb: ExpressionBuilder<DB, 'system_events'>) => {
    const all: Expression<SqlBool>[] = [eb('resolved', '=', false), eb('event_type', '=', match.eventType)];
    if (match.deviceId) all.push(eb('device_id', '=', match.deviceId));
    if (match.accountId) all.push(eb('account_id', '=', match.accountId));
    if (match.context) all.push(sql<SqlBool>`context @> ${JSON.stringify(match.context)}::jsonb`);
    return eb.and(all);
  };
}

export async function resolveOpenEvents(
  db: Executor,
  match: OpenEventMatch,
  resolution: Record<string, unknown>,
): Promise<EventRow[]> {
  return db
    .updateTable('system_events')
    .set(resolvedWith('auto', resolution))
    .where(openMatching(match))
    .returningAll()
    .execute();
}

/**
 * Another failure of an ongoing condition: its open event counts it (`failures`) and takes `detail` (the
 * last error, when) instead of a new event being recorded. The id of the event bumped, or undefined when none
 * is open.
 */
export async function bumpOpenEvent(
  db: Executor,
  match: OpenEventMatch,
  detail: Record<string, string | null>,
): Promise<number | undefined> {
  const bumped = await db
    .updateTable('system_events')
    .set({
      context: sql`context || ${JSON.stringify(detail)}::jsonb || jsonb_build_object(
        'failures', coalesce((context->>'failures')::int, 1) + 1)`,
    })
    .where(openMatching(match))
    .returning('id')
    .executeTakeFirst();
  return bumped?.id;
}

/**
 * Which of `eventTypes` have an open event, per device among `deviceIds`: one read for a whole health round.
 * The open events are few, and idx_events_unresolved (partial: resolved = false) holds only them.
 */
export async function openDeviceEventRows(
  db: Executor,
  deviceIds: readonly string[],
  eventTypes: readonly string[],
): Promise<{ device_id: string; event_type: string }[]> {
  const rows = await db
    .selectFrom('system_events')
    .select(['device_id', 'event_type'])
    .distinct()
    .where('resolved', '=', false)
    .where('device_id', 'in', deviceIds)
    .where('event_type', 'in', eventTypes)
    .execute();
  return rows.flatMap((r) =>
    r.device_id === null ? [] : [{ device_id: r.device_id, event_type: r.event_type }],
  );
}

export async function openEventExists(db: Executor, match: OpenEventMatch): Promise<boolean> {
  const found = await db
    .selectFrom('system_events')
    .select('id')
    .where(openMatching(match))
    .limit(1)
    .executeTakeFirst();
  return found !== undefined;
}
