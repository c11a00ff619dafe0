// Content: list (the CLI's filters), counts per stage, one piece (script, video, quality checks,
// distributions), create (from a topic or a trend), queue its production or retry a failed one, and its
// rendered video, streamed with Range support for the dashboard's player.
//
// Production is queued through the job engine (ApiDeps.contentSink), and any host's content worker runs it.
// A server built without a sink answers the routes that queue with 503 and writes nothing: the request is
// fine, this process just cannot queue it (`sovi content produce` can).
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { contentVideoFile, getContentDetails, listContentPage } from '../../content/content-reads.ts';
import {
  productionStatuses,
  reviewStates,
  stages,
  type ProductionStatus,
  type Stage,
} from '../../content/content-model.ts';
import {
  contentStatusCounts,
  createContent,
  getContent,
  produce,
  retryContent,
  setContentArchived,
} from '../../content/content-service.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { fileRange, sendByteRange } from '../byte-range.ts';
import {
  booleanParam,
  errorSchema,
  idParams,
  listParam,
  nicheFields,
  pageQuery,
  pageResponses,
  refParam,
  timeParam,
} from '../schemas.ts';
import { distributionSchema } from './distributions.ts';
import type { ApiDeps } from '../api-deps.ts';
import { op } from '../operation.ts';

const scriptSchema = z.object({
  title: z.string(),
  hook: z.string().describe('the opening line, from the chosen hook'),
  beats: z.array(z.object({ onScreenText: z.string(), narration: z.string() })),
  cta: z.string(),
  narration: z.string(),
  hashtags: z.array(z.string()),
  writer: z.string().describe('template, openai…'),
});

const contentFields = {
  id: z.string(),
  topic: z.string(),
  ...nicheFields,
  format: z.string().nullable(),
  status: z.enum(productionStatuses),
  qualityScore: z.number().nullable(),
  hookId: z.string().nullable(),
  trendId: z.string().nullable().describe('the trending topic it was made from'),
  hasVideo: z.boolean().describe('GET /content/{id}/video plays it'),
  archivedAt: z.date().nullable().describe('when it was archived; null for current content'),
  review: z
    .object({
      state: z.enum(reviewStates).describe('awaiting: in the review queue (shown as "awaiting review")'),
      requestedAt: z.date().nullable(),
      reviewedAt: z.date().nullable(),
      reviewedBy: z.string().nullable(),
      note: z.string().nullable().describe('the reason of a rejection, or the reviewer’s note'),
    })
    .nullable()
    .describe('review before posting; null when the content needed none'),
  createdAt: z.date(),
  updatedAt: z.date(),
};

/** A piece of content as listings show it: no script, no production record. */

export const contentSchema = z.object(contentFields);

const failureSchema = z.object({ stage: z.enum(stages), reason: z.string(), at: z.string() });

export const contentDetailsSchema = z.object({
  ...contentFields,
  script: scriptSchema.nullable(),
  outputPath: z.string().nullable().describe('where the rendered video is on the server'),
  failure: failureSchema.nullable().describe('why the production failed, when it did'),
  previousFailures: z.array(failureSchema).describe('failures earlier retries left behind'),
  quality: z
    .object({
      score: z.number(),
      checks: z.array(
        z.object({
          name: z.string(),
          passed: z.boolean(),
          value: z.union([z.number(), z.string(), z.null()]),
          expected: z.string(),
        }),
      ),
    })
    .nullable()
    .describe('the rendered video’s checks'),
  media: z
    .object({
      voice: z
        .object({
          engine: z.string(),
          voice: z.string().nullable(),
          model: z.string().nullable(),
          fellBack: z.array(z.string()).describe('engine:voice of each voice that failed before this one'),
        })
        .nullable(),
      music: z
        .object({
          title: z.string().nullable(),
          mood: z.string(),
          licence: z.string(),
          attribution: z.string(),
        })
        .nullable(),
      visuals: z.array(
        z.object({
          start: z.number(),
          end: z.number(),
          source: z.string().nullable().describe('library, pexels…; null: the generated scene'),
          id: z.string().nullable(),
          licence: z.string().nullable(),
          url: z.string().nullable(),
        }),
      ),
      captionTiming: z.string().nullable().describe('speech: timed from the voice; letters: estimated'),
    })
    .describe('who spoke, the music and each beat’s visual, with their licences'),
  distributions: z.array(distributionSchema),
});

