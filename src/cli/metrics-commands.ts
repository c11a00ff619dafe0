import type { Command } from 'commander';
import { invalidInput } from '../errors.ts';
import { recomputeHookScores } from '../metrics/hook-feedback.ts';
import { recentAccountHours, recentNicheDays, topContent } from '../metrics/metrics-reads.ts';
import { backfillRollups, refreshRollups, rollupStatus } from '../metrics/rollup-refresh.ts';
import { ENGAGEMENT_FORMULA } from '../metrics/snapshot-format.ts';
import { ingestSnapshotFile } from '../metrics/snapshot-ingest.ts';
import { createMetricsPuller } from '../metrics/metrics-puller.ts';
import { connectionTokens } from '../connections/connection-tokens.ts';
import type { Db } from '../db/pool.ts';
import { action, type CliContext } from './context.ts';
import { json, shortTime, table } from './format.ts';
import { parseInteger } from './parse.ts';
import { progress } from './progress.ts';
import { parseTime, utcDay } from '../time.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { resolveAccount } from '../accounts/accounts-service.ts';
import { listing, printListing, readCommand, type Listing } from './read-command.ts';

const n = (v: number | null) => (v === null ? '-' : v.toLocaleString('en'));
const rate = (v: number | null) => (v === null ? '-' : v.toFixed(3));

const nicheId = (db: Db, slug: string): Promise<string> => resolveNiche(db, slug, '--niche');

