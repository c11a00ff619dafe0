// The media stages with voice, music, loudness, speech-timed captions and per-beat visuals, against today's
// pipeline (espeak-ng voice, generated background, letter-timed captions, one render) and against ffmpeg alone
// doing the same final encode, interleaved in one run. Also writes one frame (PNG) of three niches' videos,
// each in its own caption style. Run on its own (it is not part of `npm run bench`):
//
//   node bench/media-stages.ts [runs=3] [frames folder=test-artifacts/media-frames]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { builtinMedia } from '../src/content/builtin-media.ts';
import type { Script } from '../src/content/content-model.ts';
import { loadConfig } from '../src/config.ts';
import { captionsToAss, timeCaptions } from '../src/media/captions.ts';
import type { NicheMediaOverrides } from '../src/media/media-policy.ts';
import { renderVideo } from '../src/media/render.ts';
import { runTool } from '../src/media/run-tool.ts';
import { findMediaTools } from '../src/media/tools.ts';
import { makeBackground } from '../src/media/visuals.ts';
import { synthesizeVoice } from '../src/media/voice.ts';
import { makeMusicLibrary } from '../test/media/fixtures/music.ts';
import { logger, median, timeIt } from './harness.ts';
// The baseline: the same encode as renderVideo's, written out by hand.
import { handWritten } from './render.ts';

const runs = Number(process.argv[2] ?? 3);
const framesDir = path.resolve(process.argv[3] ?? 'test-artifacts/media-frames');

const beats = [
  {
    onScreenText: 'Pay yourself first',
    narration: 'The day your pay arrives, move ten percent into an account you never touch.',
  },
  {
    onScreenText: 'Automate it',
    narration: 'Let the bank do it automatically, so you never have to decide.',
  },
  {
    onScreenText: 'Let it grow',
    narration: 'You will not miss money you never saw, and compound interest does the rest.',
  },
];
const script: Script = {
  title: 'Pay yourself first',
  hook: 'Most people save whatever is left at the end of the month.',
  beats,
  cta: 'Follow for more.',
  narration: '',
  hashtags: ['money'],
  writer: 'bench',
};
script.narration = [script.hook, ...beats.map((b) => b.narration), script.cta].join(' ');

/** Three niches' caption styles, for the frames. */
const NICHES: Record<string, NicheMediaOverrides> = {
  personal_finance: { captions: { position: 'middle' }, music: { mood: 'calm' } },
  fitness: {
    captions: { position: 'bottom', colour: '#FFFFFF', highlight: '#FFD400', size: 0.055, wordsPerLine: 3 },
    music: { mood: 'upbeat' },
  },
  cooking: {
    captions: {
      position: 'top',
      font: 'DejaVu Serif',
      colour: '#FFF3D6',
      outlineColour: '#5A2D0C',
      outline: 0.005,
    },
    music: { mood: 'calm' },
  },
};

