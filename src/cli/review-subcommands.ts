// `sovi content review`: the review queue, and a reviewer's approval (of every post, or only some, with
// caption and hashtag edits per post) or rejection with a reason.
import type { Command } from 'commander';
import { getContentDetails } from '../content/content-reads.ts';
import { approveContent, rejectContent, reviewQueue } from '../content/review-service.ts';
import type { Approval } from '../distributions/review-service.ts';
import { invalidInput } from '../errors.ts';
import { action } from './context.ts';
import { json, shortTime, table } from './format.ts';
import { parseInteger, parseList } from './parse.ts';
import { jobSink } from './job-sink.ts';

interface ApproveOptions {
  only?: string[];
  caption?: [string, string][];
  hashtags?: [string, string][];
  note?: string;
  json?: boolean;
}

/** `post=value` options, repeatable: the post (distribution id, account or platform:username) and a value. */
function keyed(option: string) {
  return (value: string, previous: [string, string][] = []): [string, string][] => {
    const at = value.indexOf('=');
    if (at <= 0) throw invalidInput(option, `${option}: expected <post>=<value>, got "${value}"`);
    return [...previous, [value.slice(0, at), value.slice(at + 1)]];
  };
}

export function registerReviewCommands(review: Command): void {
  review
    .command('list')
    .description('content awaiting review, oldest first, with each post’s account, slot and caption')
    .option('--niche <slug>', 'only this niche')
    .option('--limit <n>', 'at most this many (default 100)', (v) => parseInteger('--limit', v, 1, 500))
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { niche?: string; limit?: number; json?: boolean }) => {
        const queue = await reviewQueue(await ctx.db(), { niche: o.niche, limit: o.limit });
        if (o.json) return ctx.print(json(queue));
        if (queue.length === 0) return ctx.print('nothing awaits review');
        ctx.print(
          queue
            .map(({ content: c, quality, distributions }) =>
              [
                `${c.id}  ${c.nicheSlug ?? '-'}  "${c.topic}"  quality ${quality?.score.toFixed(2) ?? '-'}  since ${shortTime(c.review?.requestedAt)}`,
                `  video ${c.outputPath ?? '-'}`,
                `  title ${c.script?.title ?? '-'}`,
                table(
                  ['  post', 'account', 'slot', 'caption', 'hashtags'],
                  distributions
                    .filter((d) => d.state === 'awaiting_review' || d.state === 'scheduled')
                    .map((d) => [
                      `  ${d.id}`,
                      `${d.platform}:${d.username}`,
                      shortTime(d.scheduledAt),
                      d.caption,
                      d.hashtags.map((h) => `#${h}`).join(' '),
                    ]),
                ),
              ].join('\n'),
            )
            .join('\n\n'),
        );
      }),
    );

  review
    .command('approve <id>')
    .description('approve content awaiting review: every post, or only some (the others are rejected)')
    .option(
      '--only <posts>',
      'approve only these posts (distribution ids, accounts or platform:username), comma-separated',
      parseList,
    )
    .option('--caption <post=text>', 'a new caption for one post (repeatable)', keyed('--caption'))
    .option('--hashtags <post=a,b>', 'new hashtags for one post (repeatable)', keyed('--hashtags'))
    .option('--note <text>', 'kept in the audit trail')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: ApproveOptions) => {
        const db = await ctx.db();
        const edits = [...(o.caption ?? []), ...(o.hashtags ?? [])];
        let approve: Approval[] | undefined;
        if (o.only || edits.length > 0) {
          // Edits without --only keep every post approved: name them all.
          const posts =
            o.only ??
            (await getContentDetails(db, id)).distributions
              .filter((d) => d.state === 'awaiting_review' || d.state === 'scheduled')
              .map((d) => d.id);
          approve = posts.map((post) => ({ post }));
          for (const [post] of edits) if (!posts.includes(post)) approve.push({ post });
          for (const [post, caption] of o.caption ?? [])
            approve.find((a) => a.post === post)!.caption = caption;
          for (const [post, tags] of o.hashtags ?? [])
            approve.find((a) => a.post === post)!.hashtags = parseList(tags);
        }
        const outcome = await approveContent(
          db,
          await jobSink(ctx),
          id,
          { approve, note: o.note },
          ctx.config.actor,
        );
        if (o.json) return ctx.print(json(outcome));
        ctx.print(
          [
            ...outcome.approved.map(
              (a) => `approved ${a.account}: scheduled for ${shortTime(a.scheduledAt)}`,
            ),
            ...outcome.rejected.map((r) => `rejected ${r.account}`),
          ].join('\n'),
        );
      }),
    );

  review
    .command('reject <id>')
    .description(
      'reject content awaiting review: none of its posts goes out (`sovi content retry` makes it again)',
    )
    .requiredOption('--reason <text>', 'why; kept with the content and in the audit trail')
    .action(
      action(async (ctx, id: string, o: { reason: string }) => {
        await rejectContent(await ctx.db(), id, o.reason, ctx.config.actor);
        ctx.print(`rejected ${id}: retry it with sovi content retry ${id}, or archive it`);
      }),
    );
}
