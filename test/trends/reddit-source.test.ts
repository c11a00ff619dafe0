// @no-database
// The Reddit listing reader: what it makes of recorded listings, how it asks for them, and how it fails.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import { createRedditSource, parseRedditListing } from '../../src/trends/reddit-source.ts';
import { FIXTURES, RECORDED_AT, startFixtureServer, type FixtureServer } from './fixture-server.ts';

const listing = async (sub: string, file = 'top.json') =>
  JSON.parse(await fs.readFile(path.join(FIXTURES, 'reddit', 'r', sub, file), 'utf8')) as unknown;

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => server.close());

const source = (extra: Record<string, unknown> = {}) =>
  createRedditSource({
    baseUrl: server.url,
    subreddits: { personal_finance: ['personalfinance', 'povertyfinance'], motivation: ['GetMotivated'] },
    ...extra,
  });
const signal = () => AbortSignal.timeout(5_000);

describe('parsing a listing', () => {
  it('makes each post an item: engagement = score + comments, the permalink on reddit.com, posted at created_utc', async () => {
    const items = parseRedditListing(await listing('personalfinance'), 'r/personalfinance');
    expect(items).toHaveLength(7);
    expect(items[0]).toEqual({
      id: 't3_pf91dho',
      title: "I finally paid off $48k in student loans at 29 — here's the spreadsheet I used",
      url: 'https://www.reddit.com/r/personalfinance/comments/pf91dho/i_finally_paid_off_48k_in_student_loans_at_29_here/',
      engagement: 4210 + 388,
      publishedAt: new Date(RECORDED_AT.getTime() - 9 * 3_600_000),
    });
    expect(items.map((i) => i.engagement)).toEqual([4598, 2295, 743, 685, 420, 362, 185]);
  });

  it('leaves out pinned (stickied) and NSFW posts', async () => {
    const pf = parseRedditListing(await listing('personalfinance'), 'r/personalfinance');
    expect(pf.some((i) => i.title.startsWith('Weekly Other Discussion'))).toBe(false);
    const pov = parseRedditListing(await listing('povertyfinance'), 'r/povertyfinance');
    expect(pov.map((i) => i.id)).not.toContain('t3_b7tfq7x');
    expect(pov).toHaveLength(4);
  });

  it('drops the [flair] some subreddits put before a title', async () => {
    const items = parseRedditListing(await listing('GetMotivated'), 'r/GetMotivated');
    expect(items.map((i) => i.title)).toEqual([
      'Discipline is choosing between what you want now and what you want most',
      'I ran my first 5k a year after my heart surgery',
      'What tiny habit changed your mornings the most?',
    ]);
  });

  it('refuses what is not a listing, naming what is wrong', () => {
    expect(() => parseRedditListing({ kind: 't3', data: {} }, 'r/x')).toThrow(
      /r\/x: not a Reddit listing .*kind/,
    );
    expect(() =>
      parseRedditListing(
        {
          kind: 'Listing',
          data: { children: [{ kind: 't3', data: { id: 'a', title: 'x', score: 'lots' } }] },
        },
        'r/x',
      ),
    ).toThrow(/r\/x post 0: not a Reddit listing/);
  });
});

describe('reading listings over HTTP', () => {
  it('asks for each configured subreddit, with an honest User-Agent naming sovi', async () => {
    const reddit = source();
    expect(reddit.targets(['personal_finance', 'motivation', 'true_crime'])).toEqual([
      { niche: 'personal_finance', group: 'r/personalfinance' },
      { niche: 'personal_finance', group: 'r/povertyfinance' },
      { niche: 'motivation', group: 'r/GetMotivated' },
    ]);
    // Reddit allows about 10 requests a minute without OAuth: pulls ask for one every 6 s.
    expect(reddit.minIntervalMs).toBe(6_000);
    const items = await reddit.fetch({ niche: 'motivation', group: 'r/GetMotivated' }, signal());
    expect(items).toHaveLength(3);
    const request = server.requests().at(-1)!;
    expect(request.path).toBe('/r/GetMotivated/top.json');
    expect(Object.fromEntries(request.query)).toEqual({ limit: '100', t: 'day', raw_json: '1' });
    expect(request.userAgent).toMatch(/^sovi\/\d+\.\d+\.\d+ \(trending topics reader\)$/);
  });

  it('reads another listing when configured, and appends a contact to the User-Agent', async () => {
    server.route('/r/personalfinance/hot.json', { file: 'reddit/r/personalfinance/top.json' });
    const reddit = source({ listing: 'hot', limit: 25, contact: 'ops@example.com' });
    await reddit.fetch({ niche: 'personal_finance', group: 'r/personalfinance' }, signal());
    const request = server.requests().at(-1)!;
    expect(request.path).toBe('/r/personalfinance/hot.json');
    expect(request.query.get('t')).toBeNull();
    expect(request.query.get('limit')).toBe('25');
    expect(request.userAgent).toMatch(/\(trending topics reader; ops@example\.com\)$/);
  });

  it('fails with the status and URL on an HTTP error, and names malformed JSON', async () => {
    server.route('/r/down/top.json', { status: 503 });
    server.route('/r/garbled/top.json', { raw: '{"kind": "Listing", "data": {"children": [' });
    const reddit = source();
    const down = await reddit.fetch({ niche: 'x', group: 'r/down' }, signal()).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(SoviError);
    expect((down as SoviError).message).toMatch(
      /^r\/down: HTTP 503 Service Unavailable from http:\/\/127\.0\.0\.1:\d+\/r\/down\/top\.json/,
    );
    await expect(reddit.fetch({ niche: 'x', group: 'r/garbled' }, signal())).rejects.toThrow(
      /^r\/garbled: malformed JSON from http/,
    );
    await expect(reddit.fetch({ niche: 'x', group: 'r/nonexistent' }, signal())).rejects.toThrow(/HTTP 404/);
  });

  it('refuses bad options, naming SOVI_TRENDS_SOURCE_OPTIONS', () => {
    expect(() => source({ listing: 'best' })).toThrow(/^SOVI_TRENDS_SOURCE_OPTIONS: listing:/);
    expect(() => source({ userAgent: 'Mozilla/5.0' })).toThrow(/SOVI_TRENDS_SOURCE_OPTIONS/);
    expect(() => createRedditSource({ baseUrl: 'ftp://x', subreddits: {} })).toThrow(/baseUrl/);
  });
});
