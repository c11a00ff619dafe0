import { Option, type Command } from 'commander';
import { resolvers, type SystemEvent } from '../events/event-model.ts';
import { createEventNotifier } from '../events/event-notifier.ts';
import {
  eventFilter,
  followEvents,
  getEvent,
  latestEventId,
  queryEvents,
  resolveEvent,
  resolveEventFilters,
} from '../events/events-service.ts';
import type { Db } from '../db/pool.ts';
import { notFound } from '../errors.ts';
import { action } from './context.ts';
import { json, shortTime } from './format.ts';
import { parseInteger, parseList } from './parse.ts';
import { parseTime } from '../time.ts';
import { listCommand, listing, nextPage } from './read-command.ts';

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

/** The CLI's filters, its times parsed, as the events service reads them. */
const toQuery = (db: Db, o: FilterOptions) =>
  resolveEventFilters(
    db,
    {
      unresolved: o.unresolved,
      severity: o.severity,
      category: o.category,
      type: o.type,
      device: o.device,
      account: o.account,
      since: o.since ? parseTime('--since', o.since) : undefined,
      until: o.until ? parseTime('--until', o.until) : undefined,
    },
    '--',
  );

/** An event's number; one that is not a number names no event, like any other missing thing (exit 3). */
function eventId(id: string): number {
  const n = /^\d{1,15}$/.test(id) ? Number(id) : 0;
  if (n < 1) throw notFound('event', id);
  return n;
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
  listCommand(events, {
    spec: 'list',
    description: 'list events, newest first',
    options: withFilters,
    defaultLimit: 50,
    maxLimit: 1000,
    list: async (ctx, o: FilterOptions, page) => {
      const db = await ctx.db();
      const found = await queryEvents(db, { ...(await toQuery(db, o)), ...page });
      return listing(found.events, {
        asJson: found,
        empty: 'no events match',
        columns: ['id', 'time', 'severity', 'category', 'type', 'message', 'resolved'],
        row: (e) => [
          e.id,
          shortTime(e.timestamp),
          e.severity,
          e.category,
          e.eventType,
          e.message,
          e.resolved ? `${e.resolvedBy ?? ''} ${shortTime(e.resolvedAt)}` : '',
        ],
        more: nextPage(
          'sovi events list',
          {
            unresolved: o.unresolved,
            severity: o.severity?.join(','),
            category: o.category,
            type: o.type,
            device: o.device,
            account: o.account,
            since: o.since,
            until: o.until,
          },
          found.nextCursor,
        ),
      });
    },
  });

  events
    .command('show <id>')
    .description('one event, with its context')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: { json?: boolean }) => {
        const event = await getEvent(await ctx.db(), eventId(id));
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
        const event = await resolveEvent(await ctx.db(), eventId(id), {
          by: o.by,
          note: o.note,
          actor: ctx.config.actor,
        });
        ctx.print(
          `resolved #${event.id} (${event.eventType}) by ${event.resolvedBy ?? ''} at ${shortTime(event.resolvedAt)}`,
        );
      }),
    );
}
