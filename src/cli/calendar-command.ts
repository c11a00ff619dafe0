// `sovi calendar`: posts by their time (when they went out, else their slot) in a range, with what each is
// waiting for; the same read as GET /api/v1/calendar.
import type { Command } from 'commander';
import { resolveAccount } from '../accounts/accounts-service.ts';
import { listCalendar } from '../distributions/calendar-reads.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { platforms, type Platform } from '../platforms.ts';
import { parseTime } from '../time.ts';
import { action } from './context.ts';
import { json, shortTime, table } from './format.ts';
import { parseChoice } from './parse.ts';

interface CalendarOptions {
  from?: string;
  to?: string;
  account?: string;
  niche?: string;
  platform?: Platform;
  json?: boolean;
}

export function registerCalendarCommand(calendar: Command): void {
  calendar
    .option('--from <time>', 'from (ISO-8601, or a duration ago like 1d); default the start of today, UTC')
    .option('--to <time>', 'until (ISO-8601); default 7 days after --from')
    .option('--account <ref>', 'only this account (id, platform:username or username)')
    .option('--niche <slug>', 'only this niche')
    .option('--platform <platform>', `only this platform (${platforms.join(', ')})`, (v) =>
      parseChoice('--platform', v, platforms),
    )
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: CalendarOptions) => {
        const db = await ctx.db();
        const found = await listCalendar(db, {
          from: o.from === undefined ? undefined : parseTime('--from', o.from),
          to: o.to === undefined ? undefined : parseTime('--to', o.to),
          accountId: o.account === undefined ? undefined : await resolveAccount(db, o.account, '--account'),
          nicheId: o.niche === undefined ? undefined : await resolveNiche(db, o.niche, '--niche'),
          platform: o.platform,
        });
        if (o.json) return ctx.print(json(found));
        const range = `${shortTime(found.from)} – ${shortTime(found.to)}`;
        if (found.entries.length === 0) return ctx.print(`nothing on the calendar ${range}`);
        ctx.print(
          [
            table(
              ['when', 'state', 'account', 'niche', 'topic', 'distribution'],
              found.entries.map((e) => [
                shortTime(e.at),
                e.state,
                `${e.platform}:${e.username}`,
                e.nicheSlug,
                e.topic,
                e.id,
              ]),
            ),
            ...(found.truncated ? ['(more posts in the range: narrow it)'] : []),
          ].join('\n'),
        );
      }),
    );
}
