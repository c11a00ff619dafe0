// Importing trends from CSV and JSON: every bad row reported by line, all or nothing, and good rows scored
// and merged like pulled ones.
import { beforeEach, describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import { createRedditSource } from '../../src/trends/reddit-source.ts';
import { arrayElementLines, formatOf, importTrends } from '../../src/trends/trends-import.ts';
import { pullTrends } from '../../src/trends/trends-pull.ts';
import type { Executor } from '../../src/db/executor.ts';
import { listTrendsPage, type TrendPageQuery } from '../../src/trends/trends-reads.ts';
import { defaultTrendsSettings } from '../../src/settings/trends-settings.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { RECORDED_AT, startFixtureServer } from './fixture-server.ts';

const t = useTestDatabase();

/** The first page of the listing, best first (50 unless a limit is given). */
const listTrends = async (db: Executor, query: Partial<TrendPageQuery> = {}) =>
  (await listTrendsPage(db, { limit: 50, ...query })).trends;
const settings = defaultTrendsSettings;
const deps = () => ({ db: t.db, settings, actor: 'tester' });
const now = RECORDED_AT;
const csv = (text: string) => importTrends(deps(), text, { source: 'trends.csv', format: 'csv', now });
const jsonImport = (text: string) =>
  importTrends(deps(), text, { source: 'trends.json', format: 'json', now });

async function refusal(promise: Promise<unknown>): Promise<SoviError> {
  const err = await promise.catch((e: unknown) => e);
  if (err instanceof SoviError) return err;
  throw new Error(`expected a SoviError, got ${String(err)}`);
}

async function counts() {
  const { rows } = await t.pool.query(`SELECT
    (SELECT count(*)::int FROM trending_topics) AS topics,
    (SELECT count(*)::int FROM trend_observations) AS observations,
    (SELECT count(*)::int FROM system_events WHERE category = 'trends') AS events`);
  return rows[0];
}

beforeEach(async () => {
  await t.pool.query(
    'DELETE FROM trend_observations; DELETE FROM trending_topics; DELETE FROM system_events',
  );
});

describe('importing a CSV file', () => {
  it('scores rows against the median of their source group, and merges duplicates', async () => {
    const result = await csv(
      [
        'topic,niche,source,source_url,engagement,overperformance_ratio,published_at',
        'Cash stuffing envelopes,personal_finance,tiktok,https://www.tiktok.com/@a/video/1,3000,,2026-03-10T06:00:00Z',
        '"Cash-stuffing envelopes!",personal_finance,tiktok,https://www.tiktok.com/@b/video/2,2000,,',
        'The 50/30/20 budget,personal_finance,tiktok,https://www.tiktok.com/@c/video/3,1000,,',
        'Loud budgeting,personal_finance,tiktok,https://www.tiktok.com/@d/video/4,200,,',
        'No-spend February,personal_finance,manual,,,4.5,',
      ].join('\n'),
    );
    expect(result).toEqual({ rows: 5, items: 5, tooOld: 0, created: 4, merged: 0 });
    const list = await listTrends(t.db, { niche: 'personal_finance' });
    const byTopic = new Map(list.map((x) => [x.topic, x]));
    // tiktok/personal_finance: 200, 1000, 2000, 3000 → median 1500.
    expect(byTopic.get('Cash stuffing envelopes')).toMatchObject({
      source: 'tiktok',
      sourceGroup: 'tiktok/personal_finance',
      sourceUrl: 'https://www.tiktok.com/@a/video/1',
      engagement: 3000,
      baselineMedian: 1500,
      overperformanceRatio: 2,
      publishedAt: new Date('2026-03-10T06:00:00Z'),
    });
    expect(byTopic.has('Cash-stuffing envelopes!')).toBe(false);
    expect(byTopic.get('Loud budgeting')!.overperformanceRatio).toBeCloseTo(200 / 1500);
    // A stated ratio is kept; without engagement there is nothing to observe.
    expect(byTopic.get('No-spend February')).toMatchObject({ overperformanceRatio: 4.5, engagement: null });
    // Cash stuffing: 2× the median, 6 h old and fast; no-spend February: a stated 4.5×, of unknown speed.
    expect(list.map((x) => x.topic)).toEqual([
      'Cash stuffing envelopes',
      'No-spend February',
      'The 50/30/20 budget',
      'Loud budgeting',
    ]);
    expect(await counts()).toEqual({ topics: 4, observations: 4, events: 1 });
    const { rows } = await t.pool.query(
      `SELECT message, context FROM system_events WHERE event_type = 'trends_imported'`,
    );
    expect(rows[0].message).toMatch(
      /^tester imported 5 trending topic rows from trends.csv \(4 new, 0 merged\)/,
    );
  });

  it('merges a row into the topic a Reddit pull found', async () => {
    const server = await startFixtureServer();
    try {
      const reddit = createRedditSource({
        baseUrl: server.url,
        subreddits: { personal_finance: ['personalfinance'] },
      });
      await pullTrends({ db: t.db, logger: quietLogger, settings }, reddit, { now });
      const before = await listTrends(t.db, { niche: 'personal_finance' });
      const result = await csv(
        'topic,niche,source,engagement\n"what\'s a roth IRA and should I open one at 22",personal_finance,tiktok,50000\n',
      );
      expect(result).toMatchObject({ created: 0, merged: 1 });
      const after = await listTrends(t.db, { niche: 'personal_finance' });
      expect(after.map((x) => x.id).sort()).toEqual(before.map((x) => x.id).sort());
      const roth = after.find((x) => x.topic.startsWith("What's a Roth IRA"))!;
      expect(roth).toMatchObject({ source: 'tiktok', engagement: 50000 });
    } finally {
      await server.close();
    }
  });

  it('reports every bad row with its file line number and writes nothing', async () => {
    const err = await refusal(
      csv(
        [
          'topic,niche,source,source_url,engagement,published_at', // line 1
          '"A topic that spans',
          'two lines",personal_finance,tiktok,,10,', // the record above ends on line 3
          'Fine topic,cooking,tiktok,,10,', // 4: no such niche
          ',personal_finance,tiktok,,10,', // 5: no topic
          'Another topic,personal_finance,TikTok!,,10,', // 6: bad source
          'Third topic,personal_finance,tiktok,ftp://x,-5,', // 7: bad URL and engagement
          'Fourth topic,personal_finance,tiktok,,10,2026-03-10T13:00:00Z', // 8: in the future
          'Fifth topic,personal_finance,tiktok,,10,2026-03-01T00:00:00Z', // 9: older than 72 h
          'Sixth topic,personal_finance,tiktok,,10,yesterday', // 10: not a time
          'Seventh topic,personal_finance', // 11: too few fields
          'Good topic,personal_finance,tiktok,,10,2026-03-10T11:00:00Z', // 12: fine
        ].join('\n'),
      ),
    );
    expect(err.code).toBe('invalid_input');
    expect(err.details.field).toBe('file');
    expect(err.details.issues!.map((i) => [i.line, i.field])).toEqual([
      [4, 'niche'],
      [5, 'topic'],
      [6, 'source'],
      [7, 'source_url'],
      [7, 'engagement'],
      [8, 'published_at'],
      [9, 'published_at'],
      [10, 'published_at'],
      [11, undefined],
    ]);
    expect(err.message).toMatch(/^trends\.csv: 9 problem\(s\) in 8 .*row\(s\); nothing was imported:/);
    expect(err.message).toContain('line 4: niche: no niche "cooking"');
    expect(err.message).toContain('line 9: published_at: 2026-03-01T00:00:00Z is more than 72 h ago');
    expect(await counts()).toEqual({ topics: 0, observations: 0, events: 0 });
  });

  it('reads on after a line that is not valid CSV, reporting every bad line and writing nothing', async () => {
    const err = await refusal(
      csv(
        [
          'topic,niche,source',
          'Fine topic,personal_finance,tiktok',
          '"Broken topic,personal_finance,tiktok', // line 3: an unterminated quote
          'Another fine topic,personal_finance,tiktok',
          'Stray "quote" topic,personal_finance,tiktok', // line 5: a quote inside an unquoted field
          'Fine topic three,personal_finance,tiktok,surplus', // line 6: an extra column
          'Bad source topic,personal_finance,TikTok!', // line 7: a bad value
        ].join('\n'),
      ),
    );
    expect(err.details.issues!.map((i) => [i.line, i.field])).toEqual([
      [3, undefined],
      [5, undefined],
      [6, undefined],
      [7, 'source'],
    ]);
    expect(err.message).toContain('line 3: not valid CSV');
    expect(await counts()).toEqual({ topics: 0, observations: 0, events: 0 });
  });

  it('refuses a bad header on line 1, and an empty file', async () => {
    const err = await refusal(csv('topic,niche,platform\nx,y,z\n'));
    expect(err.message).toMatch(/^trends\.csv line 1: unknown column "platform"; missing column "source"/);
    expect((await refusal(csv('topic,niche,source\n'))).message).toMatch(/no rows/);
    expect(await counts()).toEqual({ topics: 0, observations: 0, events: 0 });
  });

  it('checks a large file in full before writing any of it, reporting progress', async () => {
    const rows = Array.from(
      { length: 1_500 },
      (_, i) => `Topic number ${i},personal_finance,tiktok,https://example.com/v/${i},${i}`,
    );
    rows[1_199] = 'Topic number 1199,personal_finance,tiktok,https://example.com/v/1199,lots';
    const text = ['topic,niche,source,source_url,engagement', ...rows].join('\n');
    const phases: string[] = [];
    const err = await refusal(
      importTrends(deps(), text, {
        source: 'big.csv',
        format: 'csv',
        now,
        onProgress: (phase) => phases.push(phase),
      }),
    );
    expect(err.details.issues).toEqual([
      { line: 1_201, field: 'engagement', message: 'engagement: expected a number ≥ 0, got "lots"' },
    ]);
    expect(await counts()).toEqual({ topics: 0, observations: 0, events: 0 });
    expect(phases).not.toContain('write');

    rows[1_199] = 'Topic number 1199,personal_finance,tiktok,https://example.com/v/1199,1199';
    const progress: [string, number, number][] = [];
    const result = await importTrends(
      deps(),
      ['topic,niche,source,source_url,engagement', ...rows].join('\n'),
      {
        source: 'big.csv',
        format: 'csv',
        now,
        onProgress: (phase, done, total) => progress.push([phase, done, total]),
      },
    );
    expect(result).toMatchObject({ rows: 1_500, created: 1_500 });
    expect(progress).toContainEqual(['check', 1_500, 1_500]);
    expect(progress).toContainEqual(['write', 1_000, 1_500]);
    expect(progress.at(-1)).toEqual(['write', 1_500, 1_500]);
    expect((await listTrends(t.db, { limit: 1 }))[0]!.topic).toBe('Topic number 1499');
  });
});

describe('importing a JSON file', () => {
  it('imports an array of objects with the CSV columns as keys', async () => {
    const result = await jsonImport(
      JSON.stringify(
        [
          { topic: 'Dopamine detox weekends', niche: 'motivation', source: 'tiktok', engagement: 12000 },
          {
            topic: 'The 5 a.m. club, a year later',
            niche: 'motivation',
            source: 'tiktok',
            engagement: '3000',
          },
          {
            topic: 'Monk mode',
            niche: 'motivation',
            source: 'youtube',
            overperformance_ratio: 2.5,
            source_url: null,
          },
        ],
        null,
        2,
      ),
    );
    expect(result).toMatchObject({ rows: 3, created: 3 });
    const list = await listTrends(t.db, { niche: 'motivation' });
    expect(list.find((x) => x.topic === 'Dopamine detox weekends')).toMatchObject({
      baselineMedian: 7500,
      overperformanceRatio: 1.6,
    });
  });

  it('reports bad objects by the line they start on, and writes nothing', async () => {
    const text = `[
  { "topic": "Fine one", "niche": "motivation", "source": "tiktok" },
  {
    "topic": "Bad niche",
    "niche": "cooking",
    "source": "tiktok"
  },
  { "topic": "Extra key", "niche": "motivation", "source": "tiktok", "views": 10 },
  "just a string",
  { "topic": ["a"], "niche": "motivation", "source": "tiktok" },
  { "topic": "No source with a \\"quote\\" and [brackets] {braces}", "niche": "motivation" }
]`;
    const err = await refusal(jsonImport(text));
    expect(err.details.issues!.map((i) => [i.line, i.field])).toEqual([
      [3, 'niche'],
      [8, 'views'],
      [9, undefined],
      [10, 'topic'],
      [11, 'source'],
    ]);
    expect(await counts()).toEqual({ topics: 0, observations: 0, events: 0 });
  });

  it('names the line of malformed JSON, and refuses anything but an array', async () => {
    const malformed = await refusal(jsonImport('[\n  {"topic": "x"}\n  {"topic": "y"}\n]'));
    expect(malformed.message).toMatch(/^trends\.json line 3: not valid JSON/);
    const object = await refusal(jsonImport('{"topics": []}'));
    expect(object.message).toMatch(/expected a JSON array of topic objects/);
  });

  it('finds where each element of an array starts', () => {
    expect(arrayElementLines('[1,\n2, "a,b",\n{"x": [1,\n2]}, null\n]')).toEqual([1, 2, 2, 3, 4]);
    expect(arrayElementLines('[]')).toEqual([]);
  });
});

describe('file formats', () => {
  it('goes by the extension', () => {
    expect(formatOf('a/b/Trends.CSV')).toBe('csv');
    expect(formatOf('trends.json')).toBe('json');
    expect(() => formatOf('trends.xlsx')).toThrow(/^file: expected a \.csv or \.json file/);
  });
});
