// Review before posting: the review queue (content awaiting a reviewer, with its video, script, quality
// checks and each post's caption, hashtags and slot), and a reviewer's approval or rejection. Reviewers
// (content.review) decide; the queue is read by anyone, within their niches.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { approveContent, rejectContent, reviewQueue } from '../../content/review-service.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { idParams, integerParam, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { contentDetailsSchema, contentSchema, withVideo } from './content.ts';
import { op } from '../operation.ts';

const hashtags = z.array(z.string().max(100)).max(30);

const outcomeSchema = z.object({
  approved: z
    .array(z.object({ id: z.string(), account: z.string(), scheduledAt: z.date() }))
    .describe('the posts approved, each queued at its slot'),
  rejected: z
    .array(z.object({ id: z.string(), account: z.string() }))
    .describe('the content’s other posts, rejected: they never go out'),
});

export const reviewRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, contentSink }) => {
  app.get(
    '/content/review',
    op('review', {
      summary: 'The review queue: content awaiting a reviewer, oldest first',
      description:
        'Each piece with its script, quality checks and whether it has a video (GET /content/{id}/video ' +
        'plays it), and its posts: per account the caption, hashtags, options and planned slot ' +
        '(scheduledAt). Content of a niche with review `optional` is listed too; its posts are already ' +
        'scheduled (review null) and go out unless rejected.',
      querystring: z.strictObject({
        niche: refParam.optional().describe('niche slug'),
        limit: integerParam(1, 500).optional().describe('at most this many (default 100)'),
      }),
      response: { 200: z.object({ content: z.array(contentDetailsSchema) }) },
    }),
    async (request) => {
      const queue = await reviewQueue(db, { ...request.query, scope: scopeOf(request) });
      return { content: queue.map(({ content, ...details }) => ({ ...withVideo(content), ...details })) };
    },
  );

  app.post(
    '/content/:id/approve',
    op('review', {
      action: 'content.review',
      summary: 'Approve content awaiting review, for all its accounts or some (the others are rejected)',
      description:
        'Without `approve`, every post is approved as planned. With it, only the posts named (by ' +
        'distribution id, account id, username or platform:username) are approved, each with an ' +
        'optional new caption and hashtags; the content’s other posts are rejected and that account ' +
        'never receives this content. A slot that passed while the content waited is replaced by the ' +
        'account’s next free one. 409 when it is not awaiting review, or an account has no free slot.',
      params: idParams('content'),
      body: z
        .strictObject({
          approve: z
            .array(
              z.strictObject({
                post: refParam.describe('distribution id, account id, username or platform:username'),
                caption: z.string().max(5000).optional().describe('a new caption for this post'),
                hashtags: hashtags.optional().describe('new hashtags for this post (without #)'),
              }),
            )
            .min(1)
            .max(1000)
            .optional(),
          note: z.string().max(2000).optional().describe('kept in the audit trail'),
        })
        .nullish(),
      response: { 200: outcomeSchema },
    }),
    async (request) =>
      approveContent(
        db,
        contentSink,
        request.params.id,
        request.body ?? {},
        actorOf(request),
        scopeOf(request),
      ),
  );

  app.post(
    '/content/:id/reject',
    op('review', {
      action: 'content.review',
      summary: 'Reject content awaiting review, with a reason: none of its posts goes out',
      description:
        'Its production fails at scripting with the reason: POST /content/{id}/retry produces it again ' +
        '(a new script and new posts), or archive it. 409 when it is not awaiting review.',
      params: idParams('content'),
      body: z.strictObject({
        reason: z
          .string()
          .min(1)
          .max(1000)
          .describe('why; shown with the content and kept in the audit trail'),
      }),
      response: { 200: contentSchema },
    }),
    async (request) =>
      withVideo(
        await rejectContent(db, request.params.id, request.body.reason, actorOf(request), scopeOf(request)),
      ),
  );
};
