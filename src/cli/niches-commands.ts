import { Option, type Command } from 'commander';
import { nicheStatuses, type Niche, type NicheStatus } from '../niches/niche-model.ts';
import { addNiche, getNiche, listNiches, updateNiche } from '../niches/niches-service.ts';
import { invalidInput } from '../errors.ts';
import { action } from './context.ts';
import { fields, json, shortTime } from './format.ts';
import { listCommand, listing, nextPage, readCommand } from './read-command.ts';
import { registerPostingScheduleCommands } from './posting-schedule-subcommands.ts';

interface UpdateNicheOptions {
  name?: string;
  newSlug?: string;
  tier?: string;
  status?: string;
  force?: boolean;
  json?: boolean;
}

const describe = (n: Niche): string =>
  fields([
    ['id', n.id],
    ['slug', n.slug],
    ['name', n.name],
    ['tier', n.tier ?? '-'],
    ['status', n.status],
    ['created', `${shortTime(n.createdAt)}   updated ${shortTime(n.updatedAt)}`],
  ]);

const tierOption = () => new Option('--tier <n>', 'how much the team invests in it: 1, 2… (none: unranked)');
/** --tier none clears it. */
const tierOf = (value: string | undefined) => (value === 'none' ? null : value);

export function registerNichesCommands(niches: Command): void {
  niches
    .command('add')
    .description('add a niche')
    .requiredOption('--name <name>', 'what people call it, e.g. "Personal finance"')
    .requiredOption('--slug <slug>', 'lower snake_case, unique, e.g. personal_finance')
    .addOption(tierOption())
    .addOption(new Option('--status <status>', 'default active').choices(nicheStatuses))
    .option('--json', 'print JSON')
    .action(
      action(
        async (ctx, o: { name: string; slug: string; tier?: string; status?: string; json?: boolean }) => {
          const niche = await addNiche(await ctx.db(), { ...o, tier: tierOf(o.tier) }, ctx.config.actor);
          ctx.print(o.json ? json(niche) : `added niche ${niche.slug} (${niche.id})`);
        },
      ),
    );

  listCommand(niches, {
    spec: 'list',
    description: 'niches by slug',
    options: (c) => c.addOption(new Option('--status <status>', 'only this status').choices(nicheStatuses)),
    defaultLimit: 100,
    maxLimit: 1_000,
    list: async (ctx, o: { status?: NicheStatus }, page) => {
      const found = await listNiches(await ctx.db(), { status: o.status, ...page });
      return listing(found.niches, {
        empty: 'no niches: add one with sovi niches add',
        columns: ['slug', 'name', 'tier', 'status', 'id'],
        row: (n) => [n.slug, n.name, n.tier ?? '-', n.status, n.id],
        more: nextPage('sovi niches list', { status: o.status }, found.nextCursor),
      });
    },
  });

  readCommand(niches, {
    spec: 'show <slug>',
    description: 'one niche, by slug or id',
    read: async (ctx, ref: string) => getNiche(await ctx.db(), ref, 'slug'),
    text: describe,
  });

  niches
    .command('update <slug>')
    .description('change a niche: its name, slug, tier or status')
    .option('--name <name>', 'a new name')
    .option('--new-slug <slug>', 'a new slug (lower snake_case, unique)')
    .addOption(tierOption())
    .addOption(new Option('--status <status>', 'active or inactive').choices(nicheStatuses))
    .option('--force', 'deactivate even though live accounts are in the niche')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, ref: string, o: UpdateNicheOptions) => {
        if ([o.name, o.newSlug, o.tier, o.status].every((v) => v === undefined)) {
          throw invalidInput('options', 'nothing to update: give --name, --new-slug, --tier or --status');
        }
        const niche = await updateNiche(
          await ctx.db(),
          ref,
          { name: o.name, slug: o.newSlug, tier: tierOf(o.tier), status: o.status, force: o.force },
          ctx.config.actor,
        );
        ctx.print(o.json ? json(niche) : `updated niche ${niche.slug}`);
      }),
    );

  registerPostingScheduleCommands(niches, 'niche');
}
