import type { Command } from 'commander';
import { getContentDetails, listContentPage, type ContentDetails } from '../content/content-reads.ts';
import {
  contentStatusCounts,
  createContent,
  produce,
  produceAll,
  retryContent,
} from '../content/content-service.ts';
import { productionStatuses, type ProductionStatus } from '../content/content-model.ts';
import { invalidInput } from '../errors.ts';
import { jobSink } from './job-sink.ts';
import { registerReviewCommands } from './review-subcommands.ts';
import { action } from './context.ts';
import { fields, json, shortTime, table } from './format.ts';
import { parseChoice } from './parse.ts';
import { changeCommand, listCommand, listing, nextPage, readCommand } from './read-command.ts';

interface NewContentOptions {
  topic?: string;
  niche?: string;
  format?: string;
  fromTrend?: string;
  produce?: boolean;
  json?: boolean;
}

export function describe({
  content: c,
  failure,
  previousFailures,
  quality,
  media,
  distributions,
}: ContentDetails): string {
  return fields([
    ['id', c.id],
    ['topic', c.topic],
    ['niche', `${c.nicheSlug ?? '-'}   format ${c.format ?? '-'}`],
    ['status', `${c.status}${failure ? ` (failed at ${failure.stage}: ${failure.reason})` : ''}`],
    ...(previousFailures.length > 0
      ? [`            ${previousFailures.length} earlier failure(s), retried`]
      : []),
    ...(c.review
      ? [
          [
            'review',
            `${c.review.state === 'awaiting' ? 'awaiting review' : c.review.state}${c.review.reviewedBy ? ` by ${c.review.reviewedBy}` : ''}${c.review.note ? `: ${c.review.note}` : ''}`,
          ],
        ]
      : []),
    ['hook', c.hookId ?? '-'],
    ['video', c.outputPath ?? '-'],
    ['quality', c.qualityScore?.toFixed(2) ?? '-'],
    ...(quality
      ? quality.checks.map(
          (q) => `  ${q.passed ? 'ok  ' : 'FAIL'} ${q.name}: ${String(q.value)} (expected ${q.expected})`,
        )
      : []),
    ...(media.voice
      ? [
          `voice       ${media.voice.engine} ${media.voice.voice ?? ''}${media.voice.model ? ` (${media.voice.model})` : ''}` +
            (media.voice.fellBack.length ? `, after ${media.voice.fellBack.join(', ')} failed` : ''),
        ]
      : []),
    ...(media.music
      ? [
          `music       ${media.music.title ?? '-'} (${media.music.mood}), ${media.music.licence}${media.music.attribution ? `: ${media.music.attribution}` : ''}`,
        ]
      : []),
    ...media.visuals.map(
      (v, i) =>
        `visual ${i + 1}    ${v.source === null ? 'generated scene' : `${v.source} ${v.id ?? ''}, ${v.licence ?? 'no licence'}`} (${v.start.toFixed(1)}–${v.end.toFixed(1)} s)`,
    ),
    ...(c.script
      ? [
          '',
          ['title', c.script.title],
          ['hook line', c.script.hook],
          ...c.script.beats.map((b, i) => `beat ${i + 1}      [${b.onScreenText}] ${b.narration}`),
          ['cta', c.script.cta],
          ['hashtags', `${c.script.hashtags.map((h) => `#${h}`).join(' ')}`],
          ['writer', c.script.writer],
        ]
      : []),
    ...(distributions.length > 0
      ? [
          '',
          table(
            ['distribution', 'platform', 'account', 'state', 'slot', 'posted', 'caption'],
            distributions.map((d) => [
              d.id,
              d.platform,
              d.username,
              d.state,
              shortTime(d.scheduledAt),
              shortTime(d.postedAt),
              d.caption && d.caption.length > 40 ? `${d.caption.slice(0, 39)}…` : d.caption,
            ]),
          ),
        ]
      : []),
    '',
    ['created', `${shortTime(c.createdAt)}   updated ${shortTime(c.updatedAt)}`],
  ]);
}

/** The flags of `sovi content new`, as its errors name them. */
const newContentFlags = { topic: '--topic', niche: '--niche', format: '--format', trendId: '--from-trend' };

export function registerContentCommands(content: Command): void {
  content
    .command('new')
    .description('create content from a topic (or a trending topic); `sovi content produce` starts it')
    .option('--topic <text>', 'what the video is about')
    .option('--niche <slug>', 'the niche it is for')
    .option('--format <format>', 'faceless (default) or reddit_story, or a format of the content policy')
    .option('--from-trend <id>', 'take the topic and niche from a trending topic')
    .option('--produce', 'queue its production right away')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: NewContentOptions) => {
        const db = await ctx.db();
        // Created and queued in one transaction, as over HTTP.
        const created = await createContent(
          db,
          ctx.policies().content,
          {
            topic: o.topic,
            niche: o.niche,
            format: o.format,
            trendId: o.fromTrend,
            produce: o.produce,
            names: newContentFlags,
            actor: ctx.config.actor,
          },
          o.produce ? await jobSink(ctx) : undefined,
        );
        ctx.print(
          o.json
            ? json(created)
            : `created content ${created.id} ("${created.topic}")${o.produce ? ', production queued' : ''}`,
        );
      }),
    );

  content
    .command('produce [id]')
    .description('queue the production of a piece of content (or --all), from the stage it is in')
    .option('--all', 'every piece of content in a stage')
    .action(
      action(async (ctx, id: string | undefined, o: { all?: boolean }) => {
        if (!id && !o.all) throw invalidInput('id', 'give a content id, or --all');
        const db = await ctx.db();
        const sink = await jobSink(ctx);
        if (o.all) {
          ctx.print(`queued ${await produceAll(db, sink, ctx.config.actor)} piece(s) of content`);
        } else {
          const c = await produce(db, sink, id!, ctx.config.actor);
          ctx.print(`queued ${c.id} at ${c.status}`);
        }
      }),
    );

  changeCommand(content, {
    spec: 'retry <id>',
    description: 'restart a failed production at the stage that failed',
    run: async (ctx, id: string) => ({
      id,
      stage: await retryContent(await ctx.db(), await jobSink(ctx), id, ctx.config.actor),
    }),
    text: ({ id, stage }) => `retrying ${id} from ${stage}`,
  });

  readCommand(content, {
    spec: 'status',
    description: 'how much content is in each stage',
    read: async (ctx) => contentStatusCounts(await ctx.db()),
    text: (counts) => table(['status', 'content'], Object.entries(counts)),
  });

  listCommand(content, {
    spec: 'list',
    description: 'content, newest first',
    options: (c) =>
      c
        .option('--status <status>', `only this status (${productionStatuses.join(', ')})`, (v) =>
          parseChoice('--status', v, productionStatuses),
        )
        .option('--niche <slug>', 'only this niche'),
    defaultLimit: 100,
    list: async (ctx, o: { status?: ProductionStatus; niche?: string }, page) => {
      const found = await listContentPage(await ctx.db(), {
        status: o.status ? [o.status] : undefined,
        niche: o.niche,
        nicheField: '--niche',
        ...page,
      });
      return listing(found.items, {
        empty: 'no content: create some with sovi content new',
        columns: ['id', 'status', 'niche', 'format', 'quality', 'topic', 'updated'],
        row: (c) => [
          c.id,
          c.review?.state === 'awaiting' ? 'awaiting review' : c.status,
          c.nicheSlug,
          c.format,
          c.qualityScore?.toFixed(2),
          c.topic,
          shortTime(c.updatedAt),
        ],
        more: nextPage('sovi content list', { status: o.status, niche: o.niche }, found.nextCursor),
      });
    },
  });

  readCommand(content, {
    spec: 'show <id>',
    description: 'one piece of content: status, script, video, quality checks',
    read: async (ctx, id: string) => getContentDetails(await ctx.db(), id),
    text: describe,
    asJson: (details) => details.content,
  });

  registerReviewCommands(
    content.command('review').description('review before posting: list, approve, reject'),
  );
}
