// SQL for the notification tables (024). Functions take the executor first so that the dispatcher's reading,
// matching and enqueueing of one batch of events commit together.
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { updatedAny } from '../db/updated.ts';
import type {
  NotificationChannels,
  NotificationDeliveries,
  NotificationGroups,
  NotificationRules,
} from '../db/types.generated.ts';

export type ChannelRow = Selectable<NotificationChannels>;
export type RuleRow = Selectable<NotificationRules> & { channel_name: string };
export type DeliveryRow = Selectable<NotificationDeliveries> & { channel_name: string };
export type GroupRow = Selectable<NotificationGroups>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Channels

export async function insertChannel(
  db: Executor,
  values: Insertable<NotificationChannels>,
): Promise<ChannelRow> {
  return db.insertInto('notification_channels').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateChannelRow(
  db: Executor,
  id: string,
  values: Updateable<NotificationChannels>,
): Promise<ChannelRow | undefined> {
  return db
    .updateTable('notification_channels')
    .set({ ...values, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteChannelRow(db: Executor, id: string): Promise<ChannelRow | undefined> {
  return db.deleteFrom('notification_channels').where('id', '=', id).returningAll().executeTakeFirst();
}

/** By id or by name. */
export async function findChannelRow(
  db: Executor,
  ref: string,
  lock = false,
): Promise<ChannelRow | undefined> {
  let query = db
    .selectFrom('notification_channels')
    .selectAll()
    .where((eb) =>
      UUID.test(ref) ? eb.or([eb('id', '=', ref), eb('name', '=', ref)]) : eb('name', '=', ref),
    );
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function listChannelRows(db: Executor): Promise<ChannelRow[]> {
  return db.selectFrom('notification_channels').selectAll().orderBy('name').execute();
}

/** One failed attempt more; returns the count after it and whether the channel was already failing. */
export async function countChannelFailure(
  db: Executor,
  id: string,
  result: string,
): Promise<{ consecutive_failures: number; failing_since: Date | null } | undefined> {
  return db
    .updateTable('notification_channels')
    .set({
      consecutive_failures: sql<number>`consecutive_failures + 1`,
      last_delivery_at: sql<Date>`now()`,
      last_delivery_status: `failed: ${result}`.slice(0, 500),
    })
    .where('id', '=', id)
    .returning(['consecutive_failures', 'failing_since'])
    .executeTakeFirst();
}

export async function markChannelFailing(db: Executor, id: string): Promise<boolean> {
  return updatedAny(
    db
      .updateTable('notification_channels')
      .set({ failing_since: sql<Date>`now()` })
      .where('id', '=', id)
      .where('failing_since', 'is', null),
  );
}

/** A success: the failure count starts over; returns when the channel had been failing since (null: it was not). */
export async function countChannelSuccess(
  db: Executor,
  id: string,
  result: string,
): Promise<{ was_failing: Date | null } | undefined> {
  const { rows } = await sql<{ was_failing: Date | null }>`
    UPDATE notification_channels c
    SET consecutive_failures = 0, failing_since = NULL, last_delivery_at = now(),
        last_delivery_status = ${`sent: ${result}`.slice(0, 500)}
    FROM (SELECT id, failing_since FROM notification_channels WHERE id = ${id} FOR UPDATE) old
    WHERE c.id = old.id
    RETURNING old.failing_since AS was_failing`.execute(db);
  return rows[0];
}

export async function setLastDigest(db: Executor, id: string, at: Date): Promise<void> {
  await db.updateTable('notification_channels').set({ last_digest_at: at }).where('id', '=', id).execute();
}

/** The open notification_channel_failing events of a channel (by the channelId its context names). */
export async function openFailingEventIds(
  db: Executor,
  eventType: string,
  channelId: string,
): Promise<number[]> {
  const rows = await db
    .selectFrom('system_events')
    .select('id')
    .where('event_type', '=', eventType)
    .where('resolved', '=', false)
    .where(sql<string>`context->>'channelId'`, '=', channelId)
    .execute();
  return rows.map((r) => r.id);
}

// Rules

/** A rule with its channel's name. */
const rules = (db: Executor) =>
  db
    .selectFrom('notification_rules as r')
    .innerJoin('notification_channels as c', 'c.id', 'r.channel_id')
    .selectAll('r')
    .select('c.name as channel_name');

export async function insertRule(db: Executor, values: Insertable<NotificationRules>): Promise<string> {
  const row = await db
    .insertInto('notification_rules')
    .values(values)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function listRuleRows(db: Executor, channelId?: string): Promise<RuleRow[]> {
  let query = rules(db);
  if (channelId) query = query.where('r.channel_id', '=', channelId);
  return query.orderBy('c.name').orderBy('r.created_at').execute();
}

/** The rules of enabled channels: what the dispatcher matches events against. */
export async function activeRuleRows(db: Executor): Promise<RuleRow[]> {
  return rules(db).where('c.enabled', '=', true).execute();
}

export async function deleteRuleRow(db: Executor, id: string): Promise<RuleRow | undefined> {
  if (!UUID.test(id)) return undefined;
  const row = await rules(db).where('r.id', '=', id).executeTakeFirst();
  if (row) await db.deleteFrom('notification_rules').where('id', '=', id).execute();
  return row;
}

// The dispatcher's reading

/** Locks the dispatcher's place: dispatchers on several hosts take turns, each reading past the last. */
export async function lockWatermark(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('notification_dispatch_state')
    .select('last_event_id')
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row.last_event_id;
}

export async function setWatermark(db: Executor, lastEventId: number): Promise<void> {
  await db.updateTable('notification_dispatch_state').set({ last_event_id: lastEventId }).execute();
}

export interface DispatchEventRow extends EventBrief {
  /** From the event's account, else from its content (context.contentId). */
  niche_id: string | null;
}

/** Events past an id, oldest first, with the niche each belongs to where it has one (primary key scan). */
export async function eventsToDispatch(
  db: Executor,
  afterId: number,
  limit: number,
): Promise<DispatchEventRow[]> {
  const { rows } = await sql<DispatchEventRow>`
    SELECT e.id, e."timestamp", e.category, e.severity, e.event_type, e.device_id, e.account_id, e.message,
           coalesce(
             (SELECT a.niche_id FROM accounts a WHERE a.id = e.account_id),
             (SELECT c.niche_id FROM content c
              WHERE e.context->>'contentId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                AND c.id = (e.context->>'contentId')::uuid)
           ) AS niche_id
    FROM system_events e
    WHERE e.id > ${afterId}
    ORDER BY e.id
    LIMIT ${limit}`.execute(db);
  return rows;
}

/** Records that the dispatcher matched an event for a channel; false when it already had (a repeat). */
export async function insertMatch(
  db: Executor,
  channelId: string,
  eventId: number,
  disposition: 'sent' | 'grouped' | 'held',
): Promise<boolean> {
  const row = await db
    .insertInto('notification_matches')
    .values({ channel_id: channelId, event_id: eventId, disposition })
    .onConflict((oc) => oc.doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Which (channel, event) pairs among these events are already matched: `${channel_id}:${event_id}`. */
export async function matchedPairs(db: Executor, eventIds: number[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('notification_matches')
    .select(['channel_id', 'event_id'])
    .where('event_id', 'in', eventIds)
    .execute();
  return new Set(rows.map((r) => `${r.channel_id}:${r.event_id}`));
}

// Grouping

export async function findOpenGroup(
  db: Executor,
  channelId: string,
  groupKey: string,
  at: Date,
): Promise<GroupRow | undefined> {
  return db
    .selectFrom('notification_groups')
    .selectAll()
    .where('channel_id', '=', channelId)
    .where('group_key', '=', groupKey)
    .where('closes_at', '>', at)
    .orderBy('closes_at', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
}

export async function insertGroup(db: Executor, values: Insertable<NotificationGroups>): Promise<void> {
  await db.insertInto('notification_groups').values(values).execute();
}

export async function bumpGroup(db: Executor, id: number, eventId: number): Promise<void> {
  await db
    .updateTable('notification_groups')
    .set({ count: sql<number>`count + 1`, last_event_id: eventId })
    .where('id', '=', id)
    .execute();
}

/** Closed windows not yet summarised, locked for the caller (another dispatcher skips them). */
export async function takeClosedGroups(db: Executor, now: Date): Promise<GroupRow[]> {
  const rows = await db
    .selectFrom('notification_groups')
    .selectAll()
    .where('summarised', '=', false)
    .where('closes_at', '<=', now)
    .orderBy('closes_at')
    .limit(100)
    .forUpdate()
    .skipLocked()
    .execute();
  if (rows.length > 0)
    await db
      .updateTable('notification_groups')
      .set({ summarised: true })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
  return rows;
}

/** The events a group gathered after the one that went out at once. */
export async function groupedEventIds(db: Executor, group: GroupRow): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    SELECT m.event_id AS id FROM notification_matches m
    JOIN system_events e ON e.id = m.event_id
    WHERE m.channel_id = ${group.channel_id} AND m.disposition = 'grouped'
      AND e.event_type = ${group.event_type}
      AND m.event_id <= ${group.last_event_id}
      AND e."timestamp" >= ${group.opened_at} AND e."timestamp" < ${group.closes_at}
    ORDER BY m.event_id`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * Forgets what the dispatcher no longer needs: grouping windows summarised a day ago, and match rows older
 * than the longest a digest can look back (a week: a digest is at most a day apart, a stopped worker aside).
 * The delivery log stays: it is the record people read.
 */
export async function pruneDispatchState(db: Executor): Promise<{ groups: number; matches: number }> {
  const groups = await db
    .deleteFrom('notification_groups')
    .where('summarised', '=', true)
    .where('closes_at', '<', sql<Date>`now() - interval '1 day'`)
    .executeTakeFirst();
  const matches = await db
    .deleteFrom('notification_matches')
    .where('matched_at', '<', sql<Date>`now() - interval '7 days'`)
    .executeTakeFirst();
  return { groups: Number(groups.numDeletedRows), matches: Number(matches.numDeletedRows) };
}

// Digest

export interface DigestLine {
  event_id: number;
  timestamp: Date;
  severity: string;
  event_type: string;
  message: string;
  disposition: string;
  resolved_at: Date | null;
}

/** What a channel matched since a time (raised), and its matched events resolved since then. */
export async function digestLines(
  db: Executor,
  channelId: string,
  since: Date,
): Promise<{ raised: DigestLine[]; resolved: DigestLine[] }> {
  const raised = await sql<DigestLine>`
    SELECT e.id AS event_id, e."timestamp", e.severity, e.event_type, e.message, m.disposition, e.resolved_at
    FROM notification_matches m JOIN system_events e ON e.id = m.event_id
    WHERE m.channel_id = ${channelId} AND m.matched_at > ${since}
    ORDER BY e.id LIMIT 500`.execute(db);
  // Resolved by someone or by a condition that cleared, not info facts recorded already resolved.
  const resolved = await sql<DigestLine>`
    SELECT e.id AS event_id, e."timestamp", e.severity, e.event_type, e.message, m.disposition, e.resolved_at
    FROM notification_matches m JOIN system_events e ON e.id = m.event_id
    WHERE m.channel_id = ${channelId} AND e.resolved_at > ${since} AND e.severity <> 'info'
    ORDER BY e.resolved_at LIMIT 500`.execute(db);
  return { raised: raised.rows, resolved: resolved.rows };
}

// Deliveries

/** A delivery with its channel's name. */
const deliveries = (db: Executor) =>
  db
    .selectFrom('notification_deliveries as d')
    .innerJoin('notification_channels as c', 'c.id', 'd.channel_id')
    .selectAll('d')
    .select('c.name as channel_name');

export async function insertDelivery(
  db: Executor,
  values: Insertable<NotificationDeliveries>,
): Promise<number> {
  const row = await db
    .insertInto('notification_deliveries')
    .values(values)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findDelivery(db: Executor, id: number): Promise<DeliveryRow | undefined> {
  return deliveries(db).where('d.id', '=', id).executeTakeFirst();
}

export async function listDeliveryRows(
  db: Executor,
  filter: { channelId?: string; status?: string; beforeId?: number },
  limit: number,
): Promise<DeliveryRow[]> {
  let query = deliveries(db);
  if (filter.channelId) query = query.where('d.channel_id', '=', filter.channelId);
  if (filter.status) query = query.where('d.status', '=', filter.status);
  if (filter.beforeId !== undefined) query = query.where('d.id', '<', filter.beforeId);
  return query.orderBy('d.id', 'desc').limit(limit).execute();
}

export async function recordAttempt(
  db: Executor,
  id: number,
  values: { status: string; result: string; latencyMs: number | null },
): Promise<void> {
  await db
    .updateTable('notification_deliveries')
    .set({
      status: values.status,
      attempts: sql<number>`attempts + 1`,
      last_result: values.result.slice(0, 500),
      latency_ms: values.latencyMs,
      sent_at: values.status === 'sent' ? sql<Date>`now()` : null,
    })
    .where('id', '=', id)
    .execute();
}

export interface EventBrief {
  id: number;
  timestamp: Date;
  category: string;
  severity: string;
  event_type: string;
  device_id: string | null;
  account_id: string | null;
  message: string;
}

export async function eventBriefs(db: Executor, ids: number[]): Promise<EventBrief[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('system_events')
    .select(['id', 'timestamp', 'category', 'severity', 'event_type', 'device_id', 'account_id', 'message'])
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();
}
