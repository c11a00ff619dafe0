// The event log: one way in (recordEvent) for every subsystem, and the queries people and agents use to
// work through it.
import type pg from 'pg';
import { redactContext } from '../redact.ts';
import { decodeCursor, encodeCursor, isExactTime } from '../db/keyset.ts';
import { SoviError, invalidInput, notFound } from '../errors.ts';
export { openEventExists, resolveOpenEvents } from './events-repository.ts';
import {
  eventsAfter,
  findEvent,
  insertEvent,
  listEvents,
  resolveEvent as resolveEventRow,
  type EventFilter,
  type EventRow,
} from './events-repository.ts';
import type { Executor } from '../db/executor.ts';
import {
  resolvers,
  severities,
  type NewEvent,
  type Resolver,
  type Severity,
  type SystemEvent,
} from './event-model.ts';

export const EVENTS_CHANNEL = 'sovi_events';

export function toEvent(row: EventRow): SystemEvent {
  return {
    id: row.id,
    timestamp: row.timestamp,
    category: row.category,
    severity: row.severity as Severity,
    eventType: row.event_type,
    deviceId: row.device_id,
    accountId: row.account_id,
    message: row.message,
    context: (row.context ?? {}) as Record<string, unknown>,
    resolved: row.resolved,
    resolvedBy: row.resolved_by as Resolver | null,
    resolvedAt: row.resolved_at,
  };
}

const SNAKE = /^[a-z][a-z0-9_]*$/;

export async function recordEvent(db: Executor, event: NewEvent): Promise<SystemEvent> {
  if (!SNAKE.test(event.category))
    throw invalidInput('category', `category must be snake_case, got "${event.category}"`);
  if (!SNAKE.test(event.eventType))
    throw invalidInput('event_type', `event type must be snake_case, got "${event.eventType}"`);
  if (!severities.includes(event.severity)) {
    throw invalidInput(
      'severity',
      `severity must be one of ${severities.join(', ')}, got "${String(event.severity)}"`,
    );
  }
  const row = await insertEvent(db, {
    category: event.category,
    severity: event.severity,
    event_type: event.eventType,
    message: event.message,
    device_id: event.deviceId ?? null,
    account_id: event.accountId ?? null,
    context: redactContext(event.context ?? {}) as Record<string, unknown>,
    resolved: !(event.open ?? event.severity !== 'info'),
  });
  return toEvent(row);
}

export interface EventQuery {
  unresolved?: boolean;
  severity?: string[];
  category?: string;
  type?: string;
  deviceId?: string;
  accountId?: string;
  since?: Date;
  until?: Date;
  /** The cursor a previous page returned. */
  after?: string;
  limit?: number;
}

export interface EventPage {
  events: SystemEvent[];
  /** Pass as `after` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export function validateSeverities(values: string[] | undefined, field = 'severity'): string[] | undefined {
  for (const value of values ?? []) {
    if (!severities.includes(value as Severity)) {
      throw invalidInput(field, `${field}: expected one of ${severities.join(', ')}, got "${value}"`);
    }
  }
  return values;
}

function toFilter(query: EventQuery): EventFilter {
  if (query.since && query.until && query.until <= query.since) {
    throw invalidInput(
      'until',
      `until (${query.until.toISOString()}) must be after since (${query.since.toISOString()})`,
    );
  }
  return {
    unresolved: query.unresolved,
    severities: validateSeverities(query.severity),
    category: query.category,
    eventType: query.type,
    deviceId: query.deviceId,
    accountId: query.accountId,
    since: query.since,
    until: query.until,
    before: query.after ? readCursor(query.after) : undefined,
  };
}

export async function queryEvents(db: Executor, query: EventQuery): Promise<EventPage> {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalidInput('limit', `limit must be an integer between 1 and 1000, got ${limit}`);
  }
  const rows = await listEvents(db, toFilter(query), limit + 1);
  const events = rows.slice(0, limit).map(toEvent);
  const last = rows[limit - 1];
  return {
    events,
    nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_time, last.id]) : null,
  };
}

function readCursor(cursor: string): { timestamp: string; id: number } {
  const [timestamp, id] = decodeCursor<[string, number]>(
    cursor,
    'after',
    ([t, i]) => isExactTime(t) && Number.isInteger(i),
  );
  return { timestamp, id };
}

export async function getEvent(db: Executor, id: number): Promise<SystemEvent> {
  const row = await findEvent(db, id);
  if (!row) throw notFound('event', String(id));
  return toEvent(row);
}

export interface Resolution {
  by: string;
  note?: string;
  /** Who, by name: a person, an agent, or a rule. */
  actor?: string;
}

export async function resolveEvent(db: Executor, id: number, resolution: Resolution): Promise<SystemEvent> {
  if (!resolvers.includes(resolution.by as Resolver)) {
    throw invalidInput('by', `by: expected one of ${resolvers.join(', ')}, got "${resolution.by}"`);
  }
  const row = await resolveEventRow(db, id, resolution.by, {
    ...(resolution.note ? { note: resolution.note } : {}),
    ...(resolution.actor ? { actor: resolution.actor } : {}),
  });
  if (row) return toEvent(row);
  const existing = await getEvent(db, id); // Throws not_found.
  throw new SoviError(
    'conflict',
    `event ${id} was already resolved by ${existing.resolvedBy ?? '?'} at ${existing.resolvedAt?.toISOString() ?? '?'}`,
    { field: 'id' },
  );
}

/**
 * Follows the log: calls onEvent for each new event matching the query, oldest first, until the signal
 * aborts. Woken by NOTIFY on sovi_events; also re-reads every few seconds, since a notification sent while
 * the listener reconnects is lost.
 */
export async function followEvents(
  db: Executor,
  pool: pg.Pool,
  query: Omit<EventQuery, 'after' | 'limit'>,
  fromId: number,
  onEvent: (event: SystemEvent) => void,
  signal: AbortSignal,
  options: { pollMs?: number; onListening?: () => void } = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 2_000;
  const filter = toFilter(query);
  let lastId = fromId;
  let wake: () => void = () => undefined;
  // A notification that arrives while we are reading must not be lost: it leaves a flag for the next wait.
  let pending: boolean;
  const listener = await pool.connect();
  const onNotification = () => {
    pending = true;
    wake();
  };
  listener.on('notification', onNotification);
  await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
  options.onListening?.();
  try {
    while (!signal.aborted) {
      pending = false;
      for (;;) {
        const rows = await eventsAfter(db, filter, lastId, 500);
        for (const row of rows) onEvent(toEvent(row));
        lastId = rows.at(-1)?.id ?? lastId;
        if (rows.length < 500) break;
      }
      if (pending || signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = () => undefined;
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    listener.off('notification', onNotification);
    await listener.query(`UNLISTEN ${EVENTS_CHANNEL}`).catch(() => undefined);
    listener.release();
  }
}

/** The newest event id, where `tail -f` starts when asked for no history. */
export async function latestEventId(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('system_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return row?.id ?? 0;
}
