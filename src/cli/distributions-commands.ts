import type { Command } from 'commander';
import { resolveAccount } from '../accounts/accounts-service.ts';
import { getContent } from '../content/content-service.ts';
import { distributionStatuses } from '../distributions/distribution-model.ts';
import { listDistributions } from '../distributions/distributions-reads.ts';
import { markDistributionRemoved } from '../distributions/distributions-service.ts';
import { action } from './context.ts';
import { shortTime } from './format.ts';
import { parseChoice } from './parse.ts';
import { listCommand, listing, nextPage } from './read-command.ts';

export function registerDistributionsCommands(distributions: Command): void {
  listCommand(distributions, {
    spec: 'list',
    description: 'distributions, newest first',
    options: (c) =>
      c
        .option('--content <id>', 'only this content')
        .option('--account <ref>', 'only this account (id, platform:username or username)')
        .option('--status <status>', `only this status (${distributionStatuses.join(', ')})`, (v) =>
          parseChoice('--status', v, distributionStatuses),
        ),
    defaultLimit: 100,
    list: async (
      ctx,
      o: { content?: string; account?: string; status?: (typeof distributionStatuses)[number] },
      page,
    ) => {
      const { db } = await ctx.database();
      // Named things that do not exist are refused (exit 3), as every other filter's are.
      if (o.content !== undefined) await getContent(db, o.content);
      const found = await listDistributions(
        db,
        {
          contentId: o.content,
          accountId: o.account === undefined ? undefined : await resolveAccount(db, o.account, '--account'),
          status: o.status === undefined ? undefined : [o.status],
          after: page.after,
          limit: page.limit,
        },
        '--after',
      );
      return listing(found.distributions, {
        empty: 'no distributions',
        columns: ['id', 'content', 'account', 'status', 'posted', 'post id', 'attempts'],
        row: (d) => [
          d.id,
          d.contentId.slice(0, 8),
          `${d.platform}:${d.username}`,
          d.status,
          shortTime(d.postedAt),
          d.platformPostId,
          d.attempts,
        ],
        more: nextPage(
          'sovi distributions list',
          { content: o.content, account: o.account, status: o.status },
          found.nextCursor,
        ),
      });
    },
  });

  distributions
    .command('mark-removed <id>')
    .description('record that the platform took a post down')
    .requiredOption('--reason <text>', 'what the platform said')
    .action(
      action(async (ctx, id: string, o: { reason: string }) => {
        await markDistributionRemoved((await ctx.database()).db, id, o.reason, ctx.config.actor);
        ctx.print(`marked ${id} removed`);
      }),
    );
}
