import type { Command } from 'commander';
import { resolveAccount } from '../accounts/accounts-service.ts';
import { getContent } from '../content/content-service.ts';
import { getDistribution, listDistributions } from '../distributions/distributions-reads.ts';
import { markDistributionRemoved } from '../distributions/distributions-service.ts';
import { cancelPost, editPost, reschedulePost, retryPost } from '../distributions/calendar-service.ts';
import {
  distributionStatuses,
  privacyLevels,
  type Distribution,
  type DistributionStatus,
  type PrivacyLevel,
} from '../distributions/distribution-model.ts';
import { invalidInput } from '../errors.ts';
import { action } from './context.ts';
import { bytes, fields, json, shortTime } from './format.ts';
import { parseChoice, parseList } from './parse.ts';
import { jobSink } from './job-sink.ts';

/** An ISO-8601 time with its offset (or Z): a slot is an instant, never a local time. */
function parseSlot(option: string, value: string): Date {
  const at = new Date(value);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) ||
    Number.isNaN(at.getTime())
  )
    throw invalidInput(
      option,
      `${option}: expected an ISO-8601 time with an offset, e.g. 2026-12-06T09:00:00+01:00, got "${value}"`,
    );
  return at;
}

const said = (d: Distribution) =>
  `${d.id} (${d.platform}:${d.username}) is ${d.state}${d.scheduledAt ? `, slot ${shortTime(d.scheduledAt)}` : ''}`;

const onOff = (option: string) => (v: string) => parseChoice(option, v, ['on', 'off'] as const) === 'on';
import { listCommand, listing, nextPage, readCommand } from './read-command.ts';

/** One post for people: its record, then what the platform is doing with it (official connectors). */
function describe(d: Distribution): string {
  const p = d.processing;
  return fields([
    ['id', d.id],
    ['content', d.contentId],
    ['account', `${d.platform}:${d.username}`],
    ['status', `${d.status}   state ${d.state}   attempts ${d.attempts}`],
    ['slot', shortTime(d.scheduledAt)],
    ['posted', shortTime(d.postedAt)],
    ['post id', d.platformPostId ?? '-'],
    ['caption', d.caption ?? '-'],
    [
      'platform',
      p ? `${p.stage}   publish id ${p.publishId ?? '-'}   updated ${shortTime(p.updatedAt)}` : '-',
    ],
    ...(p?.privacyLevel ? [['  privacy', p.privacyLevel] as const] : []),
    ...(p?.videoSize != null
      ? [['  upload', `${bytes(p.videoSize)} in ${p.totalChunkCount ?? '?'} chunk(s)`] as const]
      : []),
    ...(p?.note ? [['  note', p.note] as const] : []),
    ...(p?.reason
      ? [['  reason', `${p.reason}${p.platformCode ? ` (${p.platformCode})` : ''}`] as const]
      : []),
  ]);
}

