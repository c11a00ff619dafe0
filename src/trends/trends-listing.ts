// Trending topics for the API: best first (listTopics' order: score, unscored last, then the most recently
// seen), in keyset pages. trending_topics_active_idx (niche_id, trend_score DESC) serves one niche's active
// topics; the table keeps only what the last days brought, so the rest is a short scan.
import { sql } from 'kysely';
import { resolveNiche } from '../niches/niches-service.ts';
import { decodeCursor, encodeCursor, exactTime, isExactTime } from '../db/keyset.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import type { Trend } from './trend-model.ts';
import { topicsQuery } from './trends-repository.ts';
import { toTrend } from './trends-service.ts';

interface Cursor {
  score: number | null;
  lastSeenAt: string;
  id: string;
}

export async function listTrendsPage(
  db: Executor,
  query: { niche?: string; all?: boolean; after?: string; limit: number },
): Promise<{ trends: Trend[]; nextCursor: string | null }> {
  const after = query.after === undefined ? undefined : readCursor(query.after);
  let q = topicsQuery(db).select(exactTime('t.last_seen_at').as('cursor_time'));
  if (!query.all) q = q.where('t.is_active', '=', true);
  if (query.niche) q = q.where('t.niche_id', '=', await resolveNiche(db, query.niche));
  if (after) {
    // The same place in (score DESC NULLS LAST, last_seen_at DESC, id ASC), spelled out: the directions differ.
    const tie = sql`(t.last_seen_at < ${after.lastSeenAt}::timestamptz
      OR (t.last_seen_at = ${after.lastSeenAt}::timestamptz AND t.id > ${after.id}::uuid))`;
    q = q.where(
      after.score === null
        ? sql<boolean>`(t.trend_score IS NULL AND ${tie})`
        : sql<boolean>`(t.trend_score < ${after.score}::float8 OR t.trend_score IS NULL
            OR (t.trend_score = ${after.score}::float8 AND ${tie}))`,
    );
  }
  const rows = await q
    .orderBy(sql`t.trend_score DESC NULLS LAST`)
    .orderBy('t.last_seen_at', 'desc')
    .orderBy('t.id')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    trends: page.map(toTrend),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor([last.trend_score, last.cursor_time, last.id]) : null,
  };
}

function readCursor(text: string): Cursor {
  const [score, lastSeenAt, id] = decodeCursor<[number | null, string, string]>(
    text,
    'after',
    ([s, t, i]) =>
      (s === null || (typeof s === 'number' && Number.isFinite(s))) &&
      isExactTime(t) &&
      typeof i === 'string' &&
      isUuid(i),
  );
  return { score, lastSeenAt, id };
}
