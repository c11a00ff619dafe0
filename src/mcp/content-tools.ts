// Content and posts for agents: production status, one piece in full, posts, and the fixes: retry a failed
// production, retry a failed post for its account only, record a post the platform removed, and review.
import { z } from 'zod';
import { findAccount, resolveAccount } from '../accounts/accounts-service.ts';
import { getContentDetails } from '../content/content-reads.ts';
import { contentStatusCounts, retryContent, getContent } from '../content/content-service.ts';
import { approveContent, rejectContent } from '../content/review-service.ts';
import { retryPost } from '../distributions/calendar-service.ts';
import { distributionStatuses } from '../distributions/distribution-model.ts';
import { getDistribution, listDistributions } from '../distributions/distributions-reads.ts';
import { markDistributionRemoved } from '../distributions/distributions-service.ts';
import { limit, ref, uuidArg } from './tool-args.ts';
import { defineTool, type ToolContext } from './tool-kit.ts';

/** A post is the caller's if its account is (in their niches); otherwise it reads as absent. */
async function ownPost(ctx: ToolContext, id: string) {
  const post = await getDistribution(ctx.db, id);
  await findAccount(ctx.db, post.accountId, 'distributionId', ctx.caller.scope);
  return post;
}

export const contentTools = [
  defineTool({
    name: 'content_status',
    title: 'Content status',
    description:
      'Without contentId: how much current content is in each production stage. With it: that piece in ' +
      'full: its stage, script, failure (stage and reason) and earlier failures, quality checks and posts. ' +
      'Use it for content_failed and review events.',
    action: 'read',
    input: { contentId: uuidArg('content').optional() },
    async run(ctx, a) {
      if (a.contentId === undefined) return contentStatusCounts(ctx.db, ctx.caller.scope);
      return getContentDetails(ctx.db, a.contentId, ctx.caller.scope);
    },
  }),
  defineTool({
    name: 'list_distributions',
    title: 'List posts',
    description:
      'Posts (distributions), newest first, by content, account or status (pending, posted, failed, ' +
      'removed): their slot, attempts and platform post id. Use it for post_failed and post_removed.',
    action: 'read',
    input: {
      contentId: uuidArg('content').optional(),
      account: ref.optional().describe('account id, platform:username or username'),
      status: z.array(z.enum(distributionStatuses)).optional(),
      after: z.string().max(200).optional().describe('the nextCursor of the previous page'),
      limit,
    },
    async run(ctx, a) {
      const scope = ctx.caller.scope;
      return listDistributions(ctx.db, {
        contentId: a.contentId,
        accountId:
          a.account === undefined ? undefined : await resolveAccount(ctx.db, a.account, 'account', scope),
        scope,
        status: a.status,
        after: a.after,
        limit: a.limit ?? 20,
      });
    },
  }),
  defineTool({
    name: 'retry_production',
    title: 'Retry a failed production',
    description:
      'Restarts a failed production at the stage that failed and answers with the stage now queued. Use it ' +
      'when the failure looks transient (a timeout, a tool that crashed); not for rejected scripts.',
    action: 'content.write',
    input: { contentId: uuidArg('content') },
    async run(ctx, a) {
      const stage = await retryContent(
        ctx.db,
        await ctx.contentSink(),
        a.contentId,
        ctx.caller.actor,
        ctx.caller.scope,
      );
      return { queued: stage, content: await getContent(ctx.db, a.contentId, ctx.caller.scope) };
    },
  }),
  defineTool({
    name: 'retry_post',
    title: 'Retry a failed post',
    description:
      'Puts one failed post back in the queue for its account only (the content’s other posts are not ' +
      'touched), published now or at `at`. Use it once the cause of a post_failed is gone.',
    action: 'content.write',
    input: {
      distributionId: uuidArg('distribution'),
      at: z.iso.datetime({ offset: true }).optional().describe('publish then (ISO-8601) instead of now'),
    },
    async run(ctx, a) {
      await ownPost(ctx, a.distributionId);
      return retryPost(
        ctx.db,
        await ctx.contentSink(),
        a.distributionId,
        ctx.caller.actor,
        ctx.caller.scope,
        new Date(),
        a.at === undefined ? undefined : new Date(a.at),
      );
    },
  }),
  defineTool({
    name: 'mark_post_removed',
    title: 'Record a removed post',
    description:
      'Records that the platform took a posted post down, with what the platform said. Only for posts that ' +
      'are posted.',
    action: 'content.write',
    input: {
      distributionId: uuidArg('distribution'),
      reason: z.string().trim().min(1).max(1000).describe('what the platform said: required'),
    },
    async run(ctx, a) {
      await ownPost(ctx, a.distributionId);
      return markDistributionRemoved(ctx.db, a.distributionId, a.reason, ctx.caller.actor);
    },
  }),
  defineTool({
    name: 'approve_content',
    title: 'Approve content awaiting review',
    description:
      'Approves content awaiting review: all its planned posts are queued at their slots. Only for reviewers, ' +
      'and only after reading its script and checks (content_status).',
    action: 'content.review',
    input: {
      contentId: uuidArg('content'),
      note: z.string().max(2000).optional().describe('kept in the audit trail'),
    },
    async run(ctx, a) {
      return approveContent(
        ctx.db,
        await ctx.contentSink(),
        a.contentId,
        { note: a.note },
        ctx.caller.actor,
        ctx.caller.scope,
      );
    },
  }),
  defineTool({
    name: 'reject_content',
    title: 'Reject content awaiting review',
    description:
      'Rejects content awaiting review with a reason: none of its posts goes out and its production fails ' +
      'at scripting, to be produced again or archived by a person.',
    action: 'content.review',
    input: {
      contentId: uuidArg('content'),
      reason: z.string().trim().min(1).max(1000).describe('why: required'),
    },
    run: (ctx, a) => rejectContent(ctx.db, a.contentId, a.reason, ctx.caller.actor, ctx.caller.scope),
  }),
];
