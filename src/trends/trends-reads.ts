// Trending topics as people read them (the API, the CLI): best first (score, unscored last, then the most
// recently seen), in keyset pages.
import { isExactTime, keysetPage, type Keyset, type PageQuery } from '../db/keyset.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import { optionalNiche } from '../niches/niches-service.ts';
import type { Trend } from './trend-model.ts';
import { topicPageRows, type TopicKey, type TopicPageRow } from './trends-repository.ts';
import { toTrend } from './trends-service.ts';

const bestFirst: Keyset<TopicPageRow, TopicKey> = {
  keyOf: (row) => [row.trend_score, row.cursor_time, row.id],
  isKey: ([score, time, id]) =>
    (score === null || (typeof score === 'number' && Number.isFinite(score))) &&
    isExactTime(time) &&
    typeof id === 'string' &&
    isUuid(id),
};

export interface TrendPageQuery extends PageQuery {
  niche?: string;
  /** Inactive topics too. */
  all?: boolean;
}

/** One page, best first. `fields` names the arguments in errors (the CLI's --after and --niche). */
export async function listTrendsPage(
  db: Executor,
  query: TrendPageQuery,
  fields: { after?: string; niche?: string } = {},
): Promise<{ trends: Trend[]; nextCursor: string | null }> {
  const filter = { nicheId: await optionalNiche(db, query.niche, fields.niche), all: query.all };
  const page = await keysetPage(
    query,
    bestFirst,
    (after, rows) => topicPageRows(db, filter, after, rows),
    toTrend,
    fields.after,
  );
  return { trends: page.items, nextCursor: page.nextCursor };
}