const never = new AbortController().signal;
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-bench-media-'));
try {
  const config = loadConfig({ SOVI_HOME: dir, SOVI_MUSIC_LIBRARY: path.join(dir, 'music') });
  const tools = await findMediaTools(config.content.tools, logger);
  await makeMusicLibrary(tools, path.join(dir, 'music'));
  const media = builtinMedia(config.content, logger, { media: NICHES });

  let n = 0;
  const today = async () => {
    const d = path.join(dir, `today-${++n}`);
    const voice = await synthesizeVoice(tools, script.narration, path.join(d, 'voice.wav'), {
      wordsPerMinute: 165,
    });
    const background = await makeBackground(tools, {
      durationSeconds: voice.durationSeconds,
      outFile: path.join(d, 'background.mp4'),
      seed: 'bench',
    });
    const captions = timeCaptions(script.narration, voice.durationSeconds);
    await renderVideo(tools, { background, voice, captions, outFile: path.join(d, 'video.mp4') });
  };
  const withStages = async (niche = 'personal_finance', out?: string) => {
    const d = path.join(dir, `stages-${++n}`);
    const assets = await media.generate({
      contentId: 'bench',
      script,
      nicheSlug: niche,
      format: 'faceless',
      dir: d,
      wordsPerMinute: 165,
      signal: never,
    });
    const video = await media.assemble({
      contentId: 'bench',
      script,
      nicheSlug: niche,
      assets,
      outFile: out ?? path.join(d, 'video.mp4'),
      signal: never,
    });
    return { assets, video, dir: d };
  };

  // The baseline's inputs: one voice, background and .ass, encoded by one hand-written ffmpeg command.
  const base = path.join(dir, 'baseline');
  const voice = await synthesizeVoice(tools, script.narration, path.join(base, 'voice.wav'), {
    wordsPerMinute: 165,
  });
  await makeBackground(tools, {
    durationSeconds: voice.durationSeconds,
    outFile: path.join(base, 'background.mp4'),
    seed: 'bench',
  });
  await fs.writeFile(
    path.join(base, 'captions.ass'),
    captionsToAss(timeCaptions(script.narration, voice.durationSeconds), { width: 1080, height: 1920 }),
  );
  const ffmpeg = () => handWritten(tools, base, voice.durationSeconds);

  // Warm-up, then interleaved runs (none with runs = 0: only the frames).
  const first = await withStages();
  if (runs > 0) {
    await today();
    await ffmpeg();
  }
  const times = {
    ffmpeg: [] as number[],
    today: [] as number[],
    stages: [] as number[],
    check: [] as number[],
  };
  for (let i = 0; i < runs; i++) {
    times.ffmpeg.push(await timeIt(ffmpeg));
    times.today.push(await timeIt(today));
    times.stages.push(await timeIt(() => withStages()));
    times.check.push(
      await timeIt(() =>
        media.check({
          file: first.video.outputPath,
          script,
          nicheSlug: 'personal_finance',
          assets: first.assets,
          captions: first.video.captions,
          details: first.video.details,
          minSeconds: 1,
          maxSeconds: 90,
          blackFrameMaxSeconds: 1.5,
          signal: never,
        }),
      ),
    );
  }
  const quality = await media.check({
    file: first.video.outputPath,
    script,
    nicheSlug: 'personal_finance',
    assets: first.assets,
    captions: first.video.captions,
    details: first.video.details,
    minSeconds: 1,
    maxSeconds: 90,
    blackFrameMaxSeconds: 1.5,
    signal: never,
  });

  // One frame of each niche's video, mid-caption.
  await fs.mkdir(framesDir, { recursive: true });
  const frames: string[] = [];
  for (const niche of Object.keys(NICHES)) {
    const { video } = await withStages(niche);
    const caption = video.captions[Math.min(3, video.captions.length - 1)]!;
    const png = path.join(framesDir, `${niche}.png`);
    await runTool(tools.ffmpeg, [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
      ...['-ss', ((caption.start + caption.end) / 2).toFixed(3), '-i', video.outputPath],
      ...['-frames:v', '1', '-vf', 'scale=540:960', png],
    ]);
    frames.push(png);
  }

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const [f, t, m, c] = [median(times.ffmpeg), median(times.today), median(times.stages), median(times.check)];
  const seconds = voice.durationSeconds;
  console.log(
    `Media stages, a ${seconds.toFixed(1)} s video, median of ${runs} interleaved runs (${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}):`,
  );
  if (runs > 0) console.log(`| what | time | vs ffmpeg alone | vs today's pipeline |`);
  if (runs > 0) console.log(`| --- | --- | --- | --- |`);
  if (runs > 0) console.log(`| ffmpeg alone (the same final encode) | ${s(f)} | 1.00× | |`);
  console.log(
    `| today's pipeline (voice, scenes, letter-timed captions, render) | ${s(t)} | ${(t / f).toFixed(2)}× | 1.00× |`,
  );
  console.log(
    `| with the new stages (+ music, loudness 2 passes, speech timing) | ${s(m)} | ${(m / f).toFixed(2)}× | ${(m / t).toFixed(2)}× |`,
  );
  if (runs > 0) console.log(`| quality checks (with loudness) | ${s(c)} | | |`);
  console.log('checks:');
  for (const q of quality.checks)
    console.log(`  ${q.passed ? 'ok  ' : 'FAIL'} ${q.name}: ${String(q.value)} (expected ${q.expected})`);
  console.log(`frames: ${frames.join(', ')}`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
