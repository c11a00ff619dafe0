// `sovi niches schedule` and `sovi accounts schedule`: posting windows in a time zone. A niche's schedule is
// the default of its accounts; an account's own overrides it; with neither, an account posts as soon as its
// cadence allows.
import type { Command } from 'commander';
import {
  removePostingSchedule,
  setPostingSchedule,
  showPostingSchedule,
  type PostingSchedule,
  type ScheduleRef,
} from '../distributions/posting-schedules-service.ts';
import { action } from './context.ts';
import { json } from './format.ts';
import { parseInteger, parseList } from './parse.ts';

interface ScheduleOptions {
  tz: string;
  windows: string[];
  maxPerDay?: number;
  minGap?: number;
  json?: boolean;
}

const describe = (s: PostingSchedule | null) =>
  s
    ? `${s.windows.join(', ')} ${s.timeZone}; at most ${s.maxPerDay} a day, ${s.minGapMinutes} min apart (${s.scope}'s)`
    : 'none: posts go out as soon as the cadence allows';

export function registerPostingScheduleCommands(group: Command, owner: 'niche' | 'account'): void {
  const ref = (value: string): ScheduleRef => (owner === 'niche' ? { niche: value } : { account: value });
  const what = owner === 'niche' ? '<niche>' : '<account>';
  const schedule = group
    .command('schedule')
    .description(
      owner === 'niche'
        ? 'posting windows of a niche (the default of its accounts): show, set, remove'
        : 'posting windows of one account (overriding its niche’s): show, set, remove',
    );

  schedule
    .command(`show ${what}`)
    .description('the stored schedule, and the one posts are placed by')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, value: string, o: { json?: boolean }) => {
        const found = await showPostingSchedule(await ctx.db(), ref(value));
        ctx.print(
          o.json
            ? json(found)
            : [`own        ${describe(found.own)}`, `effective  ${describe(found.effective)}`].join('\n'),
        );
      }),
    );

  schedule
    .command(`set ${what}`)
    .description('set the posting windows (posts already scheduled keep their slots)')
    .requiredOption('--tz <zone>', 'IANA time zone, e.g. Europe/Berlin')
    .requiredOption('--windows <times>', 'local times, comma-separated, e.g. 09:00,18:30', parseList)
    .option('--max-per-day <n>', 'posts per local day (default: one per window)', (v) =>
      parseInteger('--max-per-day', v, 1, 100),
    )
    .option('--min-gap <minutes>', 'minutes between two posts (default 0)', (v) =>
      parseInteger('--min-gap', v, 0, 10_080),
    )
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, value: string, o: ScheduleOptions) => {
        const set = await setPostingSchedule(
          await ctx.db(),
          ref(value),
          { timeZone: o.tz, windows: o.windows, maxPerDay: o.maxPerDay, minGapMinutes: o.minGap },
          ctx.config.actor,
        );
        ctx.print(o.json ? json(set) : `${value}: ${describe(set)}`);
      }),
    );

  schedule
    .command(`remove ${what}`)
    .description(
      owner === 'niche'
        ? 'remove it: accounts without their own post as their cadence allows'
        : 'remove it: the account posts by its niche’s schedule',
    )
    .action(
      action(async (ctx, value: string) => {
        await removePostingSchedule(await ctx.db(), ref(value), ctx.config.actor);
        ctx.print(`removed the posting schedule of ${value}`);
      }),
    );
}
