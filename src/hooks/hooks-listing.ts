// Hook listings for the API: keyset pages in the CLI's order (category, then oldest first), and the
// leaderboard the dashboard shows: hooks ranked by the mean of the posterior the selector samples from.
import { sql } from 'kysely';
import { resolveNiche } from '../niches/niches-service.ts';
import { decodeCursor, encodeCursor, exactTime, isExactTime } from '../db/keyset.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import type { Hook } from './hook-model.ts';
import { pooledScore, posteriorOf } from './hook-selector.ts';
import { toHook } from './hooks-service.ts';

const hookRows = (db: Executor) =>
  db
    .selectFrom('hooks as h')
    .leftJoin('niches as n', 'n.id', 'h.niche_id')
    .select([
      'h.id',
      'h.category',
      'h.template',
      'h.niche_id',
      'h.effectiveness_score',
      'h.usage_count',
      'h.platform_scores',
      'h.created_at',
      'n.slug as niche_slug',
    ]);

export interface HookPageQuery {
  niche?: string;
  category?: string;
  after?: string;
  limit: number;
}

/** Hooks by category, then oldest first. The table holds hundreds of rows: no index is needed. */
export async function listHooksPage(
  db: Executor,
  query: HookPageQuery,
): Promise<{ hooks: Hook[]; nextCursor: string | null }> {
  const after = query.after === undefined ? undefined : readCursor(query.after);
  let q = hookRows(db).select(exactTime('h.created_at').as('cursor_time'));
  if (query.niche) q = q.where('h.niche_id', '=', await resolveNiche(db, query.niche));
  if (query.category) q = q.where('h.category', '=', query.category);
  if (after) {
    q = q.where(
      sql<boolean>`(h.category, h.created_at, h.id) > (${after.category}, ${after.createdAt}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await q
    .orderBy('h.category')
    .orderBy('h.created_at')
    .orderBy('h.id')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    hooks: page.map(toHook),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor([last.category, last.cursor_time, last.id]) : null,
  };
}

function readCursor(text: string): { category: string; createdAt: string; id: string } {
  const [category, createdAt, id] = decodeCursor<[string, string, string]>(
    text,
    'after',
    ([c, t, i]) => typeof c === 'string' && isExactTime(t) && typeof i === 'string' && isUuid(i),
  );
  return { category, createdAt, id };
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
  let q = hookRows(db);
  if (query.niche) {
    const nicheId = await resolveNiche(db, query.niche);
    q = q.where((eb) => eb.or([eb('h.niche_id', '=', nicheId), eb('h.niche_id', 'is', null)]));
  }
  const hooks = (await q.orderBy('h.id').execute()).map(toHook);
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
