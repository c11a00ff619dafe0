// Pulling trends from recorded Reddit listings into a real database: the ratio against a hand-computed
// median, the order, merging, re-pulls, ageing out, and fetch failures.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContent } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import { createRedditSource } from '../../src/trends/reddit-source.ts';
import { scoreParts } from '../../src/trends/trend-scoring.ts';
import type { TrendSource } from '../../src/plugins/trend-source.ts';
import { pullTrends } from '../../src/trends/trends-pull.ts';
import type { Executor } from '../../src/db/executor.ts';
import { listTrendsPage, type TrendPageQuery } from '../../src/trends/trends-reads.ts';
import { getTrend, refreshTrends } from '../../src/trends/trends-service.ts';
import { defaultTrendsSettings, type TrendsSettings } from '../../src/settings/trends-settings.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { RECORDED_AT, startFixtureServer, type FixtureServer } from './fixture-server.ts';

const t = useTestDatabase();

/** The first page of the listing, best first (50 unless a limit is given). */
const listTrends = async (db: Executor, query: Partial<TrendPageQuery> = {}) =>
  (await listTrendsPage(db, { limit: 50, ...query })).trends;
let server: FixtureServer;
let settings: TrendsSettings;
let reddit: TrendSource;

const HOUR = 3_600_000;
const at = (hours: number) => new Date(RECORDED_AT.getTime() + hours * HOUR);
const deps = () => ({ db: t.db, logger: quietLogger, settings });
const pull = (options: { niches?: string[]; now?: Date } = {}, source = reddit) =>
  pullTrends(deps(), source, { now: RECORDED_AT, ...options });

async function topicsByText() {
  const { rows } = await t.pool.query(
    `SELECT t.*, n.slug FROM trending_topics t JOIN niches n ON n.id = t.niche_id ORDER BY topic`,
  );
  return new Map(rows.map((r) => [r.topic as string, r]));
}

beforeAll(async () => {
  server = await startFixtureServer();
  settings = {
    ...defaultTrendsSettings,
    redditBaseUrl: server.url,
    subreddits: { personal_finance: ['personalfinance', 'povertyfinance'], motivation: ['GetMotivated'] },
    fetchTimeoutMs: 2_000,
  };
  reddit = createRedditSource({
    baseUrl: server.url,
    subreddits: { personal_finance: ['personalfinance', 'povertyfinance'], motivation: ['GetMotivated'] },
    minIntervalMs: 0,
  });
});
afterAll(async () => server.close());

beforeEach(async () => {
  await t.pool.query(
    'DELETE FROM trend_observations; DELETE FROM content; DELETE FROM trending_topics; DELETE FROM system_events',
  );
  server.route('/r/personalfinance/top.json', { file: 'reddit/r/personalfinance/top.json' });
  server.route('/r/povertyfinance/top.json', { file: 'reddit/r/povertyfinance/top.json' });
});

