// The feedback loop: each hook's scores, recomputed from how the posts that used it did.
//
// A post's outcome is where its engagement rate (from its latest daily rollup) falls among all posts on the
// same platform in the window, as a mid-rank percentile: (posts below + half the posts tied) / posts. So
// outcomes are comparable across platforms whose engagement differs in scale, and the average post scores
// 0.5, which is the prior.
//
// Shrinkage, so that three lucky posts do not make a hook a winner:
//   effectiveness_score   = (K · 0.5 + Σ outcomes) / (K + n)               over all its posts
//   platform_scores[p]    = { score: (K · effectiveness + Σ outcomes on p) / (K + n_p), samples: n_p }
// A hook's score on a platform borrows from its overall score, which borrows from the average. K is
// PRIOR_POSTS. The selector (hook-selector.ts) reads platform_scores as a Beta posterior, with
// effectiveness_score as the prior for a platform the hook has no posts on yet.
//
// The ranking reads the metrics tables; the scores are written through the hooks domain (setHookScores).
import { sql } from 'kysely';
import type { Db } from '../db/pool.ts';
import type { PlatformScore } from '../hooks/hook-model.ts';
import { setHookScores } from '../hooks/hooks-service.ts';

/** How many average posts the prior is worth. */
export const PRIOR_POSTS = 5;

export interface FeedbackReport {
  hooks: number;
  posts: number;
}

export async function recomputeHookScores(
  db: Db,
  options: { windowDays: number; now?: Date },
): Promise<FeedbackReport> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - options.windowDays * 86_400_000);
  const { rows } = await sql<{
    hook_id: string;
    effectiveness: number;
    n: number;
    platform_scores: Partial<Record<string, PlatformScore>>;
  }>`
    WITH latest AS (
      SELECT DISTINCT ON (md.distribution_id) md.distribution_id, md.engagement_rate
      FROM metrics_daily md
      JOIN distributions di ON di.id = md.distribution_id
      WHERE di.posted_at >= ${since} AND md.engagement_rate IS NOT NULL
      ORDER BY md.distribution_id, md.bucket DESC),
    ranked AS (
      SELECT c.hook_id, di.platform,
             (rank() OVER (PARTITION BY di.platform ORDER BY l.engagement_rate) - 1
               + 0.5 * count(*) OVER (PARTITION BY di.platform, l.engagement_rate))
               / count(*) OVER (PARTITION BY di.platform) AS outcome
      FROM latest l
      JOIN distributions di ON di.id = l.distribution_id
      JOIN content c ON c.id = di.content_id),
    per_platform AS (
      SELECT hook_id, platform, count(*) AS n, sum(outcome) AS total
      FROM ranked WHERE hook_id IS NOT NULL GROUP BY hook_id, platform),
    per_hook AS (
      SELECT hook_id, (${PRIOR_POSTS} * 0.5 + sum(total)) / (${PRIOR_POSTS} + sum(n)) AS effectiveness,
             sum(n) AS n
      FROM per_platform GROUP BY hook_id)
    SELECT h.hook_id, round(h.effectiveness::numeric, 4)::float8 AS effectiveness, h.n::int AS n,
           jsonb_object_agg(p.platform, jsonb_build_object(
             'score', round(((${PRIOR_POSTS} * h.effectiveness + p.total) / (${PRIOR_POSTS} + p.n))::numeric, 4),
             'samples', p.n)) AS platform_scores
    FROM per_hook h JOIN per_platform p USING (hook_id)
    GROUP BY h.hook_id, h.effectiveness, h.n`.execute(db);
  const scores = rows.map((r) => ({
    hookId: r.hook_id,
    effectivenessScore: r.effectiveness,
    platformScores: r.platform_scores,
  }));
  const updated = new Set(await setHookScores(db, scores));
  const posts = rows.filter((r) => updated.has(r.hook_id)).reduce((sum, r) => sum + r.n, 0);
  return { hooks: updated.size, posts };
}
