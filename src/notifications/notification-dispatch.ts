// The dispatcher's work, one batch at a time: read the events past its watermark, match them against the
// rules of enabled channels, and queue deliveries, all in one transaction with the watermark's move. The
// watermark row is locked for the batch, so dispatchers on several hosts take turns; a crash rolls the whole
// batch back, and the (channel, event) match rows make a repeat a no-op. Also: summaries of grouping windows
// that closed, and the daily digests.
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
  // A repeat (a batch read again after a crash between send and commit cannot happen, but a second
  // dispatcher on an old watermark could): the match row already exists, nothing more to do.
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
    event_ids: [event.id],
    group_key: key,
    count: 1,
    body: JSON.stringify(alertMessage(event, key, channel.group_window_seconds)),
  });
}

/** Dispatches the next batch of events; returns how many events it read (0: caught up). */
export async function dispatchBatch(db: Executor, sink: DeliverySink, now = new Date()): Promise<number> {
  return inTransaction(db, async (trx) => {
    const watermark = await lockWatermark(trx);
    const events = await eventsToDispatch(trx, watermark, BATCH);
    if (events.length === 0) return 0;
    const rules = await activeRuleRows(trx);
    const channels = new Map((await listChannelRows(trx)).map((c) => [c.id, c]));
    const queued: number[] = [];
    for (const event of events) {
      const matched = new Set(rules.filter((r) => ruleMatches(r, event)).map((r) => r.channel_id));
      for (const channelId of matched) {
        const channel = channels.get(channelId);
        if (!channel) continue;
        const id = await routeEvent(trx, channel, event, now);
        if (id !== undefined) queued.push(id);
      }
    }
    await setWatermark(trx, events.at(-1)!.id);
    await sink.enqueue(trx, queued);
    return events.length;
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
          event_ids: ids,
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
        event_ids: raised.map((r) => r.event_id),
        count: raised.length,
        body: JSON.stringify(digestMessage(channel.name, since, raised, resolved)),
      });
      await sink.enqueue(trx, [id]);
      return 1;
    });
  }
  return sent;
}
