// The event inbox for agents: what is open, one event in full (its device, account, content and runbook),
// and resolving one with a note, stored as resolved by `llm_agent` with the agent's name.
import { z } from 'zod';
import { getAccount } from '../accounts/accounts-service.ts';
import { getContent } from '../content/content-service.ts';
import { findDeviceById } from '../devices/devices-service.ts';
import { severities } from '../events/event-model.ts';
import { getEvent, queryEvents, resolveEvent, resolveEventFilters } from '../events/events-service.ts';
import { runbookFor } from '../events/runbooks.ts';
import { parseTime } from '../time.ts';
import { SoviError } from '../errors.ts';
import { accountDeps, eventId, limit, ref } from './tool-args.ts';
import { defineTool, type ToolContext } from './tool-kit.ts';

/** Something outside the caller's niches reads as absent, as in the API. */
async function orAbsent<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof SoviError && err.code === 'not_found') return null;
    throw err;
  }
}

const time = (field: string) =>
  z.string().max(100).optional().describe(`${field}: ISO-8601, or a duration ago such as 2h or 7d`);

export const eventTools = [
  defineTool({
    name: 'list_events',
    title: 'List events',
    description:
      'The event inbox, newest first: unresolved events unless includeResolved is true. Use it first to see ' +
      'what needs attention; filter by severity, category, type, device or account. Pass nextCursor back as ' +
      '`after` for older events.',
    action: 'read',
    input: {
      severity: z.array(z.enum(severities)).optional().describe('only these severities'),
      category: z.string().max(100).optional().describe('e.g. device, account, content, scheduler'),
      type: z.string().max(100).optional().describe('event type, e.g. battery_low'),
      device: ref.optional().describe('device id, udid or name'),
      account: ref.optional().describe('account id, platform:username or username'),
      since: time('since'),
      includeResolved: z.boolean().optional().describe('resolved events too (default false)'),
      after: z.string().max(200).optional().describe('the nextCursor of the previous page'),
      limit,
    },
    async run(ctx, a) {
      const filters = await resolveEventFilters(ctx.db, {
        unresolved: a.includeResolved === true ? undefined : true,
        severity: a.severity,
        category: a.category,
        type: a.type,
        device: a.device,
        account: a.account,
        since: a.since === undefined ? undefined : parseTime('since', a.since),
      });
      return queryEvents(ctx.db, { ...filters, after: a.after, limit: a.limit ?? 20 });
    },
  }),
  defineTool({
    name: 'get_event',
    title: 'One event in full',
    description:
      'One event with its device, its account (never secrets), its content when it names one, and the ' +
      'runbook for its type (what it means, what usually fixes it, which tool does that). Use it before ' +
      'deciding what to do about an event.',
    action: 'read',
    input: { id: eventId },
    run: (ctx, a) => eventInFull(ctx, a.id),
  }),
  defineTool({
    name: 'resolve_event',
    title: 'Resolve an event',
    description:
      'Marks an open event resolved, by you (stored as llm_agent with your name), with a note saying what ' +
      'was done or found. Use it after the fix, or when the event needs nothing; never to hide a problem.',
    action: 'events.resolve',
    input: {
      id: eventId,
      note: z.string().trim().min(1).max(2000).describe('what was done or found: required'),
    },
    run: (ctx, a) =>
      resolveEvent(ctx.db, a.id, {
        by: 'llm_agent',
        note: a.note,
        actor: ctx.caller.actor,
      }),
  }),
];

export async function eventInFull(ctx: ToolContext, id: number) {
  const event = await getEvent(ctx.db, id);
  const contentId = typeof event.context.contentId === 'string' ? event.context.contentId : undefined;
  return {
    event,
    device: event.deviceId ? ((await findDeviceById(ctx.db, event.deviceId)) ?? null) : null,
    account: event.accountId
      ? await orAbsent(() => getAccount(accountDeps(ctx), event.accountId as string))
      : null,
    content: contentId ? await orAbsent(() => getContent(ctx.db, contentId, ctx.caller.scope)) : null,
    runbook: runbookFor(event.eventType),
  };
}
