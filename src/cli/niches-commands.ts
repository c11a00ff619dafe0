import { Option, type Command } from 'commander';
import { nicheStatuses, type Niche } from '../niches/niche-model.ts';
import { addNiche, getNiche, listNiches, updateNiche } from '../niches/niches-service.ts';
import { invalidInput } from '../errors.ts';
import { action } from './context.ts';
import { json, shortTime, table } from './format.ts';
import { pageOptions, readCommand } from './read-command.ts';

const describe = (n: Niche): string =>
  [
    `id        ${n.id}`,
    `slug      ${n.slug}`,
    `name      ${n.name}`,
    `tier      ${n.tier ?? '-'}`,
    `status    ${n.status}`,
    `created   ${shortTime(n.createdAt)}   updated ${shortTime(n.updatedAt)}`,
  ].join('\n');

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
          const niche = await addNiche(
            (await ctx.database()).db,
            { ...o, tier: tierOf(o.tier) },
            ctx.config.actor,
          );
          ctx.print(o.json ? json(niche) : `added niche ${niche.slug} (${niche.id})`);
        },
      ),
    );

  pageOptions(
    niches
      .command('list')
      .description('niches by slug')
      .addOption(new Option('--status <status>', 'only this status').choices(nicheStatuses)),
    100,
    1_000,
  ).action(
    action(
      async (
        ctx,
        o: { status?: (typeof nicheStatuses)[number]; limit?: number; after?: string; json?: boolean },
      ) => {
        const page = await listNiches((await ctx.database()).db, {
          status: o.status,
          after: o.after,
          limit: o.limit ?? 100,
        });
        if (o.json) return ctx.print(json(page.niches));
        ctx.print(
          page.niches.length === 0
            ? 'no niches: add one with sovi niches add'
            : table(
                ['slug', 'name', 'tier', 'status', 'id'],
                page.niches.map((n) => [n.slug, n.name, n.tier ?? '-', n.status, n.id]),
              ),
        );
        if (page.nextCursor) process.stderr.write(`more: sovi niches list --after ${page.nextCursor}\n`);
      },
    ),
  );

  readCommand(niches, {
    spec: 'show <slug>',
    description: 'one niche, by slug or id',
    read: async (ctx, ref: string) => getNiche((await ctx.database()).db, ref, 'slug'),
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
      action(
        async (
          ctx,
          ref: string,
          o: {
            name?: string;
            newSlug?: string;
            tier?: string;
            status?: string;
            force?: boolean;
            json?: boolean;
          },
        ) => {
          if ([o.name, o.newSlug, o.tier, o.status].every((v) => v === undefined)) {
            throw invalidInput('options', 'nothing to update: give --name, --new-slug, --tier or --status');
          }
          const niche = await updateNiche(
            (await ctx.database()).db,
            ref,
            { name: o.name, slug: o.newSlug, tier: tierOf(o.tier), status: o.status, force: o.force },
            ctx.config.actor,
          );
          ctx.print(o.json ? json(niche) : `updated niche ${niche.slug}`);
        },
      ),
    );
}
