// Trending topics: list (best first), one topic with its sightings, import (a JSON array, checked and
// merged as `sovi trends import` does), and creating content from a topic.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createContent } from '../../content/content-service.ts';
import { importColumns, importTrends } from '../../trends/trends-import.ts';
import { listTrendsPage } from '../../trends/trends-reads.ts';
import { getTrend } from '../../trends/trends-service.ts';
import { actorOf } from '../auth.ts';
import { booleanParam, idParams, nicheFields, pageQuery, pageResponses, refParam } from '../schemas.ts';
import { contentSchema, newContentFields, withVideo } from './content.ts';
import type { ApiDeps } from '../api-deps.ts';
import { BATCH_BODY_LIMIT, batchRefusal, batchRefusalSchema } from '../batch.ts';
import { op } from '../operation.ts';

const MAX_TOPICS = 10_000;

const trendSchema = z.object({
  id: z.string(),
  ...nicheFields,
  topic: z.string(),
  source: z.string().describe('reddit, or what an import said (tiktok, manual…)'),
  sourceUrl: z.string().nullable(),
  sourceGroup: z.string().nullable().describe('the population its ratio is measured against'),
  trendScore: z.number().nullable().describe('0–1, best first'),
  overperformanceRatio: z.number().nullable(),
  engagement: z.number().nullable(),
  velocity: z.number().nullable().describe('engagement gained per hour'),
  baselineMedian: z.number().nullable(),
  isActive: z.boolean(),
  publishedAt: z.date().nullable(),
  discoveredAt: z.date(),
  lastSeenAt: z.date(),
  scoredAt: z.date().nullable(),
});

const topicDoc = z
  .unknown()
  .describe(
    `one topic: an object with ${importColumns.join(', ')}. topic, niche (slug) and source are required; ` +
      'values are text or numbers.',
  );

export const trendsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (
  app,
  { db, config, policies, contentSink },
) => {
  const settings = config.trends;
  const policy = policies.content;

  app.get(
    '/trends',
    op('trends', {
      summary: 'Trending topics, best first (active ones unless all=true)',
      querystring: z.strictObject({
        niche: refParam.optional().describe('niche slug'),
        all: booleanParam.optional().describe('inactive topics too'),
        ...pageQuery(1000, 50),
      }),
      response: pageResponses('trends', trendSchema),
    }),
    async (request) => listTrendsPage(db, request.query),
  );

  app.get(
    '/trends/:id',
    op('trends', {
      summary: 'One trending topic: its numbers, the median it was measured against, its sightings',
      params: idParams('trending topic'),
      response: {
        200: trendSchema.extend({
          history: z.array(
            z.object({
              source: z.string(),
              group: z.string(),
              itemId: z.string(),
              engagement: z.number(),
              observedAt: z.date(),
            }),
          ),
        }),
      },
    }),
    async (request) => getTrend(db, request.params.id),
  );

  app.post(
    '/trends/import',
    {
      config: { action: 'trends.write' },
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        tags: ['trends'],
        summary: 'Import trending topics: every item checked first, then all or none',
        description:
          'Items are scored and merged like pulled topics. Every bad item is reported as a line (its ' +
          `position, from 1) with its field, and then nothing is imported. At most ${MAX_TOPICS.toLocaleString('en')} ` +
          'items per request.',
        body: z.array(topicDoc).min(1).max(MAX_TOPICS),
        response: {
          200: z.object({
            rows: z.number().int(),
            items: z.number().int().describe('rows young enough to be topics (duplicates merge)'),
            tooOld: z.number().int(),
            created: z.number().int(),
            merged: z.number().int(),
          }),
          400: batchRefusalSchema,
        },
      },
    },
    async (request) => {
      // One item per line, so the importer's line numbers are the items' positions.
      const text = `[${request.body.map((item) => JSON.stringify(item)).join(',\n')}]`;
      return importTrends({ db, settings, actor: actorOf(request) }, text, {
        source: 'body',
        format: 'json',
      }).catch(batchRefusal('body'));
    },
  );

  app.post(
    '/trends/:id/content',
    op('trends', {
      action: 'content.write',
      summary: 'Create content from a trending topic (its topic and niche, unless given)',
      params: idParams('trending topic'),
      body: z.strictObject(newContentFields).nullish(),
      response: { 201: contentSchema },
    }),
    async (request, reply) => {
      const created = await createContent(
        db,
        policy,
        { ...request.body, trendId: request.params.id, names: { trendId: 'id' }, actor: actorOf(request) },
        contentSink,
      );
      return reply.status(201).send(withVideo(created));
    },
  );
};
