// @no-database
// The scoring rules and topic text rules, as pure functions.
import { describe, expect, it } from 'vitest';
import { cleanTopic, topicKey } from '../../src/trends/trend-model.ts';
import {
  freshnessOf,
  median,
  overperformanceRatio,
  scoreParts,
  scoring,
  trendScore,
  velocityOf,
} from '../../src/trends/trend-scoring.ts';
import { defaultSubreddits, parseSubreddits } from '../../src/settings/trends-settings.ts';

const now = new Date('2026-03-10T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

describe('the median and the overperformance ratio', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([685, 185, 4598, 420, 362, 743, 2295])).toBe(685);
    expect(median([191, 6632, 398, 400])).toBe(399);
    expect(median([])).toBeNull();
  });

  it('divides engagement by the median, never by less than 1', () => {
    expect(overperformanceRatio(4598, 685)).toBeCloseTo(6.7124, 4);
    expect(overperformanceRatio(5, 0)).toBe(5);
    expect(overperformanceRatio(0, 100)).toBe(0);
  });
});

describe('velocity and freshness', () => {
  it('measures engagement per hour since the previous sighting, or since posting', () => {
    expect(
      velocityOf({
        engagement: 1315,
        publishedAt: hoursAgo(7),
        previous: { engagement: 743, at: hoursAgo(1) },
        now,
      }),
    ).toBeCloseTo(572);
    // A sighting minutes ago is too close to measure a rate: the average since posting instead.
    expect(
      velocityOf({
        engagement: 800,
        publishedAt: hoursAgo(8),
        previous: { engagement: 790, at: hoursAgo(0.1) },
        now,
      }),
    ).toBeCloseTo(100);
    // A just-posted item's rate is taken over at least an hour.
    expect(velocityOf({ engagement: 60, publishedAt: hoursAgo(0.25), now })).toBe(60);
    expect(velocityOf({ engagement: 60, publishedAt: null, now })).toBeNull();
    // Engagement that fell (votes withdrawn) is no negative speed.
    expect(
      velocityOf({ engagement: 10, publishedAt: null, previous: { engagement: 50, at: hoursAgo(2) }, now }),
    ).toBe(0);
  });

  it('halves freshness every 24 hours', () => {
    expect(freshnessOf(now, now)).toBe(1);
    expect(freshnessOf(hoursAgo(24), now)).toBeCloseTo(0.5);
    expect(freshnessOf(hoursAgo(72), now)).toBeCloseTo(0.125);
  });
});

describe('trend_score', () => {
  const base = { ratio: 1, velocity: 50, baselineMedian: 500, postedOrFound: hoursAgo(6), now };

  it('stays within 0–1 at the extremes, with weights that sum to 1', () => {
    const { weights } = scoring;
    expect(weights.ratio + weights.velocity + weights.freshness).toBeCloseTo(1);
    expect(
      trendScore({ ratio: 0, velocity: 0, baselineMedian: 500, postedOrFound: hoursAgo(10_000), now }),
    ).toBeCloseTo(0);
    const top = trendScore({ ratio: 1e9, velocity: 1e12, baselineMedian: 1, postedOrFound: now, now });
    expect(top).toBeLessThanOrEqual(1);
    expect(top).toBeGreaterThan(0.99);
  });

  it('rises with the ratio, the velocity and freshness', () => {
    const s = trendScore(base);
    expect(trendScore({ ...base, ratio: 3 })).toBeGreaterThan(s);
    expect(trendScore({ ...base, velocity: 200 })).toBeGreaterThan(s);
    expect(trendScore({ ...base, postedOrFound: hoursAgo(1) })).toBeGreaterThan(s);
  });

  it('puts a 6.7× outlier above a typical post of the same age', () => {
    const outlier = scoreParts({
      ratio: 6.71,
      velocity: 511,
      baselineMedian: 685,
      postedOrFound: hoursAgo(9),
      now,
    });
    const typical = scoreParts({
      ratio: 1,
      velocity: 62,
      baselineMedian: 685,
      postedOrFound: hoursAgo(9),
      now,
    });
    expect(outlier.ratio).toBeCloseTo(6.71 / 8.71);
    expect(outlier.score).toBeGreaterThan(typical.score);
  });

  it('counts an unknown ratio as a typical item and an unknown velocity as none', () => {
    const unknown = scoreParts({ ...base, ratio: null, velocity: null });
    expect(unknown.ratio).toBeCloseTo(1 / 3);
    expect(unknown.velocity).toBe(0);
  });
});

describe('topic text', () => {
  it('merges spellings of one topic on a normalised key', () => {
    expect(topicKey("What's a Roth IRA and should I open one at 22?")).toBe(
      topicKey("what's a ROTH IRA — and should i open one at 22??"),
    );
    expect(topicKey('  Ünïcode   Café!! ')).toBe('ünïcode café');
    expect(topicKey('🔥🔥🔥')).toBe('');
  });

  it('cuts long titles at a word, to 200 characters at most', () => {
    const long = `${'word '.repeat(60)}end`;
    const topic = cleanTopic(long);
    expect(topic.length).toBeLessThanOrEqual(200);
    expect(topic.endsWith('word…')).toBe(true);
    expect(cleanTopic('  two\n  lines ')).toBe('two lines');
  });
});

describe('SOVI_TRENDS_SUBREDDITS', () => {
  it('reads niche=sub,sub;niche=sub, replacing the defaults', () => {
    expect(
      parseSubreddits('personal_finance=personalfinance, r/povertyfinance ; motivation=GetMotivated'),
    ).toEqual({
      personal_finance: ['personalfinance', 'povertyfinance'],
      motivation: ['GetMotivated'],
    });
    expect(parseSubreddits('true_crime=')).toEqual({ true_crime: [] });
    expect(Object.keys(defaultSubreddits)).toContain('personal_finance');
  });

  it('names the variable and the bad part', () => {
    expect(() => parseSubreddits('personal_finance')).toThrow(/SOVI_TRENDS_SUBREDDITS: "personal_finance"/);
    expect(() => parseSubreddits('Personal Finance=x1')).toThrow(/not a niche slug/);
    expect(() => parseSubreddits('motivation=get-motivated')).toThrow(/"get-motivated" is not a subreddit/);
    expect(() => parseSubreddits('motivation=ab;motivation=cd')).toThrow(/appears twice/);
  });
});
