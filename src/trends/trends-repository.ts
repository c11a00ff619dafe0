// SQL for trending_topics and trend_observations. Functions take the executor first so they compose inside
// the ingestion transaction.
import { sql, type Insertable, type Selectable } from 'kysely';
import type { TrendingTopics, TrendObservations } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';
import { chunks, writeInChunks } from '../db/chunks.ts';
import { exactTime } from '../db/keyset.ts';
import type { Sighting } from './trend-scoring.ts';

export type TopicRow = Selectable<TrendingTopics> & { niche_slug: string | null };
/** A row of the listing: with its last_seen_at as exact text, for the cursor. */
export type TopicPageRow = TopicRow & { cursor_time: string | null };
export type NewTopicRow = Insertable<TrendingTopics> & { niche_id: string; topic_key: string };
export type NewObservationRow = Insertable<TrendObservations>;

/** Rows per INSERT: 14 columns × 1 000 stays far below PostgreSQL's 65 535 parameters. */
const CHUNK = 1_000;

/**
 * Serialises ingestion (the hourly job, a `sovi trends pull`, an import): two at once would each insert the
 * same new topic and one would fail on trending_topics_active_key, losing its whole batch.
 */
export async function lockIngestion(trx: Executor): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('sovi:trends-ingest'))`.execute(trx);
}

/** Each item's latest sighting since `since` (trend_observations_item_idx). */
export async function latestSightings(
  db: Executor,
  source: string,
  itemIds: readonly string[],
  since: Date,
): Promise<Map<string, Sighting>> {
  if (itemIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('trend_observations')
    .distinctOn('item_id')
    .select(['item_id', 'engagement', 'observed_at'])
    .where('source', '=', source)
    .where('item_id', 'in', [...itemIds])
    .where('observed_at', '>=', since)
    .orderBy('item_id')
    .orderBy('observed_at', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.item_id, { engagement: r.engagement, at: r.observed_at }]));
}

export async function insertObservations(
  db: Executor,
  rows: readonly NewObservationRow[],
): Promise<{ id: number; source: string; item_id: string; niche_id: string | null }[]> {
  return writeInChunks(rows, CHUNK, (chunk) =>
    db
      .insertInto('trend_observations')
      .values(chunk)
      .returning(['id', 'source', 'item_id', 'niche_id'])
      .execute(),
  );
}

export const groupKey = (source: string, group: string): string => `${source}\u0000${group}`;

/**
 * The median engagement of each source group over [since, until], each item counted once, at its latest
 * sighting: a post seen in every hourly pull of the week must weigh as much as one seen once. Served by
 * trend_observations_group_idx.
 */
export async function groupMedians(
  db: Executor,
  groups: readonly { source: string; group: string }[],
  since: Date,
  until: Date,
): Promise<Map<string, { median: number; items: number }>> {
  if (groups.length === 0) return new Map();
  const latest = db
    .selectFrom('trend_observations')
    .distinctOn(['source', 'source_group', 'item_id'])
    .select(['source', 'source_group', 'engagement'])
    .where('observed_at', '>=', since)
    .where('observed_at', '<=', until)
    .where((eb) =>
      eb.or(groups.map((g) => eb.and([eb('source', '=', g.source), eb('source_group', '=', g.group)]))),
    )
    .orderBy('source')
    .orderBy('source_group')
    .orderBy('item_id')
    .orderBy('observed_at', 'desc')
    .as('latest');
  const rows = await db
    .selectFrom(latest)
    .select([
      'source',
      'source_group',
      sql<number>`percentile_cont(0.5) WITHIN GROUP (ORDER BY engagement)`.as('median'),
      (eb) => eb.fn.countAll<number>().as('items'),
    ])
    .groupBy(['source', 'source_group'])
    .execute();
  return new Map(
    rows.map((r) => [groupKey(r.source, r.source_group), { median: r.median, items: Number(r.items) }]),
  );
}

/**
 * Inserts new topics and merges into the active topic of the same niche and key (trending_topics_active_key):
 * the newest evidence sets the numbers; topic text and discovered_at stay the first sighting's. The rows must
 * have distinct (niche_id, topic_key).
 */
export async function upsertTopics(
  db: Executor,
  rows: readonly NewTopicRow[],
  onChunk?: (done: number) => void,
): Promise<{ id: string; niche_id: string | null; topic_key: string; inserted: boolean }[]> {
  return writeInChunks(
    rows,
    CHUNK,
    (chunk) =>
      db
        .insertInto('trending_topics')
        .values(chunk)
        .onConflict((oc) =>
          // The predicate names the partial unique index (an active topic per niche and key).
          oc
            .columns(['niche_id', 'topic_key'])
            .where(sql<boolean>`is_active`)
            .doUpdateSet((eb) => ({
              source: eb.ref('excluded.source'),
              source_url: eb.ref('excluded.source_url'),
              source_group: eb.ref('excluded.source_group'),
              engagement: eb.ref('excluded.engagement'),
              velocity: eb.ref('excluded.velocity'),
              baseline_median: eb.ref('excluded.baseline_median'),
              overperformance_ratio: eb.ref('excluded.overperformance_ratio'),
              trend_score: eb.ref('excluded.trend_score'),
              published_at: eb.ref('excluded.published_at'),
              last_seen_at: eb.ref('excluded.last_seen_at'),
              scored_at: eb.ref('excluded.scored_at'),
            })),
        )
        // xmax is 0 on a freshly inserted row version, and the updating transaction's id on a merged one.
        .returning(['id', 'niche_id', 'topic_key', sql<boolean>`xmax = 0`.as('inserted')])
        .execute(),
    onChunk,
  );
}

/** Points each observation at the topic it fed, for `sovi trends show`. */
export async function linkObservations(
  db: Executor,
  links: readonly { observationId: number; trendId: string }[],
): Promise<void> {
  for (const { rows: chunk } of chunks(links, CHUNK * 10)) {
    await sql`
      UPDATE trend_observations o SET trend_id = l.trend_id
      FROM unnest(${chunk.map((l) => l.observationId)}::bigint[], ${chunk.map((l) => l.trendId)}::uuid[])
        AS l (id, trend_id)
      WHERE o.id = l.id`.execute(db);
  }
}

/** Active topics whose source item (or, without one, whose discovery) is older than `cutoff` go inactive. */
export async function deactivateOlderThan(db: Executor, cutoff: Date): Promise<number> {
  const rows = await db
    .updateTable('trending_topics')
    .set({ is_active: false })
    .where('is_active', '=', true)
    .where((eb) => eb(eb.fn.coalesce('published_at', 'discovered_at'), '<', cutoff))
    .returning('id')
    .execute();
  return rows.length;
}

export async function activeTopicsForScoring(db: Executor) {
  return db
    .selectFrom('trending_topics')
    .select(['id', 'overperformance_ratio', 'velocity', 'baseline_median', 'published_at', 'discovered_at'])
    .where('is_active', '=', true)
    .execute();
}

export async function updateScores(
  db: Executor,
  scores: readonly { id: string; score: number }[],
  at: Date,
): Promise<void> {
  for (const { rows: chunk } of chunks(scores, CHUNK * 10)) {
    await sql`
      UPDATE trending_topics t SET trend_score = s.score, scored_at = ${at}
      FROM unnest(${chunk.map((s) => s.id)}::uuid[], ${chunk.map((s) => s.score)}::float8[]) AS s (id, score)
      WHERE t.id = s.id`.execute(db);
  }
}

/** Observations that have left the trailing window count for nothing any more. */
export async function pruneObservations(db: Executor, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('trend_observations')
    .where('observed_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

const topicsQuery = (db: Executor) =>
  db
    .selectFrom('trending_topics as t')
    .leftJoin('niches as n', 'n.id', 't.niche_id')
    .selectAll('t')
    .select('n.slug as niche_slug');

/** The listing's key: score (null last), last seen, id. */
export type TopicKey = [number | null, string | null, string];

/**
 * Best first: score DESC NULLS LAST, then the most recently seen, then id; after the key when there is one.
 * trending_topics_active_idx (niche_id, trend_score DESC) serves one niche's active topics; the table keeps
 * only what the last days brought, so the rest is a short scan.
 */
export async function topicPageRows(
  db: Executor,
  filter: { nicheId?: string; all?: boolean },
  after: TopicKey | undefined,
  limit: number,
): Promise<TopicPageRow[]> {
  let q = topicsQuery(db).select(exactTime('t.last_seen_at').as('cursor_time'));
  if (!filter.all) q = q.where('t.is_active', '=', true);
  if (filter.nicheId) q = q.where('t.niche_id', '=', filter.nicheId);
  if (after) {
    // The same place in (score DESC NULLS LAST, last_seen_at DESC, id ASC), spelled out: the directions differ.
    const [score, lastSeenAt, id] = after;
    const tie = sql`(t.last_seen_at < ${lastSeenAt}::timestamptz
      OR (t.last_seen_at = ${lastSeenAt}::timestamptz AND t.id > ${id}::uuid))`;
    q = q.where(
      score === null
        ? sql<boolean>`(t.trend_score IS NULL AND ${tie})`
        : sql<boolean>`(t.trend_score < ${score}::float8 OR t.trend_score IS NULL
            OR (t.trend_score = ${score}::float8 AND ${tie}))`,
    );
  }
  return q
    .orderBy(sql`t.trend_score DESC NULLS LAST`)
    .orderBy('t.last_seen_at', 'desc')
    .orderBy('t.id')
    .limit(limit)
    .execute();
}

export async function findTopic(db: Executor, id: string): Promise<TopicRow | undefined> {
  return topicsQuery(db).where('t.id', '=', id).executeTakeFirst();
}

/** A topic's sightings, newest first (trend_observations_trend_idx). */
export async function topicHistory(db: Executor, trendId: string, limit: number) {
  return db
    .selectFrom('trend_observations')
    .select(['source', 'source_group', 'item_id', 'engagement', 'observed_at'])
    .where('trend_id', '=', trendId)
    .orderBy('observed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
