// Distributions (posts): list, newest first, by content, account and status; and recording that a platform
// took a post down.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { findAccount } from '../../accounts/accounts-service.ts';
import { platforms } from '../../platforms.ts';
import { distributionStatuses } from '../../distributions/distribution-model.ts';
import { listDistributions } from '../../distributions/distributions-reads.ts';
import { markDistributionRemoved } from '../../distributions/distributions-service.ts';
import { invalidInput } from '../../errors.ts';
import { isUuid } from '../../ids.ts';
import { idParams, listParam, pageQuery, pageResponses, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf, scopeOf } from '../auth.ts';

export const distributionSchema = z.object({
  id: z.string(),
  contentId: z.string(),
  accountId: z.string(),
  username: z.string(),
  platform: z.enum(platforms),
  status: z.enum(distributionStatuses),
  caption: z.string().nullable(),
  hashtags: z.array(z.string()),
  attempts: z.number().int().describe('publish attempts so far'),
  postedAt: z.date().nullable(),
  platformPostId: z.string().nullable(),
  createdAt: z.date().describe('when it was planned'),
});

export const distributionsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/distributions',
    {
      schema: {
        tags: ['distributions'],
        summary: 'List distributions (posts), newest first',
        querystring: z.strictObject({
          content: z.string().max(200).optional().describe('content id'),
          account: refParam.optional().describe('account id, platform:username or username'),
          status: listParam(distributionStatuses).optional().describe('comma-separated, or repeated'),
          ...pageQuery(1000, 100),
        }),
        response: pageResponses('distributions', distributionSchema),
      },
    },
    async (request) => {
      const { content, account, status, after, limit } = request.query;
      if (content !== undefined && !isUuid(content)) {
        throw invalidInput('content', `content: expected a content id, got "${content}"`);
      }
      return listDistributions(db, {
        contentId: content,
        accountId:
          account === undefined
            ? undefined
            : (await findAccount(db, account, 'account', scopeOf(request))).id,
        scope: scopeOf(request),
        status,
        after,
        limit,
      });
    },
  );

  app.post(
    '/distributions/:id/removed',
    {
      config: { action: 'content.write' },
      schema: {
        tags: ['distributions'],
        summary: 'Record that the platform took a post down (409 unless it is posted)',
        params: idParams('distribution'),
        body: z.strictObject({
          reason: z.string().min(1).max(1000).describe('what the platform said; kept in the event log'),
        }),
        response: { 200: distributionSchema },
      },
    },
    async (request) => markDistributionRemoved(db, request.params.id, request.body.reason, actorOf(request)),
  );
};