describe('pulling from Reddit', () => {
  it('measures each post against the median engagement of its subreddit', async () => {
    const result = await pull();
    expect(result).toMatchObject({ source: 'reddit', targets: 3, fetched: 14, failures: [], tooOld: 0 });
    const topics = await topicsByText();
    // r/personalfinance, stickied thread left out: 185, 362, 420, 685, 743, 2295, 4598 → median 685.
    const loans = topics.get(
      "I finally paid off $48k in student loans at 29 — here's the spreadsheet I used",
    );
    expect(loans).toMatchObject({
      slug: 'personal_finance',
      source: 'reddit',
      source_group: 'r/personalfinance',
      source_url: expect.stringMatching(
        /^https:\/\/www\.reddit\.com\/r\/personalfinance\/comments\/pf91dho\//,
      ),
      engagement: 4598,
      baseline_median: 685,
      published_at: at(-9),
      is_active: true,
    });
    expect(loans.overperformance_ratio).toBeCloseTo(4598 / 685, 10);
    // First sighting: the velocity is the average since posting, 9 hours ago.
    expect(loans.velocity).toBeCloseTo(4598 / 9, 10);
    expect(loans.trend_score).toBeCloseTo(
      scoreParts({
        ratio: 4598 / 685,
        velocity: 4598 / 9,
        baselineMedian: 685,
        postedOrFound: at(-9),
        now: at(0),
      }).score,
      10,
    );
    // r/povertyfinance, NSFW post left out: 191, 398, 400, 6632 → median (398 + 400) / 2 = 399.
    const foodBank = topics.get('Went from food bank to fully funded emergency fund in 14 months. AMA');
    expect(foodBank.baseline_median).toBe(399);
    expect(foodBank.overperformance_ratio).toBeCloseTo(6632 / 399, 10);
    // r/GetMotivated: 3750, 9411, 15602 → 9411.
    expect(topics.get('I ran my first 5k a year after my heart surgery')).toMatchObject({
      slug: 'motivation',
      overperformance_ratio: 1,
    });
  });

  it('merges one topic posted in two subreddits of a niche, keeping the better-scoring post', async () => {
    await pull();
    const { rows } = await t.pool.query(
      `SELECT topic, source_group, engagement, topic_key FROM trending_topics WHERE topic ILIKE '%roth ira%'`,
    );
    // "What's a Roth IRA and should I open one at 22?" (743 over 685, 6 h old) beats
    // "What's a Roth IRA — and should I open one at 22??" (398 over 399, 8 h old).
    expect(rows).toEqual([
      {
        topic: "What's a Roth IRA and should I open one at 22?",
        source_group: 'r/personalfinance',
        engagement: 743,
        topic_key: 'what s a roth ira and should i open one at 22',
      },
    ]);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM trending_topics')).rows[0].n).toBe(
      7 + 4 - 1 + 3,
    );
    // Both posts were observed: both count in their subreddit's median.
    expect((await t.pool.query('SELECT count(*)::int AS n FROM trend_observations')).rows[0].n).toBe(14);
  });

  it('lists topics best first, the outliers on top', async () => {
    await pull();
    const list = await listTrends(t.db, { niche: 'personal_finance' });
    expect(list).toHaveLength(10);
    const scores = list.map((t) => t.trendScore!);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores.every((s) => s > 0 && s < 1)).toBe(true);
    expect(list.slice(0, 2).map((t) => t.sourceGroup)).toEqual(['r/povertyfinance', 'r/personalfinance']);
    expect(list[0]!.topic).toMatch(/^Went from food bank/);
    expect(list[1]!.topic).toMatch(/^I finally paid off/);
    expect(list.at(-1)!.overperformanceRatio).toBeLessThan(1);
    expect(await listTrends(t.db, { limit: 3 })).toHaveLength(3);
  });

  it('updates a re-pulled post instead of duplicating it, against the median of the whole window', async () => {
    await pull();
    const before = (await topicsByText()).get("What's a Roth IRA and should I open one at 22?");
    server.route('/r/personalfinance/top.json', { file: 'reddit/r/personalfinance/top.later.json' });
    const result = await pull({ now: at(1), niches: ['personal_finance'] });
    // The HSA post is new; the other 6 of r/personalfinance and the 3 other topics of r/povertyfinance merge.
    expect(result).toMatchObject({ created: 1, merged: 9 });
    const topics = await topicsByText();
    const roth = topics.get("What's a Roth IRA and should I open one at 22?");
    expect(roth.id).toBe(before.id);
    expect(roth.discovered_at).toEqual(before.discovered_at);
    expect(roth.last_seen_at).toEqual(at(1));
    // The student-loan post fell out of the listing but is still in the window: 235, 372, 428, 706, 1315,
    // 1510, 2560 and 4598 → (706 + 1315) / 2 = 1010.5. The current pull alone would say 706.
    expect(roth.baseline_median).toBe(1010.5);
    expect(roth.engagement).toBe(1315);
    expect(roth.overperformance_ratio).toBeCloseTo(1315 / 1010.5, 10);
    // Seen an hour ago at 743: 572 an hour.
    expect(roth.velocity).toBeCloseTo(572, 10);
    expect(
      (
        await t.pool.query('SELECT count(*)::int AS n FROM trending_topics WHERE topic_key = $1', [
          roth.topic_key,
        ])
      ).rows[0].n,
    ).toBe(1);
    const shown = await getTrend(t.db, roth.id);
    // Both Roth IRA posts fed the topic, in both pulls.
    expect(shown.history.map((h) => [h.group, h.engagement, h.observedAt])).toEqual([
      ['r/povertyfinance', 398, at(1)],
      ['r/personalfinance', 1315, at(1)],
      ['r/povertyfinance', 398, at(0)],
      ['r/personalfinance', 743, at(0)],
    ]);
  });

  it('makes content from a pulled trend, with its topic and niche', async () => {
    await pull();
    const [best] = await listTrends(t.db, { niche: 'motivation', limit: 1 });
    const content = await createContent(t.db, defaultContentPolicy, { trendId: best!.id });
    expect(content).toMatchObject({ topic: best!.topic, nicheSlug: 'motivation', trendId: best!.id });
  });

  it('refuses an unknown niche or one the source reads nothing for, writing nothing', async () => {
    await expect(pull({ niches: ['cooking'] })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/^--niche: no niche "cooking"/),
    });
    await expect(pull({ niches: ['true_crime'] })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^--niche: the reddit source reads nothing for true_crime/),
    });
    expect((await t.pool.query('SELECT count(*)::int AS n FROM trend_observations')).rows[0].n).toBe(0);
    await expect(getTrend(t.db, 'nope')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('ageing out', () => {
  it('makes topics inactive once their post is older than the configured age, and rescores the rest', async () => {
    await pull();
    const before = await topicsByText();
    // 59.5 h later, posts from more than 12.5 h before the recording are past 72 h.
    const refreshed = await refreshTrends(t.db, settings, at(59.5));
    const after = await topicsByText();
    const inactive = [...after.values()].filter((r) => !r.is_active).map((r) => r.published_at.getTime());
    expect(refreshed.deactivated).toBe(inactive.length);
    // PSA (14 h), landlord (19 h), lease (21 h), food bank (16 h), groceries (13 h), apartment (20 h).
    expect(inactive.length).toBe(6);
    expect(inactive.every((p) => p < at(-12.5).getTime())).toBe(true);
    for (const [topic, row] of after) {
      if (row.is_active) {
        expect(row.published_at.getTime()).toBeGreaterThanOrEqual(at(-12.5).getTime());
        expect(row.trend_score).toBeLessThan(before.get(topic).trend_score); // Less fresh.
        expect(row.scored_at).toEqual(at(59.5));
      }
    }
    expect(await listTrends(t.db, {})).toHaveLength(after.size - 6);
    expect(await listTrends(t.db, { all: true })).toHaveLength(after.size);
  });

  it('honours a configured age, and keeps too-old posts out of topics but in the median', async () => {
    settings = { ...settings, inactiveAfterHours: 8 };
    try {
      const result = await pull({ niches: ['personal_finance'] });
      // Posted 4, 6 and 8 h ago: three posts, two topics (the Roth IRA posts merge); eight are older.
      expect(result).toMatchObject({ created: 2, tooOld: 8 });
      const topics = await topicsByText();
      expect([...topics.keys()].sort()).toEqual([
        'Credit score dropped 60 points after closing my oldest card',
        "What's a Roth IRA and should I open one at 22?",
      ]);
      expect(topics.get('Credit score dropped 60 points after closing my oldest card').baseline_median).toBe(
        685,
      );
    } finally {
      settings = { ...settings, inactiveAfterHours: 72 };
    }
  });

  it('does not revive an inactive topic: one that trends again comes back as a new topic', async () => {
    await pull({ niches: ['personal_finance'] });
    await t.pool.query('UPDATE trending_topics SET is_active = false');
    const result = await pull({ niches: ['personal_finance'] });
    expect(result.created).toBe(10);
    expect((await listTrends(t.db, { all: true })).length).toBe(20);
  });
});

describe('fetch failures', () => {
  async function events() {
    return (
      await t.pool.query(
        `SELECT category, severity, event_type, message, context, resolved, resolved_by FROM system_events
         WHERE event_type = 'trend_fetch_failed' ORDER BY id`,
      )
    ).rows;
  }

  it('records an event per failing subreddit, names the failure, and ingests the others', async () => {
    server.route('/r/povertyfinance/top.json', { status: 503 });
    const result = await pull({ niches: ['personal_finance'] });
    expect(result.failures).toEqual([
      {
        niche: 'personal_finance',
        group: 'r/povertyfinance',
        message: expect.stringMatching(
          /^r\/povertyfinance: HTTP 503 Service Unavailable from http:\/\/127\.0\.0\.1/,
        ),
        eventId: expect.any(Number),
      },
    ]);
    expect(result.created).toBe(7);
    expect(await events()).toEqual([
      {
        category: 'trends',
        severity: 'warning',
        event_type: 'trend_fetch_failed',
        message: expect.stringMatching(/^trends \(reddit\): r\/povertyfinance: HTTP 503/),
        context: expect.objectContaining({ source: 'reddit', group: 'r/povertyfinance', failures: 1 }),
        resolved: false,
        resolved_by: null,
      },
    ]);

    // Failing again adds to the open event instead of opening another; recovering resolves it.
    server.route('/r/povertyfinance/top.json', { raw: '{"kind": "Listing", "data": {"chil' });
    const again = await pull({ niches: ['personal_finance'] });
    expect(again.failures[0]!.message).toMatch(/^r\/povertyfinance: malformed JSON from http/);
    expect(again.failures[0]!.eventId).toBe(result.failures[0]!.eventId);
    const [open] = await events();
    expect(open.context).toMatchObject({ failures: 2, lastError: again.failures[0]!.message });

    server.route('/r/povertyfinance/top.json', { file: 'reddit/r/povertyfinance/top.json' });
    expect((await pull({ niches: ['personal_finance'] })).failures).toEqual([]);
    expect(await events()).toMatchObject([{ resolved: true, resolved_by: 'auto' }]);
  });

  it('gives up on a source that does not answer within the deadline', async () => {
    server.route('/r/povertyfinance/top.json', 'hang');
    settings = { ...settings, fetchTimeoutMs: 300 };
    try {
      const result = await pull({ niches: ['personal_finance'] });
      expect(result.failures.map((f) => f.message)).toEqual(['r/povertyfinance: no answer within 300 ms']);
      expect(result.created).toBe(7);
    } finally {
      settings = { ...settings, fetchTimeoutMs: 2_000 };
    }
  });

  it('reports a refused connection and a listing of the wrong shape', async () => {
    server.route('/r/povertyfinance/top.json', { raw: '{"kind": "t5", "data": {}}' });
    const gone = await startFixtureServer();
    await gone.close(); // Nothing listens on its port any more.
    const closed = createRedditSource({ baseUrl: gone.url, subreddits: { motivation: ['GetMotivated'] } });
    const refused = await pull({ niches: ['motivation'] }, closed);
    expect(refused.failures[0]!.message).toMatch(/^r\/GetMotivated: fetch failed \(.*ECONNREFUSED/);
    const shape = await pull({ niches: ['personal_finance'] });
    expect(shape.failures[0]!.message).toMatch(/^r\/povertyfinance \(http:.*\): not a Reddit listing/);
    expect(await events()).toHaveLength(2);
  });

  it('paces its requests as the source asks', async () => {
    const starts: number[] = [];
    const paced: TrendSource = {
      name: 'paced',
      minIntervalMs: 150,
      targets: () => ['a', 'b', 'c'].map((group) => ({ niche: 'motivation', group })),
      fetch: async () => {
        starts.push(performance.now());
        return [];
      },
    };
    await pull({ niches: ['motivation'] }, paced);
    expect(starts).toHaveLength(3);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(145);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(145);
  });

  it('treats items a plug-in gets wrong as a failure of that target', async () => {
    const sloppy: TrendSource = {
      name: 'sloppy',
      targets: (niches) => niches.map((niche) => ({ niche, group: 'feed' })),
      fetch: async () => [
        { id: 'a', title: 'A fine topic', url: null, engagement: Number.NaN, publishedAt: null },
      ],
    };
    const result = await pull({ niches: ['motivation'] }, sloppy);
    expect(result.failures[0]!.message).toBe('feed: item 0 from the sloppy source has a bad engagement');
  });
});
