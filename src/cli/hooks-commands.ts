import path from 'node:path';
import type { Command } from 'commander';
import { getHookWithPosteriors, listHooksPage } from '../hooks/hooks-reads.ts';
import { addHook, importHooks } from '../hooks/hooks-service.ts';
import { action } from './context.ts';
import { fields, json } from './format.ts';
import { parseNumber, readFileArgument } from './parse.ts';
import { platforms } from '../platforms.ts';
import { listCommand, listing, nextPage, readCommand } from './read-command.ts';

interface AddHookOptions {
  category: string;
  template: string;
  niche?: string;
  score?: number;
  json?: boolean;
}

export function registerHooksCommands(hooks: Command): void {
  hooks
    .command('add')
    .description('add a hook template; {topic} and {niche} are filled in when it is used')
    .requiredOption('--category <category>', 'snake_case, e.g. curiosity_gap, bold_claim')
    .requiredOption('--template <text>', 'e.g. "Nobody talks about {topic}, and it shows."')
    .option('--niche <slug>', 'only for this niche (default: any niche)')
    .option('--score <0-1>', 'a prior for how well it will do, until posts say otherwise', (v) =>
      parseNumber('--score', v, 0, 1),
    )
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: AddHookOptions) => {
        const hook = await addHook(
          await ctx.db(),
          {
            category: o.category,
            template: o.template,
            niche: o.niche,
            effectivenessScore: o.score,
          },
          ctx.config.actor,
        );
        ctx.print(o.json ? json(hook) : `added hook ${hook.id} (${hook.category})`);
      }),
    );

  hooks
    .command('import <file>')
    .description('import hooks from CSV (category, template, niche, effectiveness_score): all or none')
    .action(
      action(async (ctx, file: string) => {
        const text = await readFileArgument(file);
        const result = await importHooks(await ctx.db(), text, path.basename(file), ctx.config.actor);
        ctx.print(`imported ${result.imported} hooks from ${file}`);
      }),
    );

  listCommand(hooks, {
    spec: 'list',
    description: 'hooks with their use counts and what is known of how they do',
    options: (c) =>
      c.option('--niche <slug>', 'only this niche').option('--category <category>', 'only this category'),
    defaultLimit: 100,
    list: async (ctx, o: { niche?: string; category?: string }, page) => {
      const found = await listHooksPage(
        await ctx.db(),
        { niche: o.niche, category: o.category, ...page },
        '--',
      );
      return listing(found.hooks, {
        empty: 'no hooks: add one with sovi hooks add',
        columns: ['id', 'category', 'niche', 'used', 'score', ...platforms, 'template'],
        row: (h) => [
          h.id,
          h.category,
          h.nicheSlug ?? 'any',
          h.usageCount,
          h.effectivenessScore?.toFixed(2) ?? '-',
          ...platforms.map((p) => {
            const s = h.platformScores[p];
            return s ? `${s.score.toFixed(2)} (${s.samples})` : '-';
          }),
          h.template,
        ],
        more: nextPage('sovi hooks list', { niche: o.niche, category: o.category }, found.nextCursor),
      });
    },
  });

  readCommand(hooks, {
    spec: 'show <id>',
    description: 'one hook, with the posterior the selector samples from on each platform',
    read: async (ctx, id: string) => getHookWithPosteriors(await ctx.db(), id),
    text: (hook) =>
      fields([
        ['id', hook.id],
        ['category', hook.category],
        ['template', hook.template],
        ['niche', hook.nicheSlug ?? 'any'],
        ['used', `${hook.usageCount} time(s)`],
        ['score', hook.effectivenessScore?.toFixed(3) ?? 'none yet (prior 0.5)'],
        ...Object.entries(hook.posteriors).map(
          ([p, b]) =>
            `${p.padEnd(11)}Beta(${b.alpha.toFixed(1)}, ${b.beta.toFixed(1)}), mean ${b.mean.toFixed(3)}`,
        ),
      ]),
  });
}
