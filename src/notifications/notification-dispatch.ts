// The dispatcher's work, one batch at a time: read the events past its watermark, match them against the
// rules of enabled channels, and queue deliveries, all in one transaction with the watermark's move. The
// watermark row is locked for the batch, so dispatchers on several hosts take turns; a crash rolls the whole
// batch back, and the (channel, event) match rows make a repeat a no-op. Also: summaries of grouping windows
// that closed, and the daily digests.
//
// Event ids are taken when a transaction inserts, not when it commits: an event may become visible after
// one with a higher id. So the watermark never passes a gap in the ids while the gap is young (GAP_WAIT_MS):
// the events past it are dispatched at once, read again on the next batches until the gap fills or ages out
// (a rolled-back insert leaves a gap for good), and the match rows keep them from being sent twice.
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { severities, type Severity } from '../events/event-model.ts';
import { digestDue, inQuietHours } from './local-time.ts';
import { alertMessage, digestMessage, summaryMessage } from './notification-messages.ts';
import {
  activeRuleRows,
  bumpGroup,
  digestLines,
  eventsToDispatch,
  findChannelRow,
  findOpenGroup,
  groupedEventIds,
  insertDelivery,
  insertGroup,
  insertMatch,
  listChannelRows,
  lockWatermark,
  matchedPairs,
  pruneDispatchState,
  setLastDigest,
  setWatermark,
  takeClosedGroups,
  type ChannelRow,
  type DispatchEventRow,
  type RuleRow,
} from './notifications-repository.ts';

/** Where queued deliveries go: the job engine's queue, in the dispatcher's transaction. */
export interface DeliverySink {
  enqueue(trx: Executor, deliveryIds: number[]): Promise<void>;
}

const BATCH = 200;
/** How long a gap in the event ids may be an insert still in flight before it counts as rolled back. */
export const GAP_WAIT_MS = 30_000;

const rank = (s: string) => severities.indexOf(s as Severity);

export function ruleMatches(rule: RuleRow, event: DispatchEventRow): boolean {
  if (rank(event.severity) < rank(rule.min_severity)) return false;
  if (rule.categories?.length && !rule.categories.includes(event.category)) return false;
  if (rule.event_types?.length && !rule.event_types.includes(event.event_type)) return false;
  if (rule.niche_ids?.length && (!event.niche_id || !rule.niche_ids.includes(event.niche_id))) return false;
  return true;
}

/** The same type for the same device (or else account) is one group; an event about neither is never grouped. */
export function groupKeyOf(event: DispatchEventRow): string | null {
  if (event.device_id) return `${event.event_type}:device:${event.device_id}`;
  if (event.account_id) return `${event.event_type}:account:${event.account_id}`;
  return null;
}

/**
 * The id the watermark may move to after reading `events` (oldest first) past `watermark`: the end of the
 * read, or the last id before the first gap that is still young (the event after it is recent).
 */
export function settledThrough(
  watermark: number,
  events: readonly { id: number; timestamp: Date }[],
  now: Date,
  gapWaitMs = GAP_WAIT_MS,
): number {
  let settled = watermark;
  for (const event of events) {
    if (event.id !== settled + 1 && now.getTime() - event.timestamp.getTime() < gapWaitMs) return settled;
    settled = event.id;
  }
  return settled;
}

async function routeEvent(
  trx: Executor,
  channel: ChannelRow,
  event: DispatchEventRow,
  now: Date,
): Promise<number | undefined> {
  const quiet = { start: channel.quiet_start ?? '', end: channel.quiet_end ?? '' };
  const held =
    event.severity !== 'critical' && inQuietHours(now, channel.time_zone, channel.quiet_start ? quiet : null);
  const key = groupKeyOf(event);
  const group = !held && key ? await findOpenGroup(trx, channel.id, key, event.timestamp) : undefined;
  const disposition = held ? 'held' : group ? 'grouped' : 'sent';
  // The match row is the dedupe: when it exists already (an event read again past a gap), nothing more.
  if (!(await insertMatch(trx, channel.id, event.id, disposition))) return undefined;
  if (held) return undefined;
  if (group) {
    await bumpGroup(trx, group.id, event.id);
    return undefined;
  }
  if (key) {
    await insertGroup(trx, {
      channel_id: channel.id,
      group_key: key,
      event_type: event.event_type,
      severity: event.severity,
      opened_at: event.timestamp,
      closes_at: new Date(event.timestamp.getTime() + channel.group_window_seconds * 1000),
      last_event_id: event.id,
    });
  }
  return insertDelivery(trx, {
    channel_id: channel.id,
    kind: 'alert',
    event_ids: JSON.stringify([event.id]),
    group_key: key,
    count: 1,
    body: JSON.stringify(alertMessage(event, key, channel.group_window_seconds)),
  });
}

