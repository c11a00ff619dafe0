// Trending topics: scoring and merging what comes in (pulls and imports alike), ageing topics out, and the
// topic people and `sovi content new --from-trend` read. Pulling from a source is trends-pull.ts; the
// listing is trends-reads.ts.
import { HOUR_MS, DAY_MS } from '../time.ts';
import type { Db } from '../db/pool.ts';
import { notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import { topicKey, type Trend } from './trend-model.ts';
import { overperformanceRatio, scoreParts, velocityOf, type Sighting } from './trend-scoring.ts';
import {
  activeTopicsForScoring,
  deactivateOlderThan,
  findTopic,
  groupKey,
  groupMedians,
  insertObservations,
  latestSightings,
  linkObservations,
  lockIngestion,
  pruneObservations,
  topicHistory,
  updateScores,
  upsertTopics,
  type NewTopicRow,
  type TopicRow,
} from './trends-repository.ts';
import type { TrendsSettings } from '../settings/trends-settings.ts';

export function toTrend(row: TopicRow): Trend {
  return {
    id: row.id,
    nicheId: row.niche_id,
    nicheSlug: row.niche_slug,
    topic: row.topic,
    source: row.source,
    sourceUrl: row.source_url,
    sourceGroup: row.source_group,
    trendScore: row.trend_score,
    overperformanceRatio: row.overperformance_ratio,
    engagement: row.engagement,
    velocity: row.velocity,
    baselineMedian: row.baseline_median,
    isActive: row.is_active,
    publishedAt: row.published_at,
    discoveredAt: row.discovered_at,
    lastSeenAt: row.last_seen_at,
    scoredAt: row.scored_at,
  };
}

/** One thing seen by a pull or an import, on its way to becoming (or updating) a topic. */
export interface IngestItem {
  source: string;
  group: string;
  /** The source's id of the item; null when it has none (then it leaves no history). */
  itemId: string | null;
  nicheId: string;
  /** Cleaned topic text (cleanTopic). */
  topic: string;
  url: string | null;
  /** null: unknown (an import that gives only a ratio). */
  engagement: number | null;
  publishedAt: Date | null;
  /** A ratio the import states; otherwise it is measured. */
  ratio?: number | null;
}

export interface IngestResult {
  /** Items young enough to be topics (duplicates among them merge). */
  items: number;
  /** Items too old to be a topic (they still count towards their group's median). */
  tooOld: number;
  created: number;
  merged: number;
}

export interface IngestOptions {
  settings: TrendsSettings;
  now: Date;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Scores a batch and merges it into trending_topics, in one transaction: every item with engagement is kept
 * as an observation; each group's median is then taken over the trailing window (this batch included); items
 * become topics, one per niche and topic key (the best-scoring item of a key speaks for it).
 */
export async function ingest(
  db: Db,
  batch: readonly IngestItem[],
  options: IngestOptions,
  within?: (trx: Executor, result: IngestResult) => Promise<void>,
): Promise<IngestResult> {
  const { settings, now } = options;
  const since = new Date(now.getTime() - settings.windowDays * DAY_MS);
  const oldest = new Date(now.getTime() - settings.inactiveAfterHours * HOUR_MS);
  // One entry per source item and niche: the same post read twice in one batch is one sighting.
  const items = [
    ...new Map(batch.map((i) => [`${i.source}\u0000${i.itemId ?? i.topic}\u0000${i.nicheId}`, i])).values(),
  ];
  return db.transaction().execute(async (trx) => {
    await lockIngestion(trx);

    const previous = new Map<string, Map<string, Sighting>>();
    for (const source of new Set(items.map((i) => i.source))) {
      const ids = items.filter((i) => i.source === source && i.itemId !== null).map((i) => i.itemId!);
      previous.set(source, await latestSightings(trx, source, [...new Set(ids)], since));
    }
    const observed = items.filter((i) => i.itemId !== null && i.engagement !== null);
    const observations = await insertObservations(
      trx,
      observed.map((i) => ({
        source: i.source,
        source_group: i.group,
        item_id: i.itemId!,
        niche_id: i.nicheId,
        engagement: i.engagement!,
        published_at: i.publishedAt,
        observed_at: now,
      })),
    );
    const medians = await groupMedians(
      trx,
      [...new Map(observed.map((i) => [groupKey(i.source, i.group), i])).values()],
      since,
      now,
    );

    // Score every item that is young enough; keep the best of each niche and key.
    const best = new Map<string, NewTopicRow>();
    let tooOld = 0;
    for (const item of items) {
      if (item.publishedAt && item.publishedAt < oldest) {
        tooOld++;
        continue;
      }
      const key = topicKey(item.topic);
      const median = medians.get(groupKey(item.source, item.group))?.median ?? null;
      const ratio =
        item.ratio ??
        (item.engagement !== null && median !== null ? overperformanceRatio(item.engagement, median) : null);
      const velocity =
        item.engagement === null
          ? null
          : velocityOf({
              engagement: item.engagement,
              publishedAt: item.publishedAt,
              previous: item.itemId ? previous.get(item.source)?.get(item.itemId) : undefined,
              now,
            });
      const { score } = scoreParts({
        ratio,
        velocity,
        baselineMedian: median,
        postedOrFound: item.publishedAt ?? now,
        now,
      });
      const slot = `${item.nicheId}\u0000${key}`;
      const held = best.get(slot);
      if (held && (held.trend_score ?? 0) >= score) continue;
      best.set(slot, {
        niche_id: item.nicheId,
        topic: item.topic,
        topic_key: key,
        source: item.source,
        source_url: item.url,
        source_group: item.group,
        engagement: item.engagement,
        velocity,
        baseline_median: median,
        overperformance_ratio: ratio,
        trend_score: score,
        published_at: item.publishedAt,
        discovered_at: now,
        last_seen_at: now,
        scored_at: now,
      });
    }

    const rows = [...best.values()];
    const topics = await upsertTopics(trx, rows, (done) => options.onProgress?.(done, rows.length));
    const topicIds = new Map(topics.map((t) => [`${t.niche_id}\u0000${t.topic_key}`, t.id]));
    const observationIds = new Map(
      observations.map((o) => [`${o.source}\u0000${o.item_id}\u0000${o.niche_id}`, o.id]),
    );
    const links = [];
    for (const item of observed) {
      const trendId = topicIds.get(`${item.nicheId}\u0000${topicKey(item.topic)}`);
      const observationId = observationIds.get(`${item.source}\u0000${item.itemId}\u0000${item.nicheId}`);
      if (trendId && observationId !== undefined) links.push({ observationId, trendId });
    }
    await linkObservations(trx, links);

    const created = topics.filter((t) => t.inserted).length;
    const result = {
      items: items.length - tooOld,
      tooOld,
      created,
      merged: topics.length - created,
    };
    await within?.(trx, result);
    return result;
  });
}

export interface RefreshResult {
  deactivated: number;
  rescored: number;
  pruned: number;
}

/**
 * What the hourly job does after a pull: topics past the inactive age go inactive, the rest are rescored
 * (freshness decays between sightings), and observations that left the window are dropped.
 */
export async function refreshTrends(
  db: Db,
  settings: TrendsSettings,
  now: Date = new Date(),
): Promise<RefreshResult> {
  return db.transaction().execute(async (trx) => {
    await lockIngestion(trx);
    const deactivated = await deactivateOlderThan(
      trx,
      new Date(now.getTime() - settings.inactiveAfterHours * HOUR_MS),
    );
    const active = await activeTopicsForScoring(trx);
    await updateScores(
      trx,
      active.map((t) => ({
        id: t.id,
        score: scoreParts({
          ratio: t.overperformance_ratio,
          velocity: t.velocity,
          baselineMedian: t.baseline_median,
          postedOrFound: t.published_at ?? t.discovered_at,
          now,
        }).score,
      })),
      now,
    );
    const pruned = await pruneObservations(trx, new Date(now.getTime() - settings.windowDays * DAY_MS));
    return { deactivated, rescored: active.length, pruned };
  });
}

export interface TrendSighting {
  source: string;
  group: string;
  itemId: string;
  engagement: number;
  observedAt: Date;
}

export async function getTrend(
  db: Executor,
  id: string,
  options: { history?: number } = {},
): Promise<Trend & { history: TrendSighting[] }> {
  const row = isUuid(id) ? await findTopic(db, id) : undefined;
  if (!row) throw notFound('trending topic', id);
  const history = await topicHistory(db, id, options.history ?? 20);
  return {
    ...toTrend(row),
    history: history.map((h) => ({
      source: h.source,
      group: h.source_group,
      itemId: h.item_id,
      engagement: h.engagement,
      observedAt: h.observed_at,
    })),
  };
}
