// Trending topics as people read them (the API, the CLI): best first (score, unscored last, then the most
// recently seen), in keyset pages.
import { isExactTime, type Keyset, type PageQuery } from '../db/keyset.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import { pageInNiche } from '../niches/niche-page.ts';
import type { Trend } from './trend-model.ts';
import { topicPageRows, type TopicKey, type TopicPageRow } from './trends-repository.ts';
import { toTrend } from './trends-service.ts';

export interface TrendPageQuery extends PageQuery {
  niche?: string;
  /** Inactive topics too. */
  all?: boolean;
}

export type TrendPage = { trends: Trend[]; nextCursor: string | null };

const bestFirst: Keyset<TopicPageRow, TopicKey> = {
  keyOf: (row) => [row.trend_score, row.cursor_time, row.id],
  isKey: ([score, time, id]) =>
    (score === null || (typeof score === 'number' && Number.isFinite(score))) &&
    isExactTime(time) &&
    typeof id === 'string' &&
    isUuid(id),
};

/** One page, best first; `prefix` goes before --after and --niche in errors. */
export async function listTrendsPage(db: Executor, query: TrendPageQuery, prefix = ''): Promise<TrendPage> {
  const page = await pageInNiche(db, query, prefix, bestFirst, toTrend, (nicheId, after, rows) =>
    topicPageRows(db, { nicheId, all: query.all }, after, rows),
  );
  return { trends: page.items, nextCursor: page.nextCursor };
}
