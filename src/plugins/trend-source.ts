// The trend source contract: the one interface between trend ingestion and wherever topics come from. sovi
// ships the Reddit listing reader (reddit-source.ts); another source is a plug-in module loaded by path
// (SOVI_TRENDS_SOURCE). A source only reads: sovi scores, merges and stores what it returns.
import type { Logger } from '../logger.ts';

/** One thing to read for a niche: e.g. one subreddit. */
export interface TrendTarget {
  /** The niche (slug) the items are topics for. */
  niche: string;
  /** The population items are compared with, e.g. "r/personalfinance": one median per group. */
  group: string;
}

/** One item a source found. */
export interface TrendItem {
  /** The source's stable id of the item, e.g. Reddit's t3_1abcde: a re-read updates instead of adding. */
  id: string;
  /** The topic text, e.g. the post title. */
  title: string;
  /** Where a person can see the item. */
  url?: string | null;
  /** Interactions so far, ≥ 0, comparable within the group (Reddit: score + comments). */
  engagement: number;
  /** When it was posted, if the source knows: freshness, velocity and ageing out go by it. */
  publishedAt?: Date | null;
}

export interface TrendSource {
  /** Stored as trending_topics.source: lower snake_case, e.g. reddit. */
  readonly name: string;
  /** The least time between the starts of two fetches, for a source that limits its clients' rate. */
  readonly minIntervalMs?: number;
  /** What to read for these niches (slugs); niches it has nothing for are left out. */
  targets(niches: readonly string[]): TrendTarget[];
  /**
   * Reads one target. Throws on any failure (HTTP error, timeout, malformed answer) with a message naming
   * what failed; sovi records it as an event and goes on with the other targets. Must honour `signal`.
   */
  fetch(target: TrendTarget, signal: AbortSignal): Promise<TrendItem[]>;
  close?(): Promise<void>;
}

export interface TrendSourceContext {
  logger: Logger;
}

/** What a plug-in module exports (as createTrendSource or default). `options` is SOVI_TRENDS_SOURCE_OPTIONS. */
export type TrendSourceFactory = (
  options: Readonly<Record<string, unknown>>,
  context: TrendSourceContext,
) => TrendSource | Promise<TrendSource>;
