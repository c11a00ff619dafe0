// @no-database
// Visuals that match the words: one clip per beat by keywords, from the media library's keywords.json, then
// Pexels' video search (a local server answering in the documented shape, its video files made by ffmpeg),
// then the generated scenes; each clip trimmed to its beat and scaled to cover 9:16 without distortion; the
// source, id and licence kept. No test contacts an outside host.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beatSpans, builtinMedia } from '../../src/content/builtin-media.ts';
import { loadConfig } from '../../src/config.ts';
import { probeVideo } from '../../src/media/probe.ts';
import { libraryVisuals, pexelsVisuals } from '../../src/media/visual-sources.ts';
import { runTool } from '../../src/media/run-tool.ts';
import { findMediaTools, type MediaTools } from '../../src/media/tools.ts';
import { composeBeats, type Background } from '../../src/media/visuals.ts';
import type { GeneratedAssets, MediaNotice } from '../../src/plugins/media-stages.ts';
import { canary, findCanaries } from '../helpers/canary.ts';
import { RENDER_TEST_TIMEOUT } from '../helpers/content.ts';
import { quietLogger } from '../helpers/database.ts';
import { RECORDED_SEARCH, startPexelsServer, type PexelsServer } from '../fakes/pexels-server.ts';
import { isLoopback, onlyLocalFetch } from '../helpers/local-fetch.ts';
import { greyFrame, makeClip, moneyScript, tempDir } from './fixtures/media.ts';

const beats = [
  { onScreenText: 'Pay yourself first', narration: 'Move ten percent the day you are paid.' },
  { onScreenText: 'Automate it', narration: 'Let the bank do it, so you never decide.' },
  { onScreenText: 'Ten percent', narration: 'Ten percent is enough to start.' },
  { onScreenText: 'Stars', narration: 'Look up at the stars tonight.' },
];
const script = moneyScript(beats, []);
const never = new AbortController().signal;
const key = canary('pexels-key');
let tools: MediaTools;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let pexels: PexelsServer;
let library: string;
let removeGuard: () => void;

beforeAll(async () => {
  removeGuard = onlyLocalFetch();
  tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
  scratch = await tempDir('sovi-visuals-');
  pexels = await startPexelsServer(tools, path.join(scratch.dir, 'pexels'), key);
  library = path.join(scratch.dir, 'library');
  await fs.mkdir(library);
  await makeClip(tools, path.join(library, 'payday.mp4'), {
    picture: 'teal',
    width: 640,
    height: 360,
    sound: 'none',
  });
  await makeClip(tools, path.join(library, 'unrelated.mp4'), { picture: 'red', sound: 'none' });
  await fs.writeFile(
    path.join(library, 'keywords.json'),
    JSON.stringify({
      clips: [
        { file: 'payday.mp4', keywords: ['paid', 'percent', 'salary'], licence: 'own footage' },
        { file: 'unrelated.mp4', keywords: ['volcano'], licence: 'own footage' },
      ],
    }),
  );
}, RENDER_TEST_TIMEOUT);
afterAll(async () => {
  removeGuard();
  await pexels.close();
  await scratch.remove();
});

/** The colour (r, g, b) of the middle of a frame at `seconds`. */
async function colourAt(file: string, seconds: number): Promise<number[]> {
  const out = path.join(scratch.dir, `px-${Math.random().toString(36).slice(2)}.rgb`);
  await runTool(tools.ffmpeg, [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-ss', seconds.toFixed(3), '-i', file],
    ...['-frames:v', '1', '-vf', 'crop=64:64,scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', out],
  ]);
  return [...(await fs.readFile(out))];
}

const near = (actual: number[], expected: number[]) =>
  actual.every((v, i) => Math.abs(v - expected[i]!) < 24);

function media(home: string) {
  const config = loadConfig({
    SOVI_HOME: home,
    SOVI_MEDIA_LIBRARY: library,
    SOVI_PEXELS_URL: pexels.url,
    SOVI_PEXELS_API_KEY: key,
  });
  // The source's base URL in these tests is the local fake, never Pexels itself.
  expect(isLoopback(config.content.pexels.url)).toBe(true);
  return builtinMedia(config.content, quietLogger, {
    media: { '*': { visuals: ['library', 'pexels', 'generated'] } },
  });
}

/** What the picking test generated, for the render and checks after it. */
let picked: { assets: GeneratedAssets; dir: string } | null = null;