interface EditOptions {
  caption?: string;
  hashtags?: string[];
  privacy?: PrivacyLevel;
  comments?: boolean;
  duet?: boolean;
  stitch?: boolean;
  branded?: boolean;
  brandOrganic?: boolean;
  aiLabel?: boolean;
  json?: boolean;
}

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
    list: async (ctx, o: { content?: string; account?: string; status?: DistributionStatus }, page) => {
      const db = await ctx.db();
      // Named things that do not exist are refused (exit 3), as every other filter's are.
      if (o.content !== undefined) await getContent(db, o.content);
      const found = await listDistributions(
        db,
        {
          contentId: o.content,
          accountId: o.account === undefined ? undefined : await resolveAccount(db, o.account, '--account'),
          status: o.status === undefined ? undefined : [o.status],
          ...page,
        },
        '--after',
      );
      return listing(found.distributions, {
        empty: 'no distributions',
        columns: [
          'id',
          'content',
          'account',
          'state',
          'at platform',
          'slot',
          'posted',
          'post id',
          'attempts',
        ],
        row: (d) => [
          d.id,
          d.contentId.slice(0, 8),
          `${d.platform}:${d.username}`,
          d.state,
          d.processing?.stage ?? '-',
          shortTime(d.scheduledAt),
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

  readCommand(distributions, {
    spec: 'show <id>',
    description: 'one post, with its progress at the platform (stage, publish id, last update)',
    read: async (ctx, id: string) => getDistribution(await ctx.db(), id),
    text: describe,
  });

  distributions
    .command('mark-removed <id>')
    .description('record that the platform took a post down')
    .requiredOption('--reason <text>', 'what the platform said')
    .action(
      action(async (ctx, id: string, o: { reason: string }) => {
        await markDistributionRemoved(await ctx.db(), id, o.reason, ctx.config.actor);
        ctx.print(`marked ${id} removed`);
      }),
    );

  distributions
    .command('reschedule <id>')
    .description('move a post not yet out to a new slot (one of its account’s windows unless --force)')
    .requiredOption('--at <time>', 'the new slot, ISO-8601 with an offset', (v) => parseSlot('--at', v))
    .option('--force', 'accept a time outside the windows or past the limits')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: { at: Date; force?: boolean; json?: boolean }) => {
        const db = await ctx.db();
        const d = await reschedulePost(db, await jobSink(ctx), id, o, ctx.config.actor);
        ctx.print(o.json ? json(d) : `rescheduled: ${said(d)}`);
      }),
    );

  distributions
    .command('cancel <id>')
    .description('cancel a post not yet out: it is never published')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: { json?: boolean }) => {
        const d = await cancelPost(await ctx.db(), id, ctx.config.actor);
        ctx.print(o.json ? json(d) : `cancelled: ${said(d)}`);
      }),
    );

  distributions
    .command('retry <id>')
    .description('retry a failed post for its account only (the content’s other posts are not touched)')
    .option('--at <time>', 'publish then instead of now (ISO-8601 with an offset)', (v) =>
      parseSlot('--at', v),
    )
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: { at?: Date; json?: boolean }) => {
        const db = await ctx.db();
        const d = await retryPost(db, await jobSink(ctx), id, ctx.config.actor, undefined, new Date(), o.at);
        ctx.print(o.json ? json(d) : `retrying: ${said(d)}`);
      }),
    );

  distributions
    .command('edit <id>')
    .description('change the caption, hashtags or platform options of a post before it goes out')
    .option('--caption <text>', 'the new caption')
    .option('--hashtags <list>', 'the new hashtags, comma-separated (without #)', parseList)
    .option('--privacy <level>', `privacy level (${privacyLevels.join(', ')})`, (v) =>
      parseChoice('--privacy', v, privacyLevels),
    )
    .option('--comments <on|off>', 'allow comments', onOff('--comments'))
    .option('--duet <on|off>', 'allow duets', onOff('--duet'))
    .option('--stitch <on|off>', 'allow stitches', onOff('--stitch'))
    .option('--branded <on|off>', 'the branded-content disclosure (a paid partnership)', onOff('--branded'))
    .option('--brand-organic <on|off>', 'promotes the creator’s own business', onOff('--brand-organic'))
    .option('--ai-label <on|off>', 'the AI-generated content label', onOff('--ai-label'))
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, id: string, o: EditOptions) => {
        const options = Object.fromEntries(
          Object.entries({
            privacyLevel: o.privacy,
            allowComments: o.comments,
            allowDuet: o.duet,
            allowStitch: o.stitch,
            brandedContent: o.branded,
            brandOrganic: o.brandOrganic,
            aiGenerated: o.aiLabel,
          }).filter(([, v]) => v !== undefined),
        );
        const d = await editPost(
          await ctx.db(),
          id,
          {
            caption: o.caption,
            hashtags: o.hashtags,
            options: Object.keys(options).length > 0 ? options : undefined,
          },
          ctx.config.actor,
        );
        ctx.print(o.json ? json(d) : `edited: ${said(d)}`);
      }),
    );
}
