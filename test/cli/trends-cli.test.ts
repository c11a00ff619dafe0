// Trends from the command line: pulling recorded Reddit listings (served on 127.0.0.1, replayed as if
// recorded just now), listing best first, showing one, importing a file, and the errors that name what was
// wrong without writing anything.
// Needs the wiring of src/config.ts (SOVI_TRENDS_*) and src/cli/main.ts (the trends group).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startFixtureServer, type FixtureServer } from '../trends/fixture-server.ts';

const t = useTestDatabase();
let server: FixtureServer;

const env = () => ({
  DATABASE_URL: t.url,
  SOVI_TRENDS_REDDIT_URL: server.url,
  SOVI_TRENDS_SUBREDDITS: 'personal_finance=personalfinance,povertyfinance;motivation=GetMotivated',
  SOVI_TRENDS_FETCH_TIMEOUT_MS: '2000',
  SOVI_TRENDS_SOURCE_OPTIONS: '{"minIntervalMs": 0}',
});
const sovi = (...args: string[]) => runSovi(args, env());
const count = async (table: string) =>
  (await t.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;

async function tempFile(name: string, text: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-trends-cli-'));
  const file = path.join(dir, name);
  await fs.writeFile(file, text);
  return file;
}

beforeAll(async () => {
  server = await startFixtureServer({ replayAt: new Date() });
  expect((await runSovi(['migrate'], { DATABASE_URL: t.url })).code).toBe(0);
});
afterAll(async () => server.close());

describe('sovi trends pull, list and show', { timeout: cliTestTimeout(6) }, () => {
  it('pulls a niche, lists it best first, and shows one topic with its median', async () => {
    const pulled = await sovi('trends', 'pull', '--niche', 'personal_finance');
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toMatch(/^pulled 11 items from 2 of 2 reddit targets: 10 new topics, 0 merged/);

    const listed = await sovi('trends', 'list', '--niche', 'personal_finance');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+niche\s+score\s+ratio\s+source\s+age\s+topic$/);
    expect(lines).toHaveLength(11);
    expect(lines[1]).toMatch(
      /personal_finance\s+0\.\d{3}\s+16\.62×\s+r\/povertyfinance\s+16h\s+Went from food bank/,
    );

    const asJson = JSON.parse((await sovi('trends', 'list', '--json', '--limit', '3')).stdout);
    expect(asJson).toHaveLength(3);
    expect(asJson.map((x: { trendScore: number }) => x.trendScore)).toEqual(
      [...asJson.map((x: { trendScore: number }) => x.trendScore)].sort((a: number, b: number) => b - a),
    );

    const loans = asJson.find((x: { topic: string }) => x.topic.startsWith('I finally paid off'));
    const shown = await sovi('trends', 'show', loans.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/ratio\s+6\.71× of the median 685/);
    expect(shown.stdout).toMatch(/url\s+https:\/\/www\.reddit\.com\/r\/personalfinance\/comments\/pf91dho\//);
    expect(shown.stdout).toMatch(/r\/personalfinance\s+t3_pf91dho\s+4598/);

    // Pulling again merges instead of adding.
    const again = JSON.parse((await sovi('trends', 'pull', '--niche', 'personal_finance', '--json')).stdout);
    expect(again).toMatchObject({ created: 0, merged: 10, failures: [] });
    expect(await count('trending_topics')).toBe(10);
  });

  it('pages the list with --after, printing the command for the next page on stderr', async () => {
    const all = JSON.parse((await sovi('trends', 'list', '--niche', 'personal_finance', '--json')).stdout);
    expect(all).toHaveLength(10);
    const seen: string[] = [];
    let args = ['trends', 'list', '--niche', 'personal_finance', '--limit', '4'];
    for (let pages = 1; ; pages++) {
      const page = await sovi(...args, '--json');
      expect(page.code).toBe(0);
      seen.push(...JSON.parse(page.stdout).map((x: { id: string }) => x.id));
      const more = /^more: sovi (trends list --niche personal_finance --limit 4 --after \S+)\n$/.exec(
        page.stderr,
      );
      if (!more) {
        expect(page.stderr).toBe('');
        expect(pages).toBe(3);
        break;
      }
      args = more[1]!.split(' ');
    }
    expect(seen).toEqual(all.map((x: { id: string }) => x.id));
  });

  it('fails with exit 69, naming the source that failed and its event, and keeps what the others gave', async () => {
    server.route('/r/GetMotivated/top.json', { status: 503 });
    try {
      const result = await sovi('trends', 'pull', '--niche', 'motivation');
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(
        /^sovi: trends pull: 1 of 1 fetches failed \(the rest were ingested\):\n {2}r\/GetMotivated: HTTP 503 Service Unavailable from http:\/\/127\.0\.0\.1:\d+\/r\/GetMotivated\/top\.json\?limit=100&t=day&raw_json=1 \(event \d+\)\n$/,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
      const { rows } = await t.pool.query(
        `SELECT category, severity FROM system_events WHERE event_type = 'trend_fetch_failed'`,
      );
      expect(rows).toEqual([{ category: 'trends', severity: 'warning' }]);
    } finally {
      server.route('/r/GetMotivated/top.json', { file: 'reddit/r/GetMotivated/top.json' });
    }
  });

  it('names the argument that is wrong, with its exit status, and writes nothing', async () => {
    const before = await count('trend_observations');
    const cases: [string[], number, RegExp][] = [
      [['trends', 'pull', '--niche', 'cooking'], 3, /^sovi: --niche: no niche "cooking"/],
      [
        ['trends', 'pull', '--niche', 'true_crime'],
        2,
        /^sovi: --niche: the reddit source reads nothing for true_crime/,
      ],
      [
        ['trends', 'pull', '--source', './nope.mjs'],
        78,
        /^sovi: --source: expected reddit or a plug-in module/,
      ],
      [['trends', 'list', '--limit', '0'], 2, /--limit: expected an integer between 1 and 10000, got "0"/],
      [['trends', 'list', '--niche', 'cooking'], 3, /--niche: no niche "cooking"/],
      [['trends', 'list', '--after', 'xyz'], 2, /^sovi: --after: not a cursor returned by a previous page/],
      [['trends', 'show', 'nope'], 3, /^sovi: trending topic nope does not exist/],
    ];
    for (const [args, code, message] of cases) {
      const result = await sovi(...args);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(await count('trend_observations')).toBe(before);
  });
});

describe('sovi trends import', { timeout: cliTestTimeout(5) }, () => {
  it('imports a CSV or JSON file, and refuses one with bad rows, listing every line', async () => {
    const good = await tempFile(
      'tiktok.csv',
      'topic,niche,source,engagement\nCash stuffing envelopes,personal_finance,tiktok,3000\nLoud budgeting,personal_finance,tiktok,200\n',
    );
    const imported = await sovi('trends', 'import', good);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^imported 2 rows from .*tiktok\.csv: 2 new topics, 0 merged/);

    const json = await tempFile(
      'yt.json',
      JSON.stringify([
        { topic: 'Monk mode', niche: 'motivation', source: 'youtube', overperformance_ratio: 2 },
      ]),
    );
    expect((await sovi('trends', 'import', json, '--json')).stdout).toMatch(/"created": 1/);

    const before = await count('trending_topics');
    const bad = await tempFile(
      'bad.csv',
      'topic,niche,source,engagement\nFine,personal_finance,tiktok,1\nOk topic,cooking,tiktok,1\nAnother,personal_finance,tiktok,-1\n',
    );
    const refused = await sovi('trends', 'import', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^sovi: bad\.csv: 2 problem\(s\) .*; nothing was imported/);
    expect(refused.stderr).toMatch(/line 3: niche: no niche "cooking"/);
    expect(refused.stderr).toMatch(/line 4: engagement: expected a number ≥ 0, got "-1"/);
    expect(await count('trending_topics')).toBe(before);

    const wrongType = await sovi('trends', 'import', await tempFile('t.txt', 'x'));
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/file: expected a \.csv or \.json file/);
    const missing = await sovi('trends', 'import', '/nonexistent/trends.csv');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/file: cannot read/);
  });

  it('makes content from a trend with sovi content new --from-trend', async () => {
    const [best] = JSON.parse((await sovi('trends', 'list', '--niche', 'motivation', '--json')).stdout);
    const created = await sovi('content', 'new', '--from-trend', best.id, '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ topic: best.topic, trendId: best.id });
  });
});
