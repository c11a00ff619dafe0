import type { Command } from 'commander';
import { markRemoved } from '../distribution/publishing.ts';
import { SoviError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { action } from './context.ts';
import { json, shortTime, table } from './format.ts';
import { parseChoice, parseInteger } from './parse.ts';

const statuses = ['pending', 'posted', 'failed', 'removed'] as const;

export function registerDistributionsCommands(distributions: Command): void {
  distributions
    .command('list')
    .description('distributions, newest first')
    .option('--content <id>', 'only this content')
    .option('--status <status>', `only this status (${statuses.join(', ')})`, (v) =>
      parseChoice('--status', v, statuses),
    )
    .option('--limit <n>', 'how many (default 100)', (v) => parseInteger('--limit', v, 1, 10_000))
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { content?: string; status?: string; limit?: number; json?: boolean }) => {
        if (o.content !== undefined && !isUuid(o.content))
          throw new SoviError('invalid_input', '--content: expected a content id', { field: '--content' });
        const { db } = await ctx.database();
        let query = db
          .selectFrom('distributions as d')
          .innerJoin('accounts as a', 'a.id', 'd.account_id')
          .select([
            'd.id',
            'd.content_id',
            'd.platform',
            'd.status',
            'd.posted_at',
            'd.platform_post_id',
            'd.attempts',
            'd.caption',
            'd.hashtags',
            'a.username',
          ])
          .orderBy('d.created_at', 'desc')
          .limit(o.limit ?? 100);
        if (o.content) query = query.where('d.content_id', '=', o.content);
        if (o.status) query = query.where('d.status', '=', o.status);
        const rows = await query.execute();
        if (o.json) return ctx.print(json(rows));
        ctx.print(
          rows.length === 0
            ? 'no distributions'
            : table(
                ['id', 'content', 'account', 'status', 'posted', 'post id', 'attempts'],
                rows.map((r) => [
                  r.id,
                  r.content_id.slice(0, 8),
                  `${r.platform}:${r.username}`,
                  r.status,
                  shortTime(r.posted_at),
                  r.platform_post_id,
                  r.attempts,
                ]),
              ),
        );
      }),
    );

  distributions
    .command('mark-removed <id>')
    .description('record that the platform took a post down')
    .requiredOption('--reason <text>', 'what the platform said')
    .action(
      action(async (ctx, id: string, o: { reason: string }) => {
        if (!isUuid(id))
          throw new SoviError('invalid_input', 'id: expected a distribution id', { field: 'id' });
        if (!(await markRemoved((await ctx.database()).db, id, o.reason))) {
          throw new SoviError('conflict', `distribution ${id} is not a posted post (or does not exist)`, {
            field: 'id',
          });
        }
        ctx.print(`marked ${id} removed`);
      }),
    );
}
