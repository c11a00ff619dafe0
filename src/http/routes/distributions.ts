// Distributions (posts): list, newest first, by content, account and status; recording that a platform
// took a post down; and, before a post goes out, reschedule, cancel and edit it, or retry a failed one for
// its account only (the calendar's actions; operators, content.write).
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { resolveAccount } from '../../accounts/accounts-service.ts';
import { platforms } from '../../platforms.ts';
import {
  calendarStates,
  distributionReviews,
  distributionStatuses,
  privacyLevels,
  publishStages,
} from '../../distributions/distribution-model.ts';
import { getDistribution, listDistributions } from '../../distributions/distributions-reads.ts';
import { markDistributionRemoved } from '../../distributions/distributions-service.ts';
import { cancelPost, editPost, reschedulePost, retryPost } from '../../distributions/calendar-service.ts';
import { invalidInput } from '../../errors.ts';
import { isUuid } from '../../ids.ts';
import { idParams, listParam, pageQuery, pageResponses, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { op } from '../operation.ts';

export const postOptionsSchema = z.object({
  privacyLevel: z.enum(privacyLevels),
  allowComments: z.boolean(),
  allowDuet: z.boolean(),
  allowStitch: z.boolean(),
  brandedContent: z.boolean().describe('the platforms’ branded-content disclosure (a paid partnership)'),
  brandOrganic: z
    .boolean()
    .describe('promotes the creator’s own business (TikTok’s brand_organic_toggle, “Your brand”)'),
  aiGenerated: z.boolean().describe('the AI-generated content label; on for everything sovi produced'),
});

const processingSchema = z
  .object({
    stage: z.enum(publishStages),
    publishId: z.string().nullable().describe('TikTok’s publish_id, Instagram’s container id'),
    updatedAt: z.date().describe('when sovi last recorded a step at the platform'),
    privacyLevel: z.string().nullable().describe('the platform’s privacy level it was sent with'),
    note: z.string().nullable().describe('what the platform allows the account, e.g. private posts only'),
    reason: z.string().nullable().describe('why the platform failed it, in its words'),
    platformCode: z.string().nullable().describe('the platform’s failure code'),
    videoSize: z.number().int().nullable().describe('bytes declared to the platform'),
    totalChunkCount: z.number().int().nullable().describe('chunks declared to the platform'),
  })
  .nullable()
  .describe(
    'its progress at the platform while an official connector publishes it (asynchronous there); ' +
      'null under the simulator or before the connector took it',
  );

export const distributionSchema = z.object({
  id: z.string(),
  contentId: z.string(),
  accountId: z.string(),
  username: z.string(),
  platform: z.enum(platforms),
  status: z.enum(distributionStatuses),
  state: z
    .enum(calendarStates)
    .describe(
      'the status as the calendar shows it: a pending post is awaiting_review, scheduled, rejected or cancelled',
    ),
  caption: z.string().nullable(),
  hashtags: z.array(z.string()),
  attempts: z.number().int().describe('publish attempts so far'),
  scheduledAt: z.date().nullable().describe('the slot it goes out at (its publish job is due then)'),
  options: postOptionsSchema.describe('the platform options it is published with'),
  review: z
    .enum(distributionReviews)
    .nullable()
    .describe('its review decision; null when its content needed no review'),
  cancelledAt: z.date().nullable(),
  cancelledBy: z.string().nullable(),
  postedAt: z.date().nullable(),
  platformPostId: z.string().nullable(),
  processing: processingSchema,
  createdAt: z.date().describe('when it was planned'),
});

/** A slot: an ISO-8601 time with its offset. */
const slotParam = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

/** Routes that take no body still refuse one with fields in it. */
const noBody = z.strictObject({}).nullish();

export const distributionsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, contentSink }) => {
  app.get(
    '/distributions',
    op('distributions', {
      summary: 'List distributions (posts), newest first',
      querystring: z.strictObject({
        content: z.string().max(200).optional().describe('content id'),
        account: refParam.optional().describe('account id, platform:username or username'),
        status: listParam(distributionStatuses).optional().describe('comma-separated, or repeated'),
        ...pageQuery(1000, 100),
      }),
      response: pageResponses('distributions', distributionSchema),
    }),
    async (request) => {
      const { content, account, status, after, limit } = request.query;
      if (content !== undefined && !isUuid(content)) {
        throw invalidInput('content', `content: expected a content id, got "${content}"`);
      }
      return listDistributions(db, {
        contentId: content,
        accountId:
          account === undefined ? undefined : await resolveAccount(db, account, 'account', scopeOf(request)),
        scope: scopeOf(request),
        status,
        after,
        limit,
      });
    },
  );

  app.get(
    '/distributions/:id',
    op('distributions', {
      summary: 'One distribution (post), with its progress at the platform while it publishes there',
      params: idParams('distribution'),
      response: { 200: distributionSchema },
    }),
    async (request) => getDistribution(db, request.params.id, scopeOf(request)),
  );

  app.post(
    '/distributions/:id/removed',
    op('distributions', {
      action: 'content.write',
      summary: 'Record that the platform took a post down (409 unless it is posted)',
      params: idParams('distribution'),
      body: z.strictObject({
        reason: z.string().min(1).max(1000).describe('what the platform said; kept in the event log'),
      }),
      response: { 200: distributionSchema },
    }),
    async (request) => markDistributionRemoved(db, request.params.id, request.body.reason, actorOf(request)),
  );

  app.post(
    '/distributions/:id/reschedule',
    op('distributions', {
      action: 'content.write',
      summary: 'Move a post not yet out to a new slot',
      description:
        'The slot must be in the future and, unless force is true, one of its account’s posting windows ' +
        '(in the account’s time zone) that keeps its posts per day, minimum gap and platform limit. The ' +
        'post’s job for the old slot does nothing when it runs. 409 for a post already out, cancelled or ' +
        'rejected.',
      params: idParams('distribution'),
      body: z.strictObject({
        at: slotParam.describe('the new slot (ISO-8601 with an offset or Z)'),
        force: z.boolean().optional().describe('accept a time outside the windows or past the limits'),
      }),
      response: { 200: distributionSchema },
    }),
    async (request) =>
      reschedulePost(db, contentSink, request.params.id, request.body, actorOf(request), scopeOf(request)),
  );

  app.post(
    '/distributions/:id/cancel',
    op('distributions', {
      action: 'content.write',
      summary: 'Cancel a post not yet out: it is never published (409 once it is out)',
      params: idParams('distribution'),
      body: noBody,
      response: { 200: distributionSchema },
    }),
    async (request) => cancelPost(db, request.params.id, actorOf(request), scopeOf(request)),
  );

  app.post(
    '/distributions/:id/retry',
    op('distributions', {
      action: 'content.write',
      summary: 'Retry a failed post, for its account only',
      description:
        'The post goes back to pending with a fresh attempt count and is published at `at` (now unless ' +
        'given), with the same idempotency key: the content’s other posts, including those that went out, ' +
        'are not touched. 409 unless the post failed.',
      params: idParams('distribution'),
      body: z.strictObject({ at: slotParam.optional().describe('publish then instead of now') }).nullish(),
      response: { 200: distributionSchema },
    }),
    async (request) =>
      retryPost(
        db,
        contentSink,
        request.params.id,
        actorOf(request),
        scopeOf(request),
        new Date(),
        request.body?.at,
      ),
  );

  app.patch(
    '/distributions/:id',
    op('distributions', {
      action: 'content.write',
      summary: 'Edit the caption, hashtags or platform options of a post before it goes out',
      description:
        'The caption must fit the platform (TikTok 150 characters, Instagram 2,000) and the hashtags its ' +
        'count (5, 8). 409 for a post already out, cancelled or rejected.',
      params: idParams('distribution'),
      body: z.strictObject({
        caption: z.string().max(5000).optional(),
        hashtags: z.array(z.string().max(100)).max(30).optional().describe('without #'),
        options: postOptionsSchema.partial().strict().optional().describe('only the options to change'),
      }),
      response: { 200: distributionSchema },
    }),
    async (request) => editPost(db, request.params.id, request.body, actorOf(request), scopeOf(request)),
  );
};