/**
 * Dispatches the next batch of events. `more`: the watermark moved through a full batch, so read again at
 * once; otherwise wait for the next notification or poll.
 */
export async function dispatchBatch(
  db: Executor,
  sink: DeliverySink,
  now = new Date(),
): Promise<{ read: number; more: boolean }> {
  return inTransaction(db, async (trx) => {
    const watermark = await lockWatermark(trx);
    const events = await eventsToDispatch(trx, watermark, BATCH);
    if (events.length === 0) return { read: 0, more: false };
    const rules = await activeRuleRows(trx);
    const queued: number[] = [];
    if (rules.length > 0) {
      const channels = new Map((await listChannelRows(trx)).map((c) => [c.id, c]));
      const done = await matchedPairs(
        trx,
        events.map((e) => e.id),
      );
      for (const event of events) {
        const matched = new Set(rules.filter((r) => ruleMatches(r, event)).map((r) => r.channel_id));
        for (const channelId of matched) {
          const channel = channels.get(channelId);
          if (!channel || done.has(`${channelId}:${event.id}`)) continue;
          const id = await routeEvent(trx, channel, event, now);
          if (id !== undefined) queued.push(id);
        }
      }
    }
    const settled = settledThrough(watermark, events, now);
    if (settled > watermark) await setWatermark(trx, settled);
    await sink.enqueue(trx, queued);
    return { read: events.length, more: settled === events.at(-1)!.id && events.length === BATCH };
  });
}

/**
 * Summarises the grouping windows that closed with more than their first event. A channel in quiet hours
 * leaves it to the digest, which lists every grouped event.
 */
export async function summariseClosedGroups(
  db: Executor,
  sink: DeliverySink,
  now = new Date(),
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const groups = await takeClosedGroups(trx, now);
    const queued: number[] = [];
    for (const group of groups) {
      if (group.count < 2) continue;
      const channel = await findChannelRow(trx, group.channel_id);
      if (!channel?.enabled) continue;
      const quiet = channel.quiet_start ? { start: channel.quiet_start, end: channel.quiet_end ?? '' } : null;
      if (group.severity !== 'critical' && inQuietHours(now, channel.time_zone, quiet)) continue;
      const ids = await groupedEventIds(trx, group);
      queued.push(
        await insertDelivery(trx, {
          channel_id: channel.id,
          kind: 'summary',
          event_ids: JSON.stringify(ids),
          group_key: group.group_key,
          count: group.count,
          body: JSON.stringify(summaryMessage(group, ids)),
        }),
      );
    }
    await sink.enqueue(trx, queued);
    return queued.length;
  });
}

/** Queues the digest of each enabled channel whose digest time came round; returns how many. */
export async function sendDueDigests(db: Executor, sink: DeliverySink, now = new Date()): Promise<number> {
  let sent = 0;
  for (const candidate of await listChannelRows(db)) {
    if (
      !candidate.enabled ||
      !digestDue(now, candidate.last_digest_at, candidate.time_zone, candidate.digest_time)
    )
      continue;
    sent += await inTransaction(db, async (trx) => {
      // Locked and checked again: another host's dispatcher may have just sent it.
      const channel = await findChannelRow(trx, candidate.id, true);
      if (!channel || !digestDue(now, channel.last_digest_at, channel.time_zone, channel.digest_time))
        return 0;
      const since = channel.last_digest_at;
      const { raised, resolved } = await digestLines(trx, channel.id, since);
      await setLastDigest(trx, channel.id, now);
      if (raised.length === 0 && resolved.length === 0) return 0;
      const id = await insertDelivery(trx, {
        channel_id: channel.id,
        kind: 'digest',
        event_ids: JSON.stringify(raised.map((r) => r.event_id)),
        count: raised.length,
        body: JSON.stringify(digestMessage(channel.name, since, raised, resolved)),
      });
      await sink.enqueue(trx, [id]);
      return 1;
    });
  }
  return sent;
}

export const pruneNotifications = (db: Executor): Promise<{ groups: number; matches: number }> =>
  pruneDispatchState(db);
