// The activity log: the one way in for every domain. Details are redacted like event context. Most audited
// changes want both an event (someone may need to act, or the change is worth a line in the inbox) and an
// activity row (the account's or device's history): recordEventWithActivity writes the two together, in
// the caller's transaction.
import type { Executor } from '../db/executor.ts';
import type { NewEvent, SystemEvent } from '../events/event-model.ts';
import { recordEvent } from '../events/events-service.ts';
import { redactContext } from '../redact.ts';
import { insertActivityRows, type ActivityRow } from './activity-repository.ts';

export type { ActivityRow } from './activity-repository.ts';

export async function recordActivity(db: Executor, rows: ActivityRow[]): Promise<void> {
  await insertActivityRows(
    db,
    rows.map((r) => ({ ...r, detail: redactContext(r.detail) as Record<string, unknown> })),
  );
}

/**
 * Records an event and the matching activity row: the event's account and device, its type as the action,
 * and its context as the detail unless `detail` says otherwise.
 */
export async function recordEventWithActivity(
  db: Executor,
  event: NewEvent,
  detail: Record<string, unknown> = event.context ?? {},
): Promise<SystemEvent> {
  const recorded = await recordEvent(db, event);
  await recordActivity(db, [
    {
      account_id: event.accountId ?? null,
      device_id: event.deviceId ?? null,
      action_type: event.eventType,
      detail,
    },
  ]);
  return recorded;
}
