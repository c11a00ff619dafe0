// Engagement metrics: batch ingest of snapshots (the same checks and all-or-nothing rule as `sovi metrics
// import`), and the dashboard's reads of the rollups over a span of days: one account hour by hour, one
// niche day by day, two accounts or niches side by side, every post's counts, the content that gained the
// most views, and how current the rollups are. Each read answers `?format=csv` with the same rows.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { resolveAccount } from '../../accounts/accounts-service.ts';
import { resolveNiche } from '../../niches/niches-service.ts';
import {
  accountHours,
  compareDaily,
  compareMetrics,
  dayRange,
  nicheDays,
  postPerformance,
  postSorts,
} from '../../metrics/analytics-reads.ts';
import { topContent } from '../../metrics/metrics-reads.ts';
import { rollupStatus } from '../../metrics/rollup-refresh.ts';
import { ENGAGEMENT_FORMULA, snapshotColumns } from '../../metrics/snapshot-format.ts';
import { ingestSnapshots } from '../../metrics/snapshot-ingest.ts';
import { BATCH_BODY_LIMIT, batchRefusal, batchRefusalSchema } from '../batch.ts';
import { formatParam, sendCsv } from '../csv-reply.ts';
import { integerParam, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { scopeOf } from '../auth.ts';
import { SoviError } from '../../errors.ts';
import { op } from '../operation.ts';

/** Items per batch; a bigger one is a file for `sovi metrics import`. */
const MAX_SNAPSHOTS = 10_000;

const issueSchema = z.object({
  line: z.number().int().optional().describe('the item of the batch, counted from 1'),
  field: z.string().optional().describe('the field of the item'),
  message: z.string(),
});

const snapshotDoc = z
  .unknown()
  .describe(
    `one snapshot: an object with ${snapshotColumns.join(', ')}. time (ISO-8601) and distribution_id are ` +
      "required; account_id defaults to the distribution's; counts are whole numbers ≥ 0, rates 0–1; " +
      `engagement_rate defaults to ${ENGAGEMENT_FORMULA}.`,
  );

const reportSchema = z.object({
  rows: z.number().int(),
  inserted: z.number().int(),
  duplicates: z.number().int().describe('already stored (same distribution and time): left as they were'),
  skippedRows: z.number().int().describe("bad items left out (onBadRows 'skip')"),
  skipped: z.array(issueSchema).describe('their problems, for the first 1,000 of them'),
  durationMs: z.number().int(),
});

const dayParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a day as YYYY-MM-DD')
  .optional();

/** A read's span of days when none is asked for, and the most it serves: stated once for its query and dayRange. */
interface Span {
  defaultDays: number;
  maxDays: number;
}
const lastWeek: Span = { defaultDays: 7, maxDays: 366 };
const lastMonth: Span = { defaultDays: 30, maxDays: 366 };
const lastQuarter: Span = { defaultDays: 90, maxDays: 3660 };

/** A span of UTC days: the last `days` (today the last), or from–to (both included). */
const rangeQuery = (span: Span) => ({
  days: integerParam(1, span.maxDays)
    .optional()
    .describe(`how many UTC days, today the last (default ${span.defaultDays}); from/to choose other days`),
  from: dayParam.describe('first UTC day, YYYY-MM-DD'),
  to: dayParam.describe('last UTC day, included (default today)'),
  format: formatParam,
});

const partialDoc = z
  .boolean()
  .describe('the period is not over yet (the current day or hour): its numbers are still growing');
const totalDoc = (what: string) => z.number().describe(`total ${what} (cumulative) at the period's end`);
const gainedDoc = (what: string) => z.number().describe(`${what} gained in the period (the day's delta)`);

const accountHourSchema = z.object({
  bucket: z.date(),
  partial: partialDoc,
  distributions: z.number().int(),
  samples: z.number().int(),
  views: totalDoc('views'),
  likes: totalDoc('likes'),
  comments: totalDoc('comments'),
  shares: totalDoc('shares'),
  saves: totalDoc('saves'),
  engagementRate: z.number().nullable(),
  followers: z.number().nullable(),
});

const nicheDaySchema = z.object({
  day: z.string().describe('YYYY-MM-DD (UTC)'),
  partial: partialDoc,
  viewsGained: gainedDoc('views'),
  likesGained: gainedDoc('likes'),
  commentsGained: gainedDoc('comments'),
  sharesGained: gainedDoc('shares'),
  savesGained: gainedDoc('saves'),
  engagementRate: z.number().nullable(),
  accounts: z.number().int(),
  followers: z.number().nullable().describe("total followers (cumulative) at the day's end"),
  followerDelta: z.number().nullable().describe('followers gained that day'),
  posts: z.number().int(),
  warmingSessions: z.number().int(),
});

const postSchema = z.object({
  distributionId: z.string(),
  contentId: z.string(),
  topic: z.string(),
  platform: z.string(),
  account: z.string().describe('platform:username'),
  niche: z.string().nullable().describe("the account's niche slug"),
  postedAt: z.date(),
  views: z.number().nullable().describe('total views (cumulative) at the last day with data in the range'),
  likes: z.number().nullable().describe('total likes (cumulative)'),
  comments: z.number().nullable().describe('total comments (cumulative)'),
  shares: z.number().nullable().describe('total shares (cumulative)'),
  engagementRate: z.number().nullable().describe('0–1'),
});

export const metricsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, pool, config }) => {
  const settings = config.metrics;

  app.post(
    '/metrics/snapshots',
    {
      config: { action: 'metrics.write', namesNulBytesByItem: true },
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        tags: ['metrics'],
        summary: 'Ingest a batch of metric snapshots; a replayed batch changes nothing',
        description:
          'Every item is checked; item N is reported as line N. By default (SOVI_METRICS_ON_BAD_ROWS) a ' +
          "batch with a bad item writes nothing and is answered 400 with every problem; with onBadRows 'skip' " +
          'the good items go in and the bad ones are listed in the report (and a warning event). ' +
          `At most ${MAX_SNAPSHOTS.toLocaleString('en')} items per request.`,
        body: z.strictObject({
          snapshots: z.array(snapshotDoc).min(1).max(MAX_SNAPSHOTS),
          onBadRows: z.enum(['reject', 'skip']).optional().describe('default SOVI_METRICS_ON_BAD_ROWS'),
        }),
        response: { 200: reportSchema, 400: batchRefusalSchema },
      },
    },
    async (request) => {
      if (scopeOf(request)) {
        // A batch may carry any account's counts: only a caller who sees every niche may send one.
        throw new SoviError(
          'forbidden',
          'snapshots: you are limited to some niches; a batch of metrics is imported by a user who sees every niche',
          { field: 'snapshots' },
        );
      }
      return ingestSnapshots(pool, request.body.snapshots, {
        futureToleranceSeconds: settings.futureToleranceSeconds,
        onBadRows: request.body.onBadRows ?? settings.onBadRows,
      }).catch(batchRefusal('body.snapshots'));
    },
  );

  app.get(
    '/metrics/status',
    op('metrics', {
      summary: 'How current the rollups are: the watermark, the last refresh, what waits to be folded in',
      response: {
        200: z.object({
          path: z.enum(['tables', 'timescaledb']),
          watermark: z.date().nullable(),
          lastRunAt: z.date().nullable(),
          lastHours: z.number().int().nullable(),
          lastDurationMs: z.number().int().nullable(),
          pendingHours: z.number().int(),
          pendingRows: z.number().int(),
          oldestPending: z.date().nullable(),
        }),
      },
    }),
    async () => rollupStatus(pool),
  );

  app.get(
    '/metrics/accounts/:ref/hourly',
    op('metrics', {
      summary: "An account's metrics hour by hour: its distributions' total counts at each hour's end",
      params: z.strictObject({ ref: refParam.describe('account id, platform:username or username') }),
      querystring: z.strictObject(rangeQuery(lastMonth)),
      response: {
        200: z.object({
          accountId: z.string(),
          from: z.date(),
          to: z.date(),
          hours: z.array(accountHourSchema),
        }),
      },
    }),
    async (request, reply) => {
      const accountId = await resolveAccount(db, request.params.ref, 'ref', scopeOf(request));
      const range = dayRange(request.query, lastMonth);
      const read = await accountHours(db, accountId, range);
      if (request.query.format === 'csv') {
        return sendCsv(
          reply,
          `${request.params.ref}-hourly-${range.from}-${range.to}`,
          hourColumns,
          read.hours,
        );
      }
      return { accountId, ...read };
    },
  );

  app.get(
    '/metrics/niches/:ref/daily',
    op('metrics', {
      summary: 'A niche day by day: views and likes gained, engagement, followers, posts, sessions',
      params: z.strictObject({ ref: refParam.describe('niche slug (or id)') }),
      querystring: z.strictObject(rangeQuery(lastQuarter)),
      response: {
        200: z.object({ niche: z.string().describe('niche id'), days: z.array(nicheDaySchema) }),
      },
    }),
    async (request, reply) => {
      const nicheId = await resolveNiche(db, request.params.ref, 'ref', scopeOf(request));
      const range = dayRange(request.query, lastQuarter);
      const days = await nicheDays(db, nicheId, range);
      if (request.query.format === 'csv') {
        return sendCsv(reply, `${request.params.ref}-daily-${range.from}-${range.to}`, dayColumns, days);
      }
      return { niche: nicheId, days };
    },
  );

  app.get(
    '/metrics/compare',
    op('metrics', {
      summary: 'Two accounts or two niches side by side: one metric gained per day',
      querystring: z.strictObject({
        kind: z.enum(['accounts', 'niches']),
        refs: z
          .string()
          .max(500)
          .transform((v) => v.split(',').map((s) => s.trim()))
          .pipe(z.array(refParam).min(2).max(4))
          .describe('2–4 accounts (platform:username or id) or niches (slug), comma-separated'),
        metric: z.enum(compareMetrics).optional().describe('default views'),
        ...rangeQuery(lastMonth),
      }),
      response: {
        200: z.object({
          metric: z.enum(compareMetrics),
          series: z.array(z.object({ ref: z.string(), id: z.string() })),
          days: z.array(
            z.object({
              day: z.string().describe('YYYY-MM-DD (UTC)'),
              partial: partialDoc,
              gained: z.array(z.number()).describe("each series' metric gained that day, in refs order"),
            }),
          ),
        }),
      },
    }),
    async (request, reply) => {
      const { kind, refs } = request.query;
      const metric = request.query.metric ?? 'views';
      const ids = await Promise.all(
        refs.map(async (ref) =>
          kind === 'accounts'
            ? await resolveAccount(db, ref, 'refs', scopeOf(request))
            : resolveNiche(db, ref, 'refs', scopeOf(request)),
        ),
      );
      const range = dayRange(request.query, lastMonth);
      const days = await compareDaily(db, { kind, ids, metric, range });
      if (request.query.format === 'csv') {
        // One column per series, named by what was asked for: day, partial, "tiktok:a views gained", …
        const header = refs.map((ref) => `${ref} ${metric} gained`);
        const rows = days.map((d) => ({
          day: d.day,
          partial: d.partial,
          ...Object.fromEntries(header.map((h, i) => [h, d.gained[i]])),
        }));
        return sendCsv<Record<string, unknown>>(
          reply,
          `compare-${metric}-${range.from}-${range.to}`,
          ['day', 'partial', ...header],
          rows,
        );
      }
      return { metric, series: refs.map((ref, i) => ({ ref, id: ids[i]! })), days };
    },
  );

  app.get(
    '/metrics/posts',
    op('metrics', {
      summary: 'The posts that went out in a span of days, each with its latest counts, sorted and paged',
      description:
        'Paged by offset (at most 10,000 rows deep) in a stable order: the sort column (empty values last), ' +
        "then the post's id. `total` counts every post of the span.",
      querystring: z.strictObject({
        ...rangeQuery(lastMonth),
        niche: refParam.optional().describe('niche slug'),
        account: refParam.optional().describe('platform:username or id'),
        sort: z.enum(postSorts).optional().describe('default postedAt'),
        direction: z.enum(['asc', 'desc']).optional().describe('default desc'),
        limit: integerParam(1, 1000).optional().describe('default 50'),
        offset: integerParam(0, 10_000).optional().describe('default 0'),
      }),
      response: { 200: z.object({ total: z.number().int(), posts: z.array(postSchema) }) },
    }),
    async (request, reply) => {
      const q = request.query;
      const range = dayRange(q, lastMonth);
      const read = await postPerformance(db, {
        range,
        nicheId:
          q.niche === undefined ? undefined : await resolveNiche(db, q.niche, 'niche', scopeOf(request)),
        scope: scopeOf(request),
        accountId:
          q.account === undefined
            ? undefined
            : await resolveAccount(db, q.account, 'account', scopeOf(request)),
        sort: q.sort ?? 'postedAt',
        direction: q.direction ?? 'desc',
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
      if (q.format === 'csv')
        return sendCsv(reply, `posts-${range.from}-${range.to}`, postColumns, read.posts);
      return read;
    },
  );

  app.get(
    '/metrics/top',
    op('metrics', {
      summary: 'The content that gained the most views in a span of days (default: this week)',
      querystring: z.strictObject({
        ...rangeQuery(lastWeek),
        limit: integerParam(1, 1000).optional().describe('default 20'),
        niche: refParam.optional().describe('niche slug'),
      }),
      response: {
        200: z.object({
          content: z.array(
            z.object({
              contentId: z.string(),
              topic: z.string(),
              nicheId: z.string().nullable(),
              viewsGained: gainedDoc('views').describe('views gained over the span'),
              likesGained: gainedDoc('likes').describe('likes gained over the span'),
              views: z
                .number()
                .describe('total views (cumulative) at the last day with data, over all its posts'),
            }),
          ),
        }),
      },
    }),
    async (request, reply) => {
      const { days: span, from, to, limit, niche } = request.query;
      const content = await topContent(db, {
        days: span ?? lastWeek.defaultDays,
        limit: limit ?? 20,
        nicheId: niche === undefined ? undefined : await resolveNiche(db, niche, 'niche', scopeOf(request)),
        scope: scopeOf(request),
        ...(from === undefined && to === undefined ? {} : { range: dayRange(request.query, lastWeek) }),
      });
      if (request.query.format === 'csv') {
        return sendCsv(
          reply,
          'top-content',
          ['contentId', 'topic', 'nicheId', 'viewsGained', 'likesGained', 'views'],
          content,
        );
      }
      return { content };
    },
  );
};

const hourColumns = [
  'bucket',
  'partial',
  'views',
  'likes',
  'comments',
  'shares',
  'saves',
  'engagementRate',
  'followers',
  'distributions',
  'samples',
] as const;
const dayColumns = [
  'day',
  'partial',
  'viewsGained',
  'likesGained',
  'commentsGained',
  'sharesGained',
  'savesGained',
  'engagementRate',
  'accounts',
  'followers',
  'followerDelta',
  'posts',
  'warmingSessions',
] as const;
const postColumns = [
  'postedAt',
  'account',
  'niche',
  'topic',
  'views',
  'likes',
  'comments',
  'shares',
  'engagementRate',
  'platform',
  'contentId',
  'distributionId',
] as const;