/** Routes that take no body still refuse one with fields in it. */
const noBody = z.strictObject({}).nullish();

/** A piece of content as the API shows it: whether it has a video, not where the file is. */
export const withVideo = <T extends { outputPath: string | null }>(c: T) => ({
  ...c,
  hasVideo: c.outputPath !== null,
});

/** The body that creates content, here and from a trend (POST /trends/{id}/content). */
export const newContentFields = {
  topic: z.string().max(1000).optional().describe('3–200 characters; from the trend when one is given'),
  niche: refParam.optional().describe('niche slug; from the trend when one is given'),
  format: z.string().max(100).optional().describe('faceless (default), reddit_story, or a policy format'),
  produce: z.boolean().optional().describe('queue its production at once'),
};

const mp4 = { description: 'video/mp4', content: { 'video/mp4': { schema: z.string() } } };

/** What produce and retry answer: the content, and the stage now queued. */
const queuedResponses = {
  202: z.object({ content: contentSchema, queued: z.enum(stages) }),
};

export const contentRoutes: FastifyPluginAsyncZod<ApiDeps> = async (
  app,
  { db, config, policies, contentSink },
) => {
  const policy = policies.content;
  const mediaDir = config.content.mediaDir;
  const formats = Object.keys(policy.formats) as [string, ...string[]];

  app.get(
    '/content',
    op('content', {
      summary: 'List content, newest first unless sorted otherwise',
      description:
        'Current content unless archived=true (then archived content only). q searches the topic, the ' +
        "script's title and its narration. since and until bound the creation time. A cursor belongs to " +
        'the sort it was made with.',
      querystring: z.strictObject({
        status: listParam(productionStatuses).optional().describe('comma-separated, or repeated'),
        niche: refParam.optional().describe('niche slug'),
        format: listParam(formats).optional().describe('comma-separated, or repeated'),
        q: z.string().max(200).optional().describe('words in the topic, title or narration'),
        since: timeParam.optional().describe('created at or after: ISO-8601, or a duration ago like 7d'),
        until: timeParam.optional().describe('created before'),
        archived: booleanParam.optional().describe('true: only archived content'),
        sort: z.enum(['created', 'updated', 'topic']).default('created'),
        order: z
          .enum(['asc', 'desc'])
          .optional()
          .describe('desc (newest first) for the times and asc (A–Z) for the topic unless given'),
        ...pageQuery(1000, 100),
      }),
      response: pageResponses('content', contentSchema),
    }),
    async (request) => {
      const page = await listContentPage(db, { ...request.query, scope: scopeOf(request) });
      return { content: page.items.map(withVideo), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/content/status',
    op('content', {
      summary: 'How much current (unarchived) content is in each production stage',
      response: {
        200: z.object(
          Object.fromEntries(productionStatuses.map((s) => [s, z.number().int()])) as Record<
            ProductionStatus,
            z.ZodNumber
          >,
        ),
      },
    }),
    async (request) => contentStatusCounts(db, scopeOf(request)),
  );

  app.get(
    '/content/:id',
    op('content', {
      summary: 'One piece of content: script, video, quality checks, distributions',
      params: idParams('content'),
      response: { 200: contentDetailsSchema },
    }),
    async (request) => {
      const { content, ...details } = await getContentDetails(db, request.params.id, scopeOf(request));
      return { ...withVideo(content), ...details };
    },
  );

  app.get(
    '/content/:id/video',
    op('content', {
      summary: 'The rendered video (MP4), with Range requests for seeking',
      description:
        'Answers 206 with Content-Range for a single `Range: bytes=…` range, 416 for a range past the ' +
        'end, and the whole file otherwise. 404 when the content has no rendered video on this server.',
      params: idParams('content'),
      response: {
        200: mp4,
        206: { ...mp4, description: 'the requested bytes of the video' },
        416: errorSchema.describe('the range starts past the end of the file'),
      },
    }),
    async (request, reply) => {
      const video = await contentVideoFile(db, mediaDir, request.params.id, scopeOf(request));
      void reply
        .header('last-modified', video.modifiedAt.toUTCString())
        .header('cache-control', 'private, no-cache');
      // The file is piped as it is; the schema above only documents it.
      return sendByteRange(reply, request.headers.range, {
        open: fileRange(video.file),
        size: video.size,
        type: 'video/mp4',
        what: 'the video',
      });
    },
  );

  app.post(
    '/content',
    op('content', {
      action: 'content.write',
      summary: 'Create content from a topic, or from a trending topic (fromTrend)',
      body: z.strictObject({
        ...newContentFields,
        fromTrend: z
          .string()
          .max(200)
          .optional()
          .describe('a trending topic id: its topic and niche, unless given'),
      }),
      response: { 201: contentSchema },
    }),
    async (request, reply) => {
      const { fromTrend, ...input } = request.body;
      const created = await createContent(
        db,
        policy,
        { ...input, trendId: fromTrend, actor: actorOf(request), scope: scopeOf(request) },
        contentSink,
      );
      return reply.status(201).send(withVideo(created));
    },
  );

  app.post(
    '/content/:id/produce',
    op('content', {
      action: 'content.write',
      summary: 'Queue the production of a piece of content from the stage it is in',
      description:
        '202: queued (a stage already queued stays queued once). 409 for complete or failed content ' +
        '(retry a failed one). 503 when this server has no job engine to queue with.',
      params: idParams('content'),
      body: noBody,
      response: queuedResponses,
    }),
    async (request, reply) => {
      const content = await produce(db, contentSink, request.params.id, actorOf(request), scopeOf(request));
      return reply.status(202).send({ content: withVideo(content), queued: content.status as Stage });
    },
  );

  app.post(
    '/content/:id/retry',
    op('content', {
      action: 'content.write',
      summary: 'Restart a failed production at the stage that failed',
      description: '409 unless the content failed. 503 when this server has no job engine to queue with.',
      params: idParams('content'),
      body: noBody,
      response: queuedResponses,
    }),
    async (request, reply) => {
      const stage = await retryContent(
        db,
        contentSink,
        request.params.id,
        actorOf(request),
        scopeOf(request),
      );
      const content = await getContent(db, request.params.id);
      return reply.status(202).send({ content: withVideo(content), queued: stage });
    },
  );

  app.get(
    '/content/formats',
    op('content', {
      summary: 'The formats content can be made in (the content policy’s), and the platforms each suits',
      response: {
        200: z.object({
          formats: z.array(
            z.object({
              name: z.string(),
              platforms: z.array(z.string()),
              minSeconds: z.number(),
              maxSeconds: z.number(),
            }),
          ),
        }),
      },
    }),
    async () => ({
      formats: Object.entries(policy.formats).map(([name, f]) => ({
        name,
        platforms: [...f.platforms],
        minSeconds: f.minSeconds,
        maxSeconds: f.maxSeconds,
      })),
    }),
  );

  for (const [verb, archived] of [
    ['archive', true],
    ['restore', false],
  ] as const) {
    app.post(
      `/content/:id/${verb}`,
      {
        schema: {
          tags: ['content'],
          summary: archived
            ? 'Archive content whose production has ended: out of the board and the default listing'
            : 'Restore archived content to the board and the default listing',
          description: archived
            ? '409 while the content is in production (only complete or failed content is archived), or ' +
              'when it is archived already. Its distributions and metrics are kept.'
            : '409 when the content is not archived.',
          params: idParams('content'),
          body: noBody,
          response: { 200: contentSchema },
        },
        config: { action: 'content.write' },
      },
      async (request) =>
        withVideo(
          await setContentArchived(db, request.params.id, archived, actorOf(request), scopeOf(request)),
        ),
    );
  }
};
