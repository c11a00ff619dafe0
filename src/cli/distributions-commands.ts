import type { Command } from 'commander';
import { distributionStatuses } from '../distributions/distribution-model.ts';
import { listDistributions } from '../distributions/distributions-reads.ts';
import { markDistributionRemoved } from '../distributions/distributions-service.ts';
import { SoviError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { action } from './context.ts';
import { json, printMore, shortTime, table } from './format.ts';
import { parseChoice } from './parse.ts';
import { pageOptions } from './read-command.ts';

export function registerDistributionsCommands(distributions: Command): void {
  pageOptions(
    distributions
      .command('list')
      .description('distributions, newest first')
      .option('--content <id>', 'only this content')
      .option('--status <status>', `only this status (${distributionStatuses.join(', ')})`, (v) =>
        parseChoice('--status', v, distributionStatuses),
      ),
    100,
    10_000,
  ).action(
    action(
      async (
        ctx,
        o: {
          content?: string;
          status?: (typeof distributionStatuses)[number];
          limit?: number;
          after?: string;
          json?: boolean;
        },
      ) => {
        if (o.content !== undefined && !isUuid(o.content))
          throw new SoviError('invalid_input', '--content: expected a content id', { field: '--content' });
        const page = await listDistributions(
          (await ctx.database()).db,
          {
            contentId: o.content,
            status: o.status === undefined ? undefined : [o.status],
            after: o.after,
            limit: o.limit ?? 100,
          },
          '--after',
        );
        if (o.json) ctx.print(json(page.distributions));
        else
          ctx.print(
            page.distributions.length === 0
              ? 'no distributions'
              : table(
                  ['id', 'content', 'account', 'status', 'posted', 'post id', 'attempts'],
                  page.distributions.map((d) => [
                    d.id,
                    d.contentId.slice(0, 8),
                    `${d.platform}:${d.username}`,
                    d.status,
                    shortTime(d.postedAt),
                    d.platformPostId,
                    d.attempts,
                  ]),
                ),
          );
        printMore(
          'sovi distributions list',
          { content: o.content, status: o.status, limit: o.limit },
          page.nextCursor,
        );
      },
    ),
  );

  distributions
    .command('mark-removed <id>')
    .description('record that the platform took a post down')
    .requiredOption('--reason <text>', 'what the platform said')
    .action(
      action(async (ctx, id: string, o: { reason: string }) => {
        if (!isUuid(id))
          throw new SoviError('invalid_input', 'id: expected a distribution id', { field: 'id' });
        await markDistributionRemoved((await ctx.database()).db, id, o.reason);
        ctx.print(`marked ${id} removed`);
      }),
    );
}
