// Engagement metrics: batch ingest of snapshots (the same checks and all-or-nothing rule as `sovi metrics
// import`), and the dashboard's reads of the rollups: one account hour by hour, one niche day by day, the
// content that gained the most views, and how current the rollups are.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { findAccount } from '../../accounts/accounts-service.ts';
import { resolveNiche } from '../../niches/niches-service.ts';
import { recentAccountHours, recentNicheDays, topContent } from '../../metrics/metrics-reads.ts';
import { rollupStatus } from '../../metrics/rollup-refresh.ts';
import { ENGAGEMENT_FORMULA, snapshotColumns } from '../../metrics/snapshot-format.ts';
import { ingestSnapshots } from '../../metrics/snapshot-ingest.ts';
import { BATCH_BODY_LIMIT, batchRefusal, batchRefusalSchema } from '../batch.ts';
import { integerParam, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';

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

const days = (max: number, fallback: number) =>
  integerParam(1, max).optional().describe(`how many days back (default ${fallback})`);

export const metricsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, pool, config }) => {
  const settings = config.metrics;

  app.post(
    '/metrics/snapshots',
    {
      config: { action: 'metrics.write' },
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
    async (request) =>
      ingestSnapshots(pool, request.body.snapshots, {
        futureToleranceSeconds: settings.futureToleranceSeconds,
        onBadRows: request.body.onBadRows ?? settings.onBadRows,
      }).catch(batchRefusal('body.snapshots')),
  );

  app.get(
    '/metrics/status',
    {
      schema: {
        tags: ['metrics'],
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
      },
    },
    async () => rollupStatus(pool),
  );

  app.get(
    '/metrics/accounts/:ref/hourly',
    {
      schema: {
        tags: ['metrics'],
        summary: "An account's metrics hour by hour: its distributions' latest counts in each hour",
        params: z.strictObject({ ref: refParam.describe('account id, platform:username or username') }),
        querystring: z.strictObject({ days: days(366, 30) }),
        response: {
          200: z.object({
            accountId: z.string(),
            from: z.date(),
            to: z.date(),
            hours: z.array(
              z.object({
                bucket: z.date(),
                distributions: z.number().int(),
                samples: z.number().int(),
                views: z.number(),
                likes: z.number(),
                comments: z.number(),
                shares: z.number(),
                saves: z.number(),
                engagementRate: z.number().nullable(),
                followers: z.number().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const account = await findAccount(db, request.params.ref);
      return {
        accountId: account.id,
        ...(await recentAccountHours(db, account.id, request.query.days ?? 30)),
      };
    },
  );

  app.get(
    '/metrics/niches/:ref/daily',
    {
      schema: {
        tags: ['metrics'],
        summary: 'A niche day by day: views and likes gained, engagement, followers, posts, sessions',
        params: z.strictObject({ ref: refParam.describe('niche slug (or id)') }),
        querystring: z.strictObject({ days: days(3660, 90) }),
        response: {
          200: z.object({
            niche: z.string().describe('niche id'),
            days: z.array(
              z.object({
                day: z.string().describe('YYYY-MM-DD (UTC)'),
                viewsGained: z.number(),
                likesGained: z.number(),
                commentsGained: z.number(),
                sharesGained: z.number(),
                savesGained: z.number(),
                engagementRate: z.number().nullable(),
                accounts: z.number().int(),
                followers: z.number().nullable(),
                followerDelta: z.number().nullable(),
                posts: z.number().int(),
                warmingSessions: z.number().int(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const nicheId = await resolveNiche(db, request.params.ref, 'ref');
      return { niche: nicheId, days: await recentNicheDays(db, nicheId, request.query.days ?? 90) };
    },
  );

  app.get(
    '/metrics/top',
    {
      schema: {
        tags: ['metrics'],
        summary: 'The content that gained the most views in the last days (default: this week)',
        querystring: z.strictObject({
          days: integerParam(1, 366).optional().describe('how many UTC days, today included (default 7)'),
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
                viewsGained: z.number(),
                likesGained: z.number(),
                views: z.number().describe('its views at the last day with data, over all its posts'),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { days: span, limit, niche } = request.query;
      const content = await topContent(db, {
        days: span ?? 7,
        limit: limit ?? 20,
        nicheId: niche === undefined ? undefined : await resolveNiche(db, niche),
      });
      return { content };
    },
  );
};