describe('visuals per beat', () => {
  it('spans the voice-over with one stretch per beat, keyed by its words', () => {
    const spans = beatSpans(script, 20);
    expect(spans).toHaveLength(4);
    expect(spans[0]!.start).toBe(0);
    expect(spans.at(-1)!.end).toBe(20);
    expect(spans[1]!.keywords).toEqual(['automate', 'bank', 'decide']);
    for (const [i, s] of spans.entries()) if (i > 0) expect(s.start).toBe(spans[i - 1]!.end);
  });

  it(
    'picks the library first, then Pexels, then the generated scene, never a clip twice, each covering 9:16',
    async () => {
      const notices: MediaNotice[] = [];
      const dir = path.join(scratch.dir, 'c1');
      const assets = await media(path.join(scratch.dir, 'home1')).generate({
        contentId: 'visuals-1',
        script,
        format: 'faceless',
        dir,
        wordsPerMinute: 165,
        signal: never,
        notify: async (n) => {
          notices.push(n);
        },
      });
      expect(notices).toEqual([]);
      picked = { assets, dir };
      const background = assets.background as Background;
      expect(background.kind).toBe('beats');
      expect(background.visuals!.map((v) => [v.source, v.id])).toEqual([
        ['library', 'payday.mp4'],
        ['pexels', '3571264'],
        // The library's percent clip is taken: Pexels' percent video (landscape) instead.
        ['pexels', '2792370'],
        [null, null],
      ]);
      expect(background.visuals![1]).toMatchObject({
        licence: 'Pexels License (video by Anna Tarazevich)',
        url: 'https://www.pexels.com/video/bank-3571264/',
      });
      expect(pexels.searches[0]).toEqual({
        query: 'automate bank decide',
        orientation: 'portrait',
        perPage: 15,
        auth: key,
      });
      expect(pexels.downloads.sort()).toEqual(['2792370', '3571264']);

      const probed = await probeVideo(tools, background.file);
      expect(probed).toMatchObject({ width: 1080, height: 1920 });
      expect(Math.abs(probed.durationSeconds - assets.voice.durationSeconds)).toBeLessThan(0.1);
      // Each beat shows its own picture: teal (library), navy and olive (Pexels), then a generated scene.
      const mid = (i: number) => (background.visuals![i]!.start + background.visuals![i]!.end) / 2;
      expect(near(await colourAt(background.file, mid(0)), [0, 128, 128])).toBe(true);
      expect(near(await colourAt(background.file, mid(1)), [0, 0, 128])).toBe(true);
      expect(near(await colourAt(background.file, mid(2)), [128, 128, 0])).toBe(true);
      const scene = await colourAt(background.file, mid(3));
      expect(
        [
          [0, 128, 128],
          [0, 0, 128],
          [128, 128, 0],
          [255, 0, 0],
        ].some((c) => near(scene, c)),
      ).toBe(false);
    },
    RENDER_TEST_TIMEOUT,
  );

  it(
    'are checked on the rendered video: no clip twice, every clip with its source and licence',
    async () => {
      expect(picked).not.toBeNull();
      const { assets, dir } = picked!;
      const stages = media(path.join(scratch.dir, 'home1'));
      const video = await stages.assemble({
        contentId: 'visuals-1',
        script,
        assets,
        outFile: path.join(dir, 'video.mp4'),
        signal: never,
      });
      const checkWith = async (a: GeneratedAssets) =>
        Object.fromEntries(
          (
            await stages.check({
              file: video.outputPath,
              script,
              assets: a,
              captions: video.captions,
              details: video.details,
              minSeconds: 1,
              maxSeconds: 90,
              blackFrameMaxSeconds: 1.5,
              signal: never,
            })
          ).checks.map((c) => [c.name, c] as const),
        );
      // Each beat's clip starts with the caption of the beat's first word: both where the voice says it.
      const starts = video.captions.map((c) => c.start);
      for (const v of (assets.background as Background).visuals!.slice(1)) expect(starts).toContain(v.start);
      const checks = await checkWith(assets);
      expect(checks.duplicate_clips).toMatchObject({ value: 0, passed: true });
      expect(checks.visual_sources).toMatchObject({
        value: 'library:payday.mp4, pexels:3571264, pexels:2792370, generated',
        passed: true,
      });
      // The same rendered video, its manifest saying a clip was shown twice and one had no licence: both fail.
      const visuals = (assets.background as Background).visuals!;
      const repeated: Background = {
        ...(assets.background as Background),
        visuals: [visuals[0]!, { ...visuals[1]!, licence: ' ' }, { ...visuals[0]! }, visuals[3]!],
      };
      const broken = await checkWith({ ...assets, background: repeated });
      expect(broken.duplicate_clips).toMatchObject({ value: 1, passed: false });
      expect(broken.visual_sources).toMatchObject({ passed: false });
    },
    RENDER_TEST_TIMEOUT * 2,
  );

  it(
    'show a library image for its beat, covering 9:16 without stretching it',
    async () => {
      // A landscape PNG: a white square on dark grey. Covered to 1080×1920, the square must stay square.
      const images = path.join(scratch.dir, 'images');
      await fs.mkdir(images);
      await runTool(tools.ffmpeg, [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi'],
        ...['-i', 'color=c=0x202020:s=640x360:d=1', '-frames:v', '1'],
        ...['-vf', 'drawbox=x=250:y=110:w=140:h=140:color=white:t=fill', path.join(images, 'square.png')],
      ]);
      await fs.writeFile(
        path.join(images, 'keywords.json'),
        JSON.stringify({ clips: [{ file: 'square.png', keywords: ['square'], licence: 'own image' }] }),
      );
      const pick = await libraryVisuals(images).pick({
        keywords: ['a', 'square'],
        seconds: 1.5,
        exclude: new Set(),
        dir: images,
        signal: never,
      });
      expect(pick).toMatchObject({ source: 'library', id: 'square.png', licence: 'own image' });
      const generated = await makeClip(tools, path.join(images, 'generated.mp4'), { sound: 'none' });
      const background = await composeBeats(tools, {
        beats: [{ start: 0, end: 1.5, keywords: ['square'], ...pick!, url: pick!.url ?? null }],
        generated: {
          file: generated,
          kind: 'gradient',
          durationSeconds: 2,
          width: 270,
          height: 480,
          scenes: 1,
        },
        outFile: path.join(images, 'background.mp4'),
        signal: never,
      });
      expect(await probeVideo(tools, background.file)).toMatchObject({ width: 1080, height: 1920 });
      // At 108×192, the white square's width along the middle row against its height along the middle column.
      const size = { width: 108, height: 192 };
      const grey = await greyFrame(tools, background.file, 0.75, size);
      const row = [...grey.subarray(96 * 108, 97 * 108)].filter((v) => v > 128).length;
      const column = Array.from({ length: 192 }, (_, y) => grey[y * 108 + 54]!).filter((v) => v > 128).length;
      expect(row).toBeGreaterThan(50);
      expect(row / column).toBeGreaterThan(0.95);
      expect(row / column).toBeLessThan(1.05);
    },
    RENDER_TEST_TIMEOUT,
  );

  it('never reach an outside host: the guard refuses Pexels’ own base URL', async () => {
    await expect(
      pexelsVisuals({ url: 'https://api.pexels.com', apiKey: key }).pick({
        keywords: ['money'],
        seconds: 2,
        exclude: new Set(),
        dir: path.join(scratch.dir, 'outside'),
        signal: never,
      }),
    ).rejects.toThrow('a test tried to reach api.pexels.com: tests talk only to local fakes');
  });

  it(
    'read a recorded Pexels answer in the documented shape: the MP4 nearest 1080 px wide, credited',
    async () => {
      pexels.mode = 'recorded';
      try {
        const recorded = JSON.parse(await fs.readFile(RECORDED_SEARCH, 'utf8')) as {
          videos: { id: number; url: string; user: { name: string } }[];
        };
        const pick = await pexelsVisuals({ url: pexels.url, apiKey: key }).pick({
          keywords: ['nature', 'forest'],
          seconds: 2,
          exclude: new Set(),
          dir: path.join(scratch.dir, 'recorded'),
          signal: never,
        });
        const video = recorded.videos[0]!;
        expect(pick).toMatchObject({
          source: 'pexels',
          id: String(video.id),
          licence: `Pexels License (video by ${video.user.name})`,
          url: video.url,
        });
        // Of the recording's files (640, 1366, 2048 and 4096 px wide, and an HLS playlist): the 1366×720 MP4.
        expect(pexels.downloads.filter((d) => d.startsWith('recorded:'))).toEqual(['recorded:58652']);
        expect(await probeVideo(tools, pick!.file)).toMatchObject({ width: 1366, height: 720 });
      } finally {
        pexels.mode = 'ok';
      }
    },
    RENDER_TEST_TIMEOUT,
  );

  it(
    'falls back past a failing Pexels with an event that does not carry the key',
    async () => {
      pexels.mode = 'down';
      try {
        const notices: MediaNotice[] = [];
        const assets = await media(path.join(scratch.dir, 'home2')).generate({
          contentId: 'visuals-2',
          script,
          format: 'faceless',
          dir: path.join(scratch.dir, 'c2'),
          wordsPerMinute: 165,
          signal: never,
          notify: async (n) => {
            notices.push(n);
          },
        });
        const visuals = (assets.background as Background).visuals!;
        expect(visuals.map((v) => v.source)).toEqual(['library', null, null, null]);
        expect(notices).toEqual([
          {
            eventType: 'visual_source_failed',
            message: 'the pexels visual source failed (the Pexels search answered HTTP 500)',
            context: { source: 'pexels' },
          },
        ]);
        expect(findCanaries(JSON.stringify(notices))).toEqual([]);
      } finally {
        pexels.mode = 'ok';
      }
    },
    RENDER_TEST_TIMEOUT,
  );
});
