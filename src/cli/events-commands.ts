import { Option, type Command } from 'commander';
import { findAccount } from '../accounts/accounts-service.ts';
import { resolveDevice } from '../devices/devices-service.ts';
import { resolvers, type SystemEvent } from '../events/event-model.ts';
import { createEventNotifier } from '../events/event-notifier.ts';
import {
  eventFilter,
  followEvents,
  getEvent,
  latestEventId,
  queryEvents,
  resolveEvent,
  validateSeverities,
  type EventQuery,
} from '../events/events-service.ts';
import type { Db } from '../db/pool.ts';
import { action } from './context.ts';
import { json, shortTime, table } from './format.ts';
import { parseInteger, parseList } from './parse.ts';
import { parseTime } from '../time.ts';
import { pageOptions } from './read-command.ts';

interface FilterOptions {
  unresolved?: boolean;
  severity?: string[];
  category?: string;
  type?: string;
  device?: string;
  account?: string;
  since?: string;
  until?: string;
}

function withFilters(command: Command): Command {
  return command
    .option('--unresolved', 'only unresolved events')
    .option(
      '--severity <levels>',
      'only these severities (comma-separated: info, warning, error, critical)',
      parseList,
    )
    .option('--category <category>', 'only this category (scheduler, account, device, auth, …)')
    .option('--type <type>', 'only this event type (e.g. state_changed)')
    .option('--device <ref>', 'only events of this device (id, udid or name)')
    .option('--account <ref>', 'only events of this account (id, platform:username or username)')
    .option('--since <time>', 'from this time (ISO-8601, or a duration ago like 2h, 7d)')
    .option('--until <time>', 'before this time');
}

async function toQuery(db: Db, o: FilterOptions): Promise<EventQuery> {
  return {
    unresolved: o.unresolved,
    severity: validateSeverities(o.severity, '--severity'),
    category: o.category,
    type: o.type,
    deviceId: o.device ? await resolveDevice(db, o.device, '--device') : undefined,
    accountId: o.account ? (await findAccount(db, o.account)).id : undefined,
    since: o.since ? parseTime('--since', o.since) : undefined,
    until: o.until ? parseTime('--until', o.until) : undefined,
  };
}

const eventLine = (e: SystemEvent) =>
  [
    `#${e.id}`,
    shortTime(e.timestamp),
    e.severity.toUpperCase().padEnd(8),
    `${e.category}/${e.eventType}`,
    e.message,
    e.resolved ? `[resolved by ${e.resolvedBy ?? '?'}]` : '',
  ]
    .filter(Boolean)
    .join('  ');

export function registerEventsCommands(events: Command): void {
  pageOptions(withFilters(events.command('list').description('list events, newest first')), 50, 1000).action(
    action(async (ctx, o: FilterOptions & { limit?: number; after?: string; json?: boolean }) => {
      const { db } = await ctx.database();
      const page = await queryEvents(db, { ...(await toQuery(db, o)), limit: o.limit, after: o.after });
      if (o.json) {
        ctx.print(json(page));
        return;
      }
      ctx.print(
        page.events.length === 0
          ? 'no events match'
          : table(
              ['id', 'time', 'severity', 'category', 'type', 'message', 'resolved'],
              page.events.map((e) => [
                e.id,
                shortTime(e.timestamp),
                e.severity,
                e.category,
                e.eventType,
                e.message,
                e.resolved ? `${e.resolvedBy ?? ''} ${shortTime(e.resolvedAt)}` : '',
              ]),
            ),
      );
      if (page.nextCursor) ctx.print(`more: --after ${page.nextCursor}`);
    }),
  );

  events
    .command('show <id>')
    .description('one event, with its context')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: { json?: boolean }) => {
        const event = await getEvent(
          (await ctx.database()).db,
          parseInteger('id', id, 1, Number.MAX_SAFE_INTEGER),
        );
        ctx.print(o.json ? json(event) : `${eventLine(event)}\n${json(event.context)}`);
      }),
    );

  withFilters(
    events.command('tail').description('the latest events; with -f, keep printing new ones until Ctrl-C'),
  )
    .option('-f, --follow', 'keep following new events')
    .option('-n, --lines <n>', 'how many recent events to print first (default 20)', (v) =>
      parseInteger('--lines', v, 0, 1000),
    )
    .option('--json', 'one JSON object per line')
    .action(
      action(
        async (ctx, o: FilterOptions & { follow?: boolean; lines?: number; json?: boolean }) => {
          const database = await ctx.database();
          const query = await toQuery(database.db, o);
          const print = (e: SystemEvent) => ctx.print(o.json ? JSON.stringify(e) : eventLine(e));
          const recent = (await queryEvents(database.db, { ...query, limit: Math.max(1, o.lines ?? 20) }))
            .events;
          if ((o.lines ?? 20) > 0) for (const e of [...recent].reverse()) print(e);
          if (!o.follow) return;
          const from = Math.max(recent[0]?.id ?? 0, await latestEventId(database.db));
          const controller = new AbortController();
          void ctx.untilStopped().then(() => controller.abort());
          // One follower: a listening connection of its own.
          const notifier = createEventNotifier(database.pool, ctx.logger);
          try {
            await followEvents(database.db, eventFilter(query), from, print, controller.signal, {
              subscribe: notifier.subscribe,
              onListening: () => process.stderr.write('following new events (Ctrl-C to stop)\n'),
            });
          } finally {
            await notifier.close();
          }
        },
        { longRunning: true },
      ),
    );

  events
    .command('resolve <id>')
    .description('mark an event resolved, saying by whom and why')
    .addOption(new Option('--by <resolver>', 'who resolved it').choices(resolvers).makeOptionMandatory())
    .option('--note <text>', 'what was done')
    .action(
      action(async (ctx, id: string, o: { by: string; note?: string }) => {
        const event = await resolveEvent(
          (await ctx.database()).db,
          parseInteger('id', id, 1, Number.MAX_SAFE_INTEGER),
          {
            by: o.by,
            note: o.note,
            actor: ctx.config.actor,
          },
        );
        ctx.print(
          `resolved #${event.id} (${event.eventType}) by ${event.resolvedBy ?? ''} at ${shortTime(event.resolvedAt)}`,
        );
      }),
    );
}
