// How things perform, for agents: an account hour by hour, a niche day by day, the top content, the hook
// leaderboard and trending topics. The same reads the analytics page and its API use.
import { z } from 'zod';
import { findAccount } from '../accounts/accounts-service.ts';
import { hookLeaderboard } from '../hooks/hooks-reads.ts';
import { accountHours, dayRange, nicheDays } from '../metrics/analytics-reads.ts';
import { topContent } from '../metrics/metrics-reads.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { platforms } from '../platforms.ts';
import { listTrendsPage } from '../trends/trends-reads.ts';
import { limit, nicheRef, ref } from './tool-args.ts';
import { defineTool } from './tool-kit.ts';

const days = (max: number, dflt: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(max)
    .optional()
    .describe(`how many days back, today included (default ${dflt})`);

export const insightTools = [
  defineTool({
    name: 'account_metrics',
    title: 'Account metrics, hour by hour',
    description:
      "An account's views, likes, comments and shares hour by hour (totals at each hour's end; the current " +
      'hour is partial). Use it to see whether an account is still reaching people (a sudden drop may mean a ' +
      'shadowban).',
    action: 'read',
    input: { account: ref.describe('account id, platform:username or username'), days: days(31, 3) },
    async run(ctx, a) {
      const account = await findAccount(ctx.db, a.account, 'account', ctx.caller.scope);
      const read = await accountHours(
        ctx.db,
        account.id,
        dayRange({ days: a.days }, { defaultDays: 3, maxDays: 31 }),
      );
      return { accountId: account.id, ...read };
    },
  }),
  defineTool({
    name: 'niche_metrics',
    title: 'Niche metrics, day by day',
    description:
      'A niche day by day: views and likes gained, engagement, followers, posts and warming sessions. Use it ' +
      'for trends across a niche.',
    action: 'read',
    input: { niche: nicheRef, days: days(366, 14) },
    async run(ctx, a) {
      const nicheId = await resolveNiche(ctx.db, a.niche, 'niche', ctx.caller.scope);
      const read = await nicheDays(
        ctx.db,
        nicheId,
        dayRange({ days: a.days }, { defaultDays: 14, maxDays: 366 }),
      );
      return { niche: nicheId, days: read };
    },
  }),
  defineTool({
    name: 'top_content',
    title: 'Top content',
    description:
      'The content that gained the most views over the last days (default this week), optionally in one niche. ' +
      'Use it to see what performs, or to check whether a drop in views is general or one video.',
    action: 'read',
    input: { days: days(366, 7), niche: nicheRef.optional(), limit },
    async run(ctx, a) {
      const scope = ctx.caller.scope;
      return {
        content: await topContent(ctx.db, {
          days: a.days ?? 7,
          limit: a.limit ?? 20,
          nicheId: a.niche === undefined ? undefined : await resolveNiche(ctx.db, a.niche, 'niche', scope),
          scope,
        }),
      };
    },
  }),
  defineTool({
    name: 'hook_leaderboard',
    title: 'Hook leaderboard',
    description:
      'Hooks (opening lines) ranked by how well they are expected to do on a platform, from their posts so ' +
      'far; in a niche, its own hooks and the generic ones. Use it when judging a script or a failed ' +
      'production: which openings work for that niche and platform.',
    action: 'read',
    input: {
      platform: z.enum(platforms).optional().describe(`default ${platforms[0]}`),
      niche: nicheRef.optional(),
      limit,
    },
    async run(ctx, a) {
      const platform = a.platform ?? platforms[0];
      if (a.niche !== undefined) await resolveNiche(ctx.db, a.niche, 'niche', ctx.caller.scope);
      return {
        platform,
        hooks: await hookLeaderboard(ctx.db, { platform, niche: a.niche, limit: a.limit ?? 20 }),
      };
    },
  }),
  defineTool({
    name: 'list_trends',
    title: 'Trending topics',
    description:
      'Trending topics, best first (active ones unless all is true), optionally for one niche. Use it when ' +
      'content for a niche is due and needs a topic, or to explain a trend-related event.',
    action: 'read',
    input: { niche: nicheRef.optional(), all: z.boolean().optional(), limit },
    async run(ctx, a) {
      if (a.niche !== undefined) await resolveNiche(ctx.db, a.niche, 'niche', ctx.caller.scope);
      return listTrendsPage(ctx.db, { niche: a.niche, all: a.all, limit: a.limit ?? 20 });
    },
  }),
];
