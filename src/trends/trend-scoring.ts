// How good a trend is: pure functions, with every weight and constant in `scoring`.
//
//   engagement             what the source counts as interaction; Reddit: score + num_comments
//   median                 the median engagement of the item's source group (Reddit: its subreddit) over the
//                          trailing window, each item counted once at its latest sighting
//   overperformance_ratio  engagement / max(median, 1)
//   velocity               engagement gained per hour: since the item's previous sighting when that is at
//                          least half an hour old, else since it was posted (at least 1 h); per hour in
//                          units of the median, relative velocity = velocity / max(median, 1)
//   freshness              2^(-age / 24 h), age since the item was posted (or since it was found)
//
//   trend_score = 0.5·r/(r + 2) + 0.3·v/(v + 0.1) + 0.2·freshness          (0 ≤ trend_score < 1)
//
// Each part is bounded in [0, 1) and increasing, and the weights sum to 1, so the score is in [0, 1). r/(r+2)
// is 0.5 at twice the median and approaches 1 slowly: a 100× outlier does not dwarf a 10× one. A
// relative velocity of 0.1 (a tenth of a typical item's whole engagement every hour) scores 0.5. Unknown parts
// count as no evidence: an unknown ratio as 1 (a typical item), an unknown velocity as 0.
import { HOUR_MS } from '../time.ts';

export const scoring = {
  weights: { ratio: 0.5, velocity: 0.3, freshness: 0.2 },
  /** The ratio at which its part is 0.5. */
  ratioHalf: 2,
  /** The relative velocity (medians per hour) at which its part is 0.5. */
  velocityHalf: 0.1,
  freshnessHalfLifeHours: 24,
  /** A median below this counts as this: a quiet source must not make every item look infinitely good. */
  medianFloor: 1,
  /** Two sightings closer than this are too close to measure a rate from. */
  minVelocitySpanHours: 0.5,
  /** A just-posted item's rate is measured over at least this long. */
  minAgeHours: 1,
} as const;

/** The median of some numbers (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function overperformanceRatio(engagement: number, baselineMedian: number): number {
  return Math.max(0, engagement) / Math.max(baselineMedian, scoring.medianFloor);
}

export interface Sighting {
  engagement: number;
  at: Date;
}

/** Engagement per hour: since the previous sighting when it is far enough back, else since posting. */
export function velocityOf(input: {
  engagement: number;
  publishedAt: Date | null;
  previous?: Sighting | undefined;
  now: Date;
}): number | null {
  const { engagement, publishedAt, previous, now } = input;
  if (previous) {
    const hours = (now.getTime() - previous.at.getTime()) / HOUR_MS;
    if (hours >= scoring.minVelocitySpanHours) return Math.max(0, engagement - previous.engagement) / hours;
  }
  if (!publishedAt) return null;
  const age = Math.max((now.getTime() - publishedAt.getTime()) / HOUR_MS, scoring.minAgeHours);
  return Math.max(0, engagement) / age;
}

export function freshnessOf(postedOrFound: Date, now: Date): number {
  const age = Math.max(0, (now.getTime() - postedOrFound.getTime()) / HOUR_MS);
  return Math.pow(2, -age / scoring.freshnessHalfLifeHours);
}

const saturate = (x: number, half: number) => (x <= 0 ? 0 : x / (x + half));

export interface ScoreInput {
  ratio: number | null;
  /** Engagement per hour. */
  velocity: number | null;
  /** The median velocity is made relative to; without one, velocity counts as unknown. */
  baselineMedian: number | null;
  /** When the item was posted, else when it was found. */
  postedOrFound: Date;
  now: Date;
}

export interface ScoreParts {
  ratio: number;
  velocity: number;
  freshness: number;
  score: number;
}

export function scoreParts(input: ScoreInput): ScoreParts {
  const relativeVelocity =
    input.velocity === null || input.baselineMedian === null
      ? 0
      : input.velocity / Math.max(input.baselineMedian, scoring.medianFloor);
  const parts = {
    ratio: saturate(input.ratio ?? 1, scoring.ratioHalf),
    velocity: saturate(relativeVelocity, scoring.velocityHalf),
    freshness: freshnessOf(input.postedOrFound, input.now),
  };
  const { weights } = scoring;
  const score =
    weights.ratio * parts.ratio + weights.velocity * parts.velocity + weights.freshness * parts.freshness;
  return { ...parts, score };
}

export const trendScore = (input: ScoreInput): number => scoreParts(input).score;