export function registerMetricsCommands(metrics: Command): void {
  metrics
    .command('pull')
    .description(
      'read due posts’ views, likes, comments, shares and saves and each account’s followers from the ' +
        'platforms now (the collectors SOVI_METRICS_COLLECTOR_<PLATFORM> names; newer posts are due more ' +
        'often), and store them as snapshots like an import',
    )
    .option('--account <ref>', 'only this account (id or platform:username)')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (ctx, o: { account?: string; json?: boolean }) => {
        const { db, pool } = await ctx.database();
        const accountId = o.account ? await resolveAccount(db, o.account, '--account') : undefined;
        const puller = await createMetricsPuller({
          db,
          pool,
          logger: ctx.logger,
          settings: ctx.config.metricsPull,
          tokens: connectionTokens({
            db,
            vault: ctx.vault,
            settings: ctx.config.connectors,
            logger: ctx.logger,
          }),
          ingest: {
            futureToleranceSeconds: ctx.config.metrics.futureToleranceSeconds,
            onBadRows: ctx.config.metrics.onBadRows,
          },
        });
        const bar = progress('pulling metrics (posts)');
        const report = await puller
          .pull({ accountId, onProgress: (done, total) => bar.update(done, total) })
          .finally(async () => {
            bar.stop();
            await puller.close();
          });
        if (o.json) return ctx.print(json(report));
        ctx.print(
          `read ${report.read} of ${report.due} due post(s) on ${report.accounts} account(s) in ` +
            `${(report.durationMs / 1000).toFixed(1)} s: ${report.inserted} snapshot(s) stored, ` +
            `${report.calls} call(s)` +
            (report.deferred ? `, ${report.deferred} left for the next pull` : '') +
            (report.notConnected ? `, ${report.notConnected} account(s) not connected` : ''),
        );
        for (const f of report.failures)
          ctx.print(
            `  ${f.platform}${f.accountId ? ` account ${f.accountId}` : ''}: ${f.failure}: ${f.message}`,
          );
      }),
    );

  metrics
    .command('import <file>')
    .description(
      'import metric snapshots from CSV (a header naming the columns) or NDJSON (one object per line). ' +
        `Columns: time and distribution_id required; account_id (default: the distribution's), views, likes, ` +
        `comments, shares, saves, completion_rate, engagement_rate (default: ${ENGAGEMENT_FORMULA}), ` +
        'follower_count_at. Rows already stored (same distribution and time) are left as they are. A file with ' +
        'a bad row imports nothing unless --skip-bad',
    )
    .option('--format <format>', 'csv or ndjson (default: from the file name)')
    .option('--skip-bad', 'import the good rows and report the bad ones (default: SOVI_METRICS_ON_BAD_ROWS)')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (ctx, file: string, o: { format?: string; skipBad?: boolean; json?: boolean }) => {
        const database = await ctx.database();
        const bar = progress(`importing ${file} (bytes)`);
        const report = await ingestSnapshotFile(
          database.pool,
          file,
          {
            futureToleranceSeconds: ctx.config.metrics.futureToleranceSeconds,
            onBadRows: o.skipBad ? 'skip' : ctx.config.metrics.onBadRows,
          },
          { format: o.format, onProgress: (done, total) => bar.update(done, total) },
        ).finally(() => bar.stop());
        if (o.json) return ctx.print(json(report));
        const perSecond = Math.round(report.rows / Math.max(report.durationMs / 1000, 0.001));
        ctx.print(
          `imported ${report.inserted} of ${report.rows} row(s) from ${file} in ${(report.durationMs / 1000).toFixed(1)} s ` +
            `(${perSecond.toLocaleString('en')} rows/s); ${report.duplicates} already stored` +
            (report.skippedRows ? `; skipped ${report.skippedRows} bad row(s):` : ''),
        );
        for (const issue of report.skipped.slice(0, 50)) ctx.print(`  line ${issue.line}: ${issue.message}`);
        if (report.skipped.length > 50 || report.skippedRows > report.skipped.length)
          ctx.print(`  … ${report.skippedRows} bad row(s) in all`);
      }),
    );

  metrics
    .command('refresh')
    .description(
      'fold new snapshots into the rollups now (what the refresh job does every minute), or with --from and ' +
        '--to recompute every rollup of those UTC days (a backfill, e.g. after late rows)',
    )
    .option('--from <time>', 'start of the backfill: an ISO time or date, or e.g. 7d for 7 days ago', (v) =>
      parseTime('--from', v),
    )
    .option('--to <time>', 'end of the backfill (default: now)', (v) => parseTime('--to', v))
    .option('--json', 'print the report as JSON')
    .action(
      action(async (ctx, o: { from?: Date; to?: Date; json?: boolean }) => {
        const database = await ctx.database();
        if (o.from === undefined && o.to !== undefined)
          throw invalidInput('--from', '--from: a backfill needs a start (--to alone says nothing)');
        if (o.from !== undefined) {
          const bar = progress('refreshing (days)');
          const report = await backfillRollups(
            database.pool,
            o.from,
            o.to ?? new Date(),
            (done, total) => bar.update(done, total),
            { rawRetentionDays: ctx.config.maintenance.snapshotRetentionDays },
          ).finally(() => bar.stop());
          if (report.clampedFrom)
            ctx.print(
              `raw snapshots before ${utcDay(report.clampedFrom)} are past SOVI_SNAPSHOT_RETENTION_DAYS: their rollups are kept as they are`,
            );
          return ctx.print(
            o.json
              ? json(report)
              : `recomputed ${report.days} day(s) of rollups in ${(report.durationMs / 1000).toFixed(1)} s`,
          );
        }
        const report = await refreshRollups(database.pool, {
          lateWindowHours: ctx.config.metrics.lateWindowHours,
        });
        if (o.json) return ctx.print(json(report));
        ctx.print(
          report.ran
            ? `folded ${report.rows} snapshot(s) in ${report.hours} hour(s) into the rollups, ${report.days} day(s) of day tables, in ${report.durationMs} ms` +
                (report.lateHours
                  ? `; ${report.lateHours} hour(s) older than the late window left for a backfill`
                  : '')
            : 'another refresh is running; nothing done',
        );
      }),
    );

  readCommand(metrics, {
    spec: 'status',
    description: 'how current the rollups are: the watermark, the last refresh, what waits to be folded in',
    read: async (ctx) => rollupStatus((await ctx.database()).pool),
    text: (status) =>
      table(
        ['', ''],
        [
          [
            'rollups',
            status.path === 'tables' ? 'tables, refreshed by the job' : 'TimescaleDB continuous aggregates',
          ],
          ['watermark', shortTime(status.watermark)],
          [
            'last refresh',
            status.lastRunAt
              ? `${shortTime(status.lastRunAt)} (${status.lastHours} h in ${status.lastDurationMs} ms)`
              : 'never',
          ],
          [
            'waiting',
            `${status.pendingRows} snapshot(s) in ${status.pendingHours} hour(s)${status.oldestPending ? `, oldest ${shortTime(status.oldestPending)}` : ''}`,
          ],
        ],
      ),
  });

  historyCommand(metrics, {
    spec: 'account <account>',
    description:
      "an account's metrics hour by hour (by id, platform:username or username): its distributions' latest " +
      'counts in each hour',
    maxDays: 366,
    defaultDays: 30,
    history: async (ctx, ref, o) => {
      const db = await ctx.db();
      const { hours } = await recentAccountHours(db, await resolveAccount(db, ref), o.days);
      return listing(hours, {
        empty: `no metrics for account ${ref} in the last ${o.days} day(s)`,
        columns: [
          'hour',
          'posts',
          'views',
          'likes',
          'comments',
          'shares',
          'saves',
          'engagement',
          'followers',
        ],
        row: (h) => [
          shortTime(h.bucket),
          h.distributions,
          n(h.views),
          n(h.likes),
          n(h.comments),
          n(h.shares),
          n(h.saves),
          rate(h.engagementRate),
          n(h.followers),
        ],
      });
    },
  });

  historyCommand(metrics, {
    spec: 'niche <slug>',
    description: 'a niche day by day: views and likes gained, engagement, followers, posts, warming sessions',
    maxDays: 3660,
    defaultDays: 90,
    history: async (ctx, slug, o) => {
      const db = await ctx.db();
      const days = await recentNicheDays(db, await resolveNiche(db, slug, 'slug'), o.days);
      return listing(days, {
        empty: `no metrics for ${slug} in the last ${o.days} day(s)`,
        columns: [
          'day',
          'views +',
          'likes +',
          'engagement',
          'accounts',
          'followers',
          'followers +',
          'posts',
          'sessions',
        ],
        row: (d) => [
          d.day,
          n(d.viewsGained),
          n(d.likesGained),
          rate(d.engagementRate),
          d.accounts,
          n(d.followers),
          n(d.followerDelta),
          d.posts,
          d.warmingSessions,
        ],
      });
    },
  });

  metrics
    .command('top')
    .description('the content that gained the most views in the last days (default: this week)')
    .option(
      '--days <n>',
      'how many days, today included (default 7)',
      (v) => parseInteger('--days', v, 1, 366),
      7,
    )
    .option('--limit <n>', 'how many (default 20)', (v) => parseInteger('--limit', v, 1, 1000), 20)
    .option('--niche <slug>', 'only this niche')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { days: number; limit: number; niche?: string; json?: boolean }) => {
        const db = await ctx.db();
        const top = await topContent(db, {
          days: o.days,
          limit: o.limit,
          nicheId: o.niche ? await nicheId(db, o.niche) : undefined,
        });
        if (o.json) return ctx.print(json(top));
        ctx.print(
          top.length === 0
            ? `no content gained views in the last ${o.days} day(s)`
            : table(
                ['content', 'views +', 'likes +', 'views', 'topic'],
                top.map((c) => [c.contentId, n(c.viewsGained), n(c.likesGained), n(c.views), c.topic]),
              ),
        );
      }),
    );

  metrics
    .command('feedback')
    .description("recompute every hook's scores from its posts' metrics now (the feedback job runs hourly)")
    .option('--days <n>', 'posts of how many days (default: SOVI_FEEDBACK_WINDOW_DAYS)', (v) =>
      parseInteger('--days', v, 1, 366),
    )
    .action(
      action(async (ctx, o: { days?: number }) => {
        const report = await recomputeHookScores(await ctx.db(), {
          windowDays: o.days ?? ctx.config.metrics.feedbackWindowDays,
        });
        ctx.print(`rescored ${report.hooks} hook(s) from ${report.posts} post(s)`);
      }),
    );
}

interface HistoryCommand<Item> {
  /** The subcommand and what it is about, e.g. 'niche <slug>'. */
  spec: string;
  description: string;
  maxDays: number;
  defaultDays: number;
  /** Reads the history of the thing named by the argument, and says how it reads to a person. */
  history: (ctx: CliContext, ref: string, o: { days: number }) => Promise<Listing<Item>>;
}

/** A metrics history: one thing's figures over its last --days, as a table or --json. */
function historyCommand<Item>(metrics: Command, command: HistoryCommand<Item>): void {
  metrics
    .command(command.spec)
    .description(command.description)
    .option(
      '--days <n>',
      `how many days back (default ${command.defaultDays})`,
      (v) => parseInteger('--days', v, 1, command.maxDays),
      command.defaultDays,
    )
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, ref: string, o: { days: number; json?: boolean }) =>
        printListing(ctx, o.json, await command.history(ctx, ref, o)),
      ),
    );
}
