// Trending topics: what sovi knows of one, and the rules for its text.

export interface Trend {
  id: string;
  nicheId: string | null;
  nicheSlug: string | null;
  topic: string;
  /** Where it was found: reddit, or what an import says (tiktok, manual…). */
  source: string;
  sourceUrl: string | null;
  /** The population its ratio is measured against (Reddit: r/<subreddit>). */
  sourceGroup: string | null;
  /** 0–1, best first (see trend-scoring.ts). */
  trendScore: number | null;
  /** Its engagement over the median of its source group in the trailing window. */
  overperformanceRatio: number | null;
  engagement: number | null;
  /** Engagement gained per hour. */
  velocity: number | null;
  /** The median engagement the ratio was measured against. */
  baselineMedian: number | null;
  isActive: boolean;
  publishedAt: Date | null;
  discoveredAt: Date;
  lastSeenAt: Date;
  scoredAt: Date | null;
}

/** Topics are 3–200 characters, as content topics are (content can be made from any trend). */
export const TOPIC_MAX = 200;
export const TOPIC_MIN = 3;

/** A title as a topic: whitespace collapsed, cut at a word to at most 200 characters. */
export function cleanTopic(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  if (collapsed.length <= TOPIC_MAX) return collapsed;
  const cut = collapsed.slice(0, TOPIC_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > TOPIC_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * The key duplicates merge on: lower case, every run of anything but letters and digits as one space.
 * "What's a Roth IRA?" and "what s a roth ira" are one topic. Empty when the text has no letter or digit.
 * (012_trends.sql backfilled older rows with the SQL equivalent.)
 */
export function topicKey(topic: string): string {
  return topic
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
