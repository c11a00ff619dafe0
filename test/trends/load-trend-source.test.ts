// Choosing the trend source: the built-in Reddit reader, or a plug-in module loaded by path.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrendSource } from '../../src/plugins/load-plugins.ts';
import { pullTrends } from '../../src/trends/trends-pull.ts';
import type { Executor } from '../../src/db/executor.ts';
import { listTrendsPage, type TrendPageQuery } from '../../src/trends/trends-reads.ts';
import { defaultTrendsSettings, type TrendsSettings } from '../../src/settings/trends-settings.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { RECORDED_AT, startFixtureServer } from './fixture-server.ts';

const t = useTestDatabase();

/** The first page of the listing, best first (50 unless a limit is given). */
const listTrends = async (db: Executor, query: Partial<TrendPageQuery> = {}) =>
  (await listTrendsPage(db, { limit: 50, ...query })).trends;
const context = { logger: quietLogger };
const PLUGIN = path.join(import.meta.dirname, 'fixtures', 'plugins', 'echo-source.ts');

const echoSettings = (extra: Partial<TrendsSettings> = {}): TrendsSettings => ({
  ...defaultTrendsSettings,
  sourceSpec: PLUGIN,
  sourceOptions: {
    now: RECORDED_AT.toISOString(),
    topics: {
      true_crime: [
        { title: 'The Zodiac cipher, solved?', engagement: 900, hoursAgo: 2 },
        { title: 'Cold case reopened after 30 years', engagement: 100 },
        { title: 'Podcast sleuths and the limits of DNA', engagement: 300 },
      ],
    },
  },
  ...extra,
});

async function tempModule(name: string, text: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-trend-source-'));
  const file = path.join(dir, name);
  await fs.writeFile(file, text);
  return file;
}

describe('loading a trend source plug-in', () => {
  it('loads a module by path (relative to the working directory), hands it the options, and ingests what it finds', async () => {
    const relative = path.relative(process.cwd(), PLUGIN);
    const source = await loadTrendSource(echoSettings({ sourceSpec: relative }), context);
    expect(source.name).toBe('echo');
    expect(source.targets(['true_crime', 'motivation'])).toEqual([
      { niche: 'true_crime', group: 'echo/true_crime' },
    ]);
    const result = await pullTrends({ db: t.db, logger: quietLogger, settings: echoSettings() }, source, {
      now: RECORDED_AT,
    });
    expect(result).toMatchObject({ source: 'echo', targets: 1, created: 3, failures: [] });
    const [best] = await listTrends(t.db, { niche: 'true_crime' });
    expect(best).toMatchObject({
      topic: 'The Zodiac cipher, solved?',
      source: 'echo',
      sourceGroup: 'echo/true_crime',
      sourceUrl: 'https://echo.example/true_crime/0',
      overperformanceRatio: 3,
      baselineMedian: 300,
    });
    await source.close?.();
  });

  it('takes a default export as the factory too', async () => {
    const file = await tempModule(
      'default.mjs',
      `export default (options) => ({ name: options.name, targets: () => [], fetch: async () => [] });`,
    );
    const source = await loadTrendSource(echoSettings({ sourceOptions: { name: 'manual_feed' } }), context, {
      spec: file,
    });
    expect(source.name).toBe('manual_feed');
  });

  it('names the variable, or the option that chose it, when a module is missing or is no source', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-trend-source-'));
    await expect(
      loadTrendSource(echoSettings({ sourceSpec: path.join(dir, 'nope.mjs') }), context),
    ).rejects.toMatchObject({
      code: 'config',
      details: { field: 'SOVI_TRENDS_SOURCE' },
      message: expect.stringMatching(/^SOVI_TRENDS_SOURCE: expected reddit or a plug-in module; cannot load/),
    });
    await expect(
      loadTrendSource(echoSettings(), context, { spec: 'tiktok', field: '--source' }),
    ).rejects.toMatchObject({
      code: 'config',
      message: expect.stringMatching(/^--source: expected reddit or a plug-in/),
    });
    const empty = await tempModule('empty.mjs', 'export const x = 1;');
    await expect(loadTrendSource(echoSettings({ sourceSpec: empty }), context)).rejects.toThrow(
      /exports no createTrendSource\(options, context\) function/,
    );
    const nameless = await tempModule(
      'nameless.mjs',
      'export function createTrendSource() { return { name: "Has Spaces", targets: () => [], fetch: async () => [] }; }',
    );
    await expect(loadTrendSource(echoSettings({ sourceSpec: nameless }), context)).rejects.toThrow(
      /did not return a source with a snake_case name, targets\(\) and fetch\(\)/,
    );
  });

  it('builds the Reddit reader from the settings, with the source options on top', async () => {
    const server = await startFixtureServer();
    try {
      const settings: TrendsSettings = {
        ...defaultTrendsSettings,
        redditBaseUrl: server.url,
        subreddits: { motivation: ['GetMotivated'] },
        sourceOptions: { limit: 10 },
      };
      const source = await loadTrendSource(settings, context);
      expect(source.name).toBe('reddit');
      expect(source.targets(['motivation', 'personal_finance'])).toEqual([
        { niche: 'motivation', group: 'r/GetMotivated' },
      ]);
      expect(
        await source.fetch({ niche: 'motivation', group: 'r/GetMotivated' }, AbortSignal.timeout(5_000)),
      ).toHaveLength(3);
      expect(server.requests()[0]!.query.get('limit')).toBe('10');
      await expect(
        loadTrendSource({ ...settings, sourceOptions: { limit: 500 } }, context),
      ).rejects.toMatchObject({
        code: 'config',
        message: expect.stringMatching(/^SOVI_TRENDS_SOURCE_OPTIONS: limit:/),
      });
    } finally {
      await server.close();
    }
  });
});
