// Hooks as people read them (the API, the CLI, the dashboard): keyset pages by category, then oldest first;
// one hook with the posterior the selector samples from on each platform; and the leaderboard, hooks ranked
// by the mean of that posterior.
import { isExactTime, type Keyset, type PageQuery } from '../db/keyset.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import { pageInNiche } from '../niches/niche-page.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { platforms, type Platform } from '../platforms.ts';
import type { Hook } from './hook-model.ts';
import { pooledScore, posteriorOf } from './hook-selector.ts';
import { allHooks, competingHooks, hookPageRows, type HookPageRow } from './hooks-repository.ts';
import { getHook, toHook } from './hooks-service.ts';

export interface HookPageQuery extends PageQuery {
  /** Only this niche's own hooks (slug or id). */
  niche?: string;
  category?: string;
}

export type HookPage = { hooks: Hook[]; nextCursor: string | null };

/** (category, created_at, id): the listing's order, all ascending. */
const byCategory: Keyset<HookPageRow, [string, string | null, string]> = {
  keyOf: (row) => [row.category, row.cursor_time, row.id],
  isKey: ([category, time, id]) =>
    typeof category === 'string' && isExactTime(time) && typeof id === 'string' && isUuid(id),
};

/** One page of hooks by category, then oldest first; `prefix` goes before --after and --niche in errors. */
export async function listHooksPage(db: Executor, query: HookPageQuery, prefix = ''): Promise<HookPage> {
  const page = await pageInNiche(db, query, prefix, byCategory, toHook, (nicheId, after, rows) =>
    hookPageRows(db, { nicheId, category: query.category }, after, rows),
  );
  return { hooks: page.items, nextCursor: page.nextCursor };
}

export interface HookPosterior {
  alpha: number;
  beta: number;
  /** What the hook is expected to score on the platform. */
  mean: number;
}

/** One hook, with the posterior the selector samples from on each platform (from its own prior). */
export async function getHookWithPosteriors(
  db: Executor,
  id: string,
): Promise<Hook & { posteriors: Record<Platform, HookPosterior> }> {
  const hook = await getHook(db, id);
  const posteriors = Object.fromEntries(
    platforms.map((p) => {
      const { alpha, beta } = posteriorOf(hook, p);
      return [p, { alpha, beta, mean: alpha / (alpha + beta) }];
    }),
  ) as Record<Platform, HookPosterior>;
  return { ...hook, posteriors };
}

export interface LeaderboardEntry {
  rank: number;
  hook: Hook;
  /** The posterior's mean on the platform: what the hook is expected to score there. */
  mean: number;
  alpha: number;
  beta: number;
  /** Posts on the platform the score is learned from. */
  samples: number;
}

/**
 * Hooks ranked by the mean of their posterior on a platform, as the selector sees them: in a niche, the
 * niche's own hooks and the generic ones compete; without a niche, every hook. Ties: more posts first.
 */
export async function hookLeaderboard(
  db: Executor,
  query: { platform: string; niche?: string; limit: number },
): Promise<LeaderboardEntry[]> {
  const rows = query.niche
    ? await competingHooks(db, await resolveNiche(db, query.niche))
    : await allHooks(db);
  const hooks = rows.map(toHook);
  const baseline = pooledScore(hooks, query.platform);
  return hooks
    .map((hook) => {
      const { alpha, beta } = posteriorOf(hook, query.platform, baseline);
      const samples = hook.platformScores[query.platform]?.samples ?? 0;
      return { hook, alpha, beta, mean: alpha / (alpha + beta), samples };
    })
    .sort((a, b) => b.mean - a.mean || b.samples - a.samples || (a.hook.id < b.hook.id ? -1 : 1))
    .slice(0, query.limit)
    .map((entry, i) => ({ rank: i + 1, ...entry }));
}
