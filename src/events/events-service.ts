// The event log: one way in (recordEvent) for every subsystem, and the queries people and agents use to
// work through it.
import { redactContext } from '../redact.ts';
import { isExactTime, keysetPage, pageLimit, type Keyset } from '../db/keyset.ts';
import { SoviError, invalidInput, oneOf, notFound } from '../errors.ts';
import type { SubscribeToEvents } from './event-notifier.ts';
import { followNotifications } from './follow-notifications.ts';
export { bumpOpenEvent, openEventExists, resolveOpenEvents } from './events-repository.ts';
export type { OpenEventMatch } from './events-repository.ts';
export type { EventFilter } from './events-repository.ts';
import {
  eventsAfter,
  findEvent,
  maxEventId,
  insertEvent,
  listEvents,
  resolveEvent as resolveEventRow,
  resolveEventsRows,
  existingEventIds,
  eventTypeRows,
  openDeviceEventRows,
  type EventFilter,
  type EventRow,
  type ListedEventRow,
} from './events-repository.ts';
import type { Executor } from '../db/executor.ts';
import { resolveAccount } from '../accounts/accounts-service.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { recordAudit } from '../audit/audit-service.ts';
import { resolveDevice } from '../devices/devices-service.ts';
import {
  knownCategories,
  resolvers,
  severities,
  type NewEvent,
  type Resolver,
  type Severity,
  type SystemEvent,
} from './event-model.ts';

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
  for (const value of values ?? []) oneOf(severities, value, field);
  return values;
}

/** A filter as people and agents write it: the device and the account by reference (id, name…), not id. */
export interface EventFilterRefs extends Omit<EventQuery, 'deviceId' | 'accountId' | 'after' | 'limit'> {
  device?: string;
  account?: string;
}

/**
 * Resolves a filter's references to ids, checking its severities. `prefix` names the fields as the caller's
 * user wrote them ('--' for the CLI's flags).
 */
export async function resolveEventFilters(
  db: Executor,
  refs: EventFilterRefs,
  prefix = '',
): Promise<Omit<EventQuery, 'after' | 'limit'>> {
  const { device, account, ...rest } = refs;
  return {
    ...rest,
    severity: validateSeverities(refs.severity, `${prefix}severity`),
    deviceId: device ? await resolveDevice(db, device, `${prefix}device`) : undefined,
    accountId: account ? await resolveAccount(db, account, `${prefix}account`) : undefined,
  };
}

/** The filter a query means (its page aside), checked: events-repository.ts reads with it. */
export function eventFilter(query: Omit<EventQuery, 'after' | 'limit'>): EventFilter {
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
  };
}

/** Newest first: an event's key is its time (exact text) and its id. */
const newestFirst: Keyset<ListedEventRow, [string, number]> = {
  keyOf: (row) => [row.cursor_time, row.id],
  isKey: ([time, id]) => isExactTime(time) && Number.isInteger(id),
};

