// The simulator metrics collector: the default for every platform, so a fresh install and the demo pull
// numbers with no platform account. Each post's counts follow from its id and the seed, and grow with its
// age along a saturating curve (most views in the first days), so repeated pulls look like a real post's.
// It answers only for posts the simulator publisher made (ids starting sim_): a real post, made by a real
// publisher while metrics are still left to the simulator, never gets invented numbers.
import { z } from 'zod';
import { parseOptions } from '../settings/parse-options.ts';
import type { MetricsCollector, MetricsCollectorFactory } from './metrics-collector.ts';
import { roll, seedOption } from './simulation.ts';

const optionsSchema = z
  .object({
    seed: seedOption,
    /** The clock the curves are read at (tests). */
    now: z.coerce.date().optional(),
  })
  .loose();

const HOUR = 3_600_000;
/** The ids simulator-publisher.ts gives its posts. */
const SIMULATED = /^sim_/;

export const createSimulatorCollector: MetricsCollectorFactory = (options, context) => {
  const parsed = parseOptions(optionsSchema, options, 'SOVI_METRICS_COLLECTOR_OPTIONS');
  const { seed } = parsed;
  const now = () => parsed.now ?? new Date();
  const collector: MetricsCollector = {
    name: 'simulator',
    needsConnection: false,
    postsPerCall: 50,
    callBudget: { calls: 10_000, windowMs: 60_000, per: 'app' },
    readPosts: async (_account, posts) =>
      posts
        .filter((post) => SIMULATED.test(post.platformPostId))
        .map((post) => {
          const r = (what: string) => roll(seed, context.platform, post.platformPostId, what);
          const ageHours = Math.max(0, (now().getTime() - post.postedAt.getTime()) / HOUR);
          // Reach settles over about two days: 1 - e^(-age/18h).
          const reach = 1 - Math.exp(-ageHours / 18);
          const views = Math.floor((300 + r('views') ** 2 * 80_000) * reach);
          const share = (what: string, max: number) => Math.floor(views * r(what) * max);
          return {
            platformPostId: post.platformPostId,
            views,
            likes: share('likes', 0.12),
            comments: share('comments', 0.01),
            shares: share('shares', 0.02),
            saves: share('saves', 0.015),
          };
        }),
    readFollowers: async (account) => {
      const base = Math.floor(200 + roll(seed, account.id, 'followers') * 20_000);
      const days = Math.floor(now().getTime() / (24 * HOUR));
      return base + Math.floor(days % 1_000) * 3;
    },
  };
  return collector;
};
