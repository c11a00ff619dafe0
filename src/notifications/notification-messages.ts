// What each kind of delivery says, fixed when it is queued (kept in the delivery's body): an alert for one
// event, the summary of a grouping window that closed, the daily digest, and a test.
import type { DispatchEventRow, DigestLine, GroupRow } from './notifications-repository.ts';

export interface MessageBody {
  subject: string;
  text: string;
  lines: string[];
  data: Record<string, unknown>;
  [key: string]: unknown;
}

const subjectOf = (severity: string, eventType: string) => `[sovi] ${severity}: ${eventType}`;

function eventData(e: DispatchEventRow) {
  return {
    id: e.id,
    timestamp: e.timestamp,
    category: e.category,
    severity: e.severity,
    eventType: e.event_type,
    deviceId: e.device_id,
    accountId: e.account_id,
    nicheId: e.niche_id,
    message: e.message,
  };
}

export function alertMessage(
  event: DispatchEventRow,
  groupKey: string | null,
  windowSeconds: number,
): MessageBody {
  const grouping = groupKey
    ? `Repeats of ${event.event_type} for the same ${groupKey.split(':')[1]} in the next ${Math.round(windowSeconds / 60)} min are counted, not sent again.`
    : null;
  const lines = [
    `*${event.severity}* ${event.event_type}: ${event.message}`,
    ...(grouping ? [grouping] : []),
  ];
  return {
    subject: subjectOf(event.severity, event.event_type),
    text: [
      `${event.severity} ${event.event_type}: ${event.message}`,
      `event ${event.id} at ${event.timestamp.toISOString()}`,
      ...(grouping ? [grouping] : []),
    ].join('\n'),
    lines,
    data: { events: [eventData(event)], group: groupKey ? { key: groupKey, count: 1 } : null },
  };
}

export function summaryMessage(group: GroupRow, eventIds: number[]): MessageBody {
  const more = group.count - 1;
  const text = `${group.event_type} for ${group.group_key.split(':').slice(1).join(' ')}: ${group.count} in all between ${group.opened_at.toISOString()} and ${group.closes_at.toISOString()} (${more} after the first, which was sent)`;
  return {
    subject: `${subjectOf(group.severity, group.event_type)} ×${group.count}`,
    text,
    lines: [text],
    data: { events: eventIds.map((id) => ({ id })), group: { key: group.group_key, count: group.count } },
  };
}

export function digestMessage(
  channelName: string,
  since: Date,
  raised: DigestLine[],
  resolved: DigestLine[],
): MessageBody {
  const line = (d: DigestLine) => `${d.severity} ${d.event_type}: ${d.message} (event ${d.event_id})`;
  const held = raised.filter((d) => d.disposition !== 'sent');
  const lines = [
    `Raised since ${since.toISOString()}: ${raised.length} (${held.length} not sent at the time)`,
    ...raised.map((d) => `• ${line(d)}${d.disposition === 'sent' ? '' : ` [${d.disposition}]`}`),
    `Resolved: ${resolved.length}`,
    ...resolved.map((d) => `• ${line(d)}`),
  ];
  return {
    subject: `[sovi] digest for ${channelName}: ${raised.length} raised, ${resolved.length} resolved`,
    text: lines.join('\n'),
    lines,
    data: {
      since,
      raised: raised.map((d) => ({
        id: d.event_id,
        severity: d.severity,
        eventType: d.event_type,
        disposition: d.disposition,
      })),
      resolved: resolved.map((d) => ({ id: d.event_id, severity: d.severity, eventType: d.event_type })),
    },
  };
}

export function testMessage(channelName: string, actor: string): MessageBody {
  const text = `A test of the notification channel ${channelName}, sent by ${actor}. If you read this, it works.`;
  return { subject: `[sovi] test of ${channelName}`, text, lines: [text], data: { test: true } };
}
