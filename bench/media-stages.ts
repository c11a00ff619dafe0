// The media stages with voice, music, loudness, speech-timed captions and per-beat visuals, against today's
// pipeline (espeak-ng voice, generated background, letter-timed captions, one render) and against ffmpeg alone
// doing the same final encode (the new stages' own background, .ass and prepared mix, with the loudness
// normalisation's second pass as its audio filter), interleaved in one run. Lists the quality checks of a
// video voiced by espeak-ng and of one voiced by the OpenAI-compatible voice (the local speech fake), and
// writes one frame (PNG) of three niches' videos, each in its own caption style. Run on its own (it is not part
// of `npm run bench`):
//
//   node bench/media-stages.ts [runs=3] [frames folder=test-artifacts/media-frames]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { builtinMedia } from '../src/content/builtin-media.ts';
import type { Script } from '../src/content/content-model.ts';
import { loadConfig } from '../src/config.ts';
import { timeCaptions } from '../src/media/captions.ts';
import { applyFilter, prepareLoudness, type LoudnessTarget } from '../src/media/loudness.ts';
import type { NicheMediaOverrides } from '../src/media/media-policy.ts';
import { renderVideo } from '../src/media/render.ts';
import { runTool } from '../src/media/run-tool.ts';
import { findMediaTools } from '../src/media/tools.ts';
import { makeBackground } from '../src/media/visuals.ts';
import { synthesizeVoice } from '../src/media/voice.ts';
import type { MediaStages } from '../src/plugins/media-stages.ts';
import { startSpeechServer } from '../test/fakes/speech-server.ts';
import { makeMusicLibrary } from '../test/media/fixtures/music.ts';
import { logger, median, timeIt } from './harness.ts';
// The baseline: the same encode as renderVideo's, written out by hand, given the same sound and filter.
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
  const withStages = async (niche = 'personal_finance', stages: MediaStages = media) => {
    const d = path.join(dir, `stages-${++n}`);
    const assets = await stages.generate({
      contentId: 'bench',
      script,
      nicheSlug: niche,
      format: 'faceless',
      dir: d,
      wordsPerMinute: 165,
      signal: never,
    });
    const video = await stages.assemble({
      contentId: 'bench',
      script,
      nicheSlug: niche,
      assets,
      outFile: path.join(d, 'video.mp4'),
      signal: never,
    });
    return { assets, video, dir: d };
  };
  const check = (stages: MediaStages, done: Awaited<ReturnType<typeof withStages>>) =>
    stages.check({
      file: done.video.outputPath,
      script,
      nicheSlug: 'personal_finance',
      assets: done.assets,
      captions: done.video.captions,
      details: done.video.details,
      minSeconds: 1,
      maxSeconds: 90,
      blackFrameMaxSeconds: 1.5,
      signal: never,
    });

  // Warm-up (and the inputs of the baseline), then interleaved runs (none with runs = 0: only the frames).
  const first = await withStages();
  // ffmpeg alone: the final encode of the first video's own inputs (its background, its .ass and its mix as
  // prepared for the loudness normalisation), with the normalisation's second pass as the audio filter.
  const target = (first.video.details as { loudness: { target: LoudnessTarget } }).loudness.target;
  const sound = await prepareLoudness(tools, path.join(first.dir, 'mix.wav'), target);
  const baseline = { file: path.basename(sound.file), filter: applyFilter(target, sound.measured) };
  const seconds = first.assets.voice.durationSeconds;
  const ffmpeg = () => handWritten(tools, first.dir, seconds, baseline);
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
    times.check.push(await timeIt(() => check(media, first)));
  }
  const quality = await check(media, first);

  // The same video voiced by the OpenAI-compatible voice, against the local speech fake (real espeak-ng audio
  // encoded as MP3), for its checks.
  const speech = await startSpeechServer(tools, 'bench-key');
  let openaiQuality: Awaited<ReturnType<typeof check>>;
  try {
    const openai = builtinMedia(
      loadConfig({
        SOVI_HOME: dir,
        SOVI_MUSIC_LIBRARY: path.join(dir, 'music'),
        SOVI_TTS_URL: speech.url,
        SOVI_TTS_API_KEY: 'bench-key',
      }).content,
      logger,
      {
        media: {
          personal_finance: {
            ...NICHES.personal_finance,
            voices: { en: [{ engine: 'openai', voice: 'alloy', model: 'kokoro', format: 'mp3' }] },
          },
        },
      },
    );
    openaiQuality = await check(openai, await withStages('personal_finance', openai));
  } finally {
    await speech.close();
  }

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
  console.log(
    `Media stages, a ${seconds.toFixed(1)} s video, median of ${runs} interleaved runs ` +
      `(${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}):`,
  );
  // No runs, no times: only the checks and the frames.
  if (runs > 0) {
    console.log(`| what | time | vs ffmpeg alone | vs today's pipeline |`);
    console.log(`| --- | --- | --- | --- |`);
    console.log(`| ffmpeg alone (the same final encode, loudness filter included) | ${s(f)} | 1.00× | |`);
    console.log(
      `| today's pipeline (voice, scenes, letter-timed captions, render) | ${s(t)} | ${(t / f).toFixed(2)}× | 1.00× |`,
    );
    console.log(
      `| with the new stages (+ music, loudness 2 passes, speech timing) | ${s(m)} | ${(m / f).toFixed(2)}× | ${(m / t).toFixed(2)}× |`,
    );
    console.log(`| quality checks (with loudness) | ${s(c)} | | |`);
  }
  for (const [voice, report] of [
    ['espeak', quality],
    ['openai (local fake)', openaiQuality],
  ] as const) {
    console.log(`checks, ${voice} voice (score ${report.score}):`);
    for (const q of report.checks)
      console.log(`  ${q.passed ? 'ok  ' : 'FAIL'} ${q.name}: ${String(q.value)} (expected ${q.expected})`);
  }
  console.log(`frames: ${frames.join(', ')}`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