export async function queryEvents(db: Executor, query: EventQuery): Promise<EventPage> {
  const limit = pageLimit(query.limit, 50);
  const filter = eventFilter(query);
  const page = await keysetPage(
    // An empty cursor is no cursor: the first page.
    { after: query.after || undefined, limit },
    newestFirst,
    (after, rows) =>
      listEvents(db, after ? { ...filter, before: { timestamp: after[0], id: after[1] } } : filter, rows),
    toEvent,
  );
  return { events: page.items, nextCursor: page.nextCursor };
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

/** The audit record of one resolution. */
const resolvedAudit = (
  row: { id: number | string; category: string; event_type: string },
  resolution: Resolution,
) => ({
  actor: resolution.actor ?? resolution.by,
  action: 'event.resolve',
  targetType: 'event' as const,
  targetId: String(row.id),
  targetLabel: `${row.category}/${row.event_type}`,
  changes: {
    resolved: { before: false, after: true },
    resolvedBy: { before: null, after: resolution.by },
  },
  note: resolution.note,
});

export async function resolveEvent(db: Executor, id: number, resolution: Resolution): Promise<SystemEvent> {
  oneOf(resolvers, resolution.by, 'by');
  const row = await inTransaction(db, async (trx) => {
    const resolved = await resolveEventRow(trx, id, resolution.by, {
      ...(resolution.note ? { note: resolution.note } : {}),
      ...(resolution.actor ? { actor: resolution.actor } : {}),
    });
    if (resolved) {
      await recordAudit(trx, resolvedAudit(resolved, resolution));
    }
    return resolved;
  });
  if (row) return toEvent(row);
  const existing = await getEvent(db, id); // Throws not_found.
  throw new SoviError(
    'conflict',
    `event ${id} was already resolved by ${existing.resolvedBy ?? '?'} at ${existing.resolvedAt?.toISOString() ?? '?'}`,
    { field: 'id' },
  );
}

/** What a bulk resolve did: the events it resolved, and the ids it left (already resolved, or no such event). */
export interface BulkResolution {
  resolved: SystemEvent[];
  alreadyResolved: number[];
  notFound: number[];
}

/**
 * Resolves many events at once with one note (the dashboard's bulk resolve): every open one among `ids` in
 * one statement. Ids already resolved or unknown are reported, not refused, since another person may have
 * resolved some in the meantime.
 */
export async function resolveEvents(
  db: Executor,
  ids: readonly number[],
  resolution: Resolution,
): Promise<BulkResolution> {
  oneOf(resolvers, resolution.by, 'by');
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw invalidInput('ids', 'ids: expected at least one event id');
  const rows = await inTransaction(db, async (trx) => {
    const resolved = await resolveEventsRows(trx, unique, resolution.by, {
      ...(resolution.note ? { note: resolution.note } : {}),
      ...(resolution.actor ? { actor: resolution.actor } : {}),
    });
    await recordAudit(
      trx,
      resolved.map((r) => resolvedAudit(r, resolution)),
    );
    return resolved;
  });
  const done = new Set(rows.map((r) => r.id));
  const rest = unique.filter((id) => !done.has(id));
  const existing = new Set(rest.length ? await existingEventIds(db, rest) : []);
  return {
    resolved: rows.map(toEvent).sort((a, b) => b.id - a.id),
    alreadyResolved: rest.filter((id) => existing.has(id)),
    notFound: rest.filter((id) => !existing.has(id)),
  };
}

/** The categories to filter by (the known ones and any others present) and every event type present. */
export async function eventVocabulary(
  db: Executor,
): Promise<{ categories: string[]; types: { type: string; category: string }[] }> {
  const types = (await eventTypeRows(db)).map((r) => ({ type: r.event_type, category: r.category }));
  const categories = [...new Set([...knownCategories, ...types.map((t) => t.category)])].sort();
  return { categories, types };
}

/**
 * The types among `eventTypes` with an open event, per device among `deviceIds` (a device with none is
 * absent): what a health round reads once, instead of each check asking for each condition.
 */
export async function openDeviceEvents(
  db: Executor,
  deviceIds: readonly string[],
  eventTypes: readonly string[],
): Promise<Map<string, Set<string>>> {
  const open = new Map<string, Set<string>>();
  if (deviceIds.length === 0 || eventTypes.length === 0) return open;
  for (const row of await openDeviceEventRows(db, deviceIds, eventTypes)) {
    const types = open.get(row.device_id) ?? new Set<string>();
    open.set(row.device_id, types.add(row.event_type));
  }
  return open;
}

export interface FollowOptions {
  /** Wakes the follower when an event is recorded (an EventNotifier's subscribe). */
  subscribe: SubscribeToEvents;
  /** How often to re-read regardless, for notifications lost while the listener reconnects. */
  pollMs?: number;
  /** Called once listening, before the first read. */
  onListening?: () => void;
}

const FOLLOW_PAGE = 500;

/**
 * Follows the log: calls onEvent for each event past `fromId` that matches the filter, oldest first, until
 * the signal aborts. Woken by the subscription; also re-reads every pollMs (default 2 s), since a
 * notification sent while the listener reconnects is lost. The API's event stream and `sovi events tail -f`
 * both run this.
 */
export async function followEvents(
  db: Executor,
  filter: EventFilter,
  fromId: number,
  onEvent: (event: SystemEvent) => void,
  signal: AbortSignal,
  options: FollowOptions,
): Promise<void> {
  let lastId = fromId;
  await followNotifications(
    options.subscribe,
    signal,
    async () => {
      for (;;) {
        const rows = await eventsAfter(db, filter, lastId, FOLLOW_PAGE);
        for (const row of rows) onEvent(toEvent(row));
        lastId = rows.at(-1)?.id ?? lastId;
        if (rows.length < FOLLOW_PAGE || signal.aborted) return undefined;
      }
    },
    { pollMs: options.pollMs ?? 2_000, onListening: options.onListening },
  );
}

/** The newest event id, where `tail -f` and a stream start when asked for no history. */
export async function latestEventId(db: Executor): Promise<number> {
  return (await maxEventId(db)) ?? 0;
}
