import path from 'node:path';
import type { Command } from 'commander';
import { SoviError } from '../errors.ts';
import { loadTrendSource } from '../plugins/load-plugins.ts';
import type { Trend } from '../trends/trend-model.ts';
import { formatOf, importTrends } from '../trends/trends-import.ts';
import { pullTrends } from '../trends/trends-pull.ts';
import { listTrendsPage } from '../trends/trends-reads.ts';
import { getTrend, refreshTrends } from '../trends/trends-service.ts';
import { action } from './context.ts';
import { fields, json, shortTime, table } from './format.ts';
import { readFileArgument } from './parse.ts';
import { progress } from './progress.ts';
import { listCommand, listing, nextPage, readCommand } from './read-command.ts';

const score = (n: number | null) => (n === null ? '-' : n.toFixed(3));
const ratio = (n: number | null) => (n === null ? '-' : `${n.toFixed(2)}×`);

function age(trend: Trend, now = Date.now()): string {
  const hours = (now - (trend.publishedAt ?? trend.discoveredAt).getTime()) / 3_600_000;
  return hours < 48 ? `${Math.max(0, Math.round(hours))}h` : `${Math.round(hours / 24)}d`;
}

export function registerTrendsCommands(trends: Command): void {
  trends
    .command('pull')
    .description('read the trend source now, score and merge what it has, and age out old topics')
    .option('--niche <slug>', 'only this niche (default: every active niche)')
    .option('--source <source>', 'reddit, or the path of a plug-in module (default: SOVI_TRENDS_SOURCE)')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { niche?: string; source?: string; json?: boolean }) => {
        const settings = ctx.config.trends;
        const source = await loadTrendSource(
          settings,
          { logger: ctx.logger },
          { spec: o.source, field: o.source === undefined ? 'SOVI_TRENDS_SOURCE' : '--source' },
        );
        ctx.onClose(async () => source.close?.());
        const db = await ctx.db();
        const pulled = await pullTrends({ db, logger: ctx.logger, settings }, source, {
          niches: o.niche === undefined ? undefined : [o.niche],
        });
        const refreshed = await refreshTrends(db, settings);
        const summary =
          `pulled ${pulled.fetched} items from ${pulled.targets - pulled.failures.length} of ${pulled.targets} ` +
          `${pulled.source} targets: ${pulled.created} new topics, ${pulled.merged} merged` +
          (pulled.tooOld > 0 ? `, ${pulled.tooOld} too old` : '') +
          (refreshed.deactivated > 0 ? `; ${refreshed.deactivated} went inactive` : '');
        ctx.print(o.json ? json({ ...pulled, ...refreshed }) : summary);
        if (pulled.failures.length > 0) {
          throw new SoviError(
            'unavailable',
            `trends pull: ${pulled.failures.length} of ${pulled.targets} fetches failed (the rest were ingested):\n  ` +
              pulled.failures.map((f) => `${f.message} (event ${f.eventId})`).join('\n  '),
            { field: 'source' },
          );
        }
      }),
    );

  listCommand(trends, {
    spec: 'list',
    description: 'trending topics, best first (active ones unless --all)',
    options: (c) => c.option('--niche <slug>', 'only this niche').option('--all', 'inactive topics too'),
    defaultLimit: 50,
    list: async (ctx, o: { niche?: string; all?: boolean }, page) => {
      const found = await listTrendsPage(await ctx.db(), { niche: o.niche, all: o.all, ...page }, '--');
      return listing(found.trends, {
        empty: 'no trending topics: pull some with sovi trends pull, or sovi trends import a file',
        columns: ['id', 'niche', 'score', 'ratio', 'source', 'age', ...(o.all ? ['active'] : []), 'topic'],
        row: (t) => [
          t.id,
          t.nicheSlug ?? '-',
          score(t.trendScore),
          ratio(t.overperformanceRatio),
          t.sourceGroup ?? t.source,
          age(t),
          ...(o.all ? [t.isActive ? 'yes' : 'no'] : []),
          t.topic,
        ],
        more: nextPage('sovi trends list', { niche: o.niche, all: o.all }, found.nextCursor),
      });
    },
  });

  readCommand(trends, {
    spec: 'show <id>',
    description: 'one trending topic: its numbers, the median it was measured against, and its sightings',
    read: async (ctx, id: string) => getTrend(await ctx.db(), id),
    text: (t) =>
      fields([
        ['id', t.id],
        ['topic', t.topic],
        ['niche', t.nicheSlug ?? '-'],
        ['source', `${t.source}${t.sourceGroup ? ` (${t.sourceGroup})` : ''}`],
        ['url', t.sourceUrl ?? '-'],
        ['active', t.isActive ? 'yes' : 'no'],
        ['score', `${score(t.trendScore)}${t.scoredAt ? ` (as of ${shortTime(t.scoredAt)})` : ''}`],
        // Without engagement the ratio was stated (an import), not measured against the median.
        [
          'ratio',
          `${ratio(t.overperformanceRatio)}${t.engagement !== null && t.baselineMedian !== null ? ` of the median ${t.baselineMedian}` : ''}`,
        ],
        ['engagement', t.engagement ?? '-'],
        ['velocity', `${t.velocity === null ? '-' : `${t.velocity.toFixed(1)}/h`}`],
        ['published', shortTime(t.publishedAt) || '-'],
        ['discovered', shortTime(t.discoveredAt)],
        ['last seen', shortTime(t.lastSeenAt)],
        ...(t.history.length > 0
          ? [
              '',
              table(
                ['observed', 'group', 'item', 'engagement'],
                t.history.map((h) => [shortTime(h.observedAt), h.group, h.itemId, h.engagement]),
              ),
            ]
          : []),
      ]),
  });

  trends
    .command('import <file>')
    .description(
      'import trending topics from a .csv or .json file: every row is checked first, then all or none',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nColumns (CSV header, or the keys of each object of a JSON array): topic, niche, source (all three\n' +
        'required), source_url, source_group (what the ratio is measured against; default <source>/<niche>),\n' +
        'engagement, overperformance_ratio (else measured from engagement), published_at (ISO-8601).\n' +
        'Rows are scored and merged like pulled topics. Every bad row is reported with its line number,\n' +
        'and then nothing is imported.',
    )
    .action(
      action(async (ctx, file: string, o: { json?: boolean }) => {
        const format = formatOf(file);
        const text = await readFileArgument(file);
        const result = await withProgress(`import ${path.basename(file)}`, async (onProgress) =>
          importTrends(
            {
              db: await ctx.db(),
              settings: ctx.config.trends,
              actor: ctx.config.actor,
            },
            text,
            { source: path.basename(file), format, onProgress },
          ),
        );
        ctx.print(
          o.json
            ? json(result)
            : `imported ${result.rows} rows from ${file}: ${result.created} new topics, ${result.merged} merged`,
        );
      }),
    );
}

/** A bar per phase (checking, then writing), for files big enough to need one. */
async function withProgress<T>(
  label: string,
  fn: (onProgress: (phase: string, done: number, total: number) => void) => Promise<T>,
): Promise<T> {
  let bar: ReturnType<typeof progress> | undefined;
  let phase = '';
  try {
    return await fn((p, done, total) => {
      if (total < 1_000) return; // Small files finish before a bar helps.
      if (p !== phase) {
        bar?.stop();
        bar = progress(`${label}: ${p === 'check' ? 'checking' : 'writing'}`);
        phase = p;
      }
      bar?.update(done, total);
    });
  } finally {
    bar?.stop();
  }
}
