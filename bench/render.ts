// Media figures: the time to render one 1080×1920 video through renderVideo, and through the whole voice +
// background + render path, against ffmpeg alone doing the same encode of the same inputs (the same
// background, voice and .ass file) in one hand-written command. No database is involved.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { captionsToAss, timeCaptions } from '../src/media/captions.ts';
import { checkQuality } from '../src/media/quality.ts';
import { renderVideo } from '../src/media/render.ts';
import { findMediaTools, type MediaTools } from '../src/media/tools.ts';
import { makeBackground } from '../src/media/visuals.ts';
import { synthesizeVoice } from '../src/media/voice.ts';
import { logger, median, timeIt, type Section } from './harness.ts';

const execFileAsync = promisify(execFile);

const NARRATION =
  'Most people save whatever is left at the end of the month, and that is exactly why they never have ' +
  'anything left. Flip it. The day your pay arrives, move ten percent into an account you never touch, ' +
  'automatically. You will not miss money you never saw, and in ten years compound interest does the rest.';

export interface RenderBenchSettings {
  /** Measured runs of each kind, after one unmeasured warm-up of each. */
  runs: number;
}

export async function renderBench(settings: RenderBenchSettings = { runs: 3 }): Promise<Section> {
  const tools = await findMediaTools(loadConfig().content.tools, logger);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-bench-render-'));
  try {
    const voice = await synthesizeVoice(tools, NARRATION, path.join(dir, 'voice.wav'));
    const background = await makeBackground(tools, {
      durationSeconds: voice.durationSeconds,
      outFile: path.join(dir, 'background.mp4'),
      seed: 'bench',
    });
    const captions = timeCaptions(NARRATION, voice.durationSeconds);
    const ass = path.join(dir, 'captions.ass');
    await fs.writeFile(ass, captionsToAss(captions, { width: 1080, height: 1920 }));

    const sovi = () =>
      renderVideo(tools, { background, voice, captions, outFile: path.join(dir, 'sovi.mp4') });
    const ffmpeg = () => handWritten(tools, dir, voice.durationSeconds);
    const wholePath = async () => {
      const v = await synthesizeVoice(tools, NARRATION, path.join(dir, 'path-voice.wav'));
      const b = await makeBackground(tools, {
        durationSeconds: v.durationSeconds,
        outFile: path.join(dir, 'path-background.mp4'),
        seed: 'bench',
      });
      const c = timeCaptions(NARRATION, v.durationSeconds);
      await renderVideo(tools, { background: b, voice: v, captions: c, outFile: path.join(dir, 'path.mp4') });
    };

    await sovi();
    await ffmpeg();
    const runs = {
      sovi: [] as number[],
      ffmpeg: [] as number[],
      path: [] as number[],
      quality: [] as number[],
    };
    // Interleaved, so that whatever else the machine does weighs on both sides alike.
    for (let i = 0; i < settings.runs; i++) {
      runs.ffmpeg.push(await timeIt(ffmpeg));
      runs.sovi.push(await timeIt(sovi));
      runs.path.push(await timeIt(wholePath));
      runs.quality.push(
        await timeIt(() =>
          checkQuality(tools, path.join(dir, 'sovi.mp4'), {
            narration: NARRATION,
            captions,
            minDurationSeconds: 5,
            maxDurationSeconds: 90,
          }),
        ),
      );
    }
    const soviMs = median(runs.sovi);
    const ffmpegMs = median(runs.ffmpeg);
    const pathMs = median(runs.path);
    const qualityMs = median(runs.quality);
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const seconds = voice.durationSeconds;
    return {
      title: 'Media: rendering a 1080×1920 video',
      notes: [
        `A ${seconds.toFixed(1)} s video (${NARRATION.split(' ').length} words of narration, ${captions.length} captions, ` +
          `voice from espeak-ng via ${tools.sources.espeak ?? 'none: silent'}), median of ${settings.runs} interleaved runs ` +
          `after a warm-up. ffmpeg: ${tools.ffmpeg} (${tools.sources.ffmpeg}, ${tools.versions.ffmpeg.split(' ').slice(0, 3).join(' ')}).`,
        'The baseline is one hand-written ffmpeg command with the same inputs (the same background, voice and .ass ' +
          'file) and the same encode: libx264 veryfast CRF 21 High yuv420p, AAC 128k, +faststart. renderVideo adds ' +
          'writing the .ass file, the temporary name and rename, and an ffprobe of the result. The whole path adds ' +
          'espeak-ng, the generated background (libx264 ultrafast, stored at 540×960) and the caption timing.',
        `Speed: renderVideo makes ${(seconds / (soviMs / 1000)).toFixed(2)} s of video per second of wall time, ` +
          `the whole path ${(seconds / (pathMs / 1000)).toFixed(2)} s. checkQuality on the result (ffprobe, one ` +
          `blackdetect + volumedetect pass, the MP4 box order): ${s(qualityMs)}.`,
      ],
      rows: [
        {
          what: `renderVideo, ${seconds.toFixed(1)} s video`,
          sovi: s(soviMs),
          baseline: `${s(ffmpegMs)} (one ffmpeg command)`,
          ratio: `${(soviMs / ffmpegMs).toFixed(2)}× ffmpeg`,
        },
        {
          what: 'voice + background + render',
          sovi: s(pathMs),
          baseline: `${s(ffmpegMs)} (one ffmpeg command)`,
          ratio: `${(pathMs / ffmpegMs).toFixed(2)}× ffmpeg`,
        },
      ],
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The same encode, written out by hand and run straight through execFile, in the folder of the inputs
 * (background.mp4, captions.ass, and voice.wav unless `sound` names another file and the filter it gets).
 */
export async function handWritten(
  tools: MediaTools,
  dir: string,
  seconds: number,
  sound: { file: string; filter: string } | null = null,
): Promise<void> {
  const fonts = tools.fontsDir === null ? '' : `:fontsdir=${tools.fontsDir}`;
  const video =
    '[0:v:0]scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,setsar=1,fps=30,' +
    `subtitles=filename=captions.ass${fonts},format=yuv420p[v]`;
  await execFileAsync(
    tools.ffmpeg,
    [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
      ...['-stream_loop', '-1', '-i', 'background.mp4', '-i', sound?.file ?? 'voice.wav'],
      ...(sound
        ? ['-filter_complex', `${video};[1:a:0]${sound.filter}[a]`, '-map', '[v]', '-map', '[a]']
        : ['-filter_complex', video, '-map', '[v]', '-map', '1:a:0']),
      ...['-t', seconds.toFixed(3)],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '21', '-profile:v', 'high'],
      ...['-pix_fmt', 'yuv420p', '-g', '60'],
      ...['-c:a', 'aac', '-b:a', '128k', '-ar', '44100', '-ac', '2'],
      ...['-movflags', '+faststart', '-f', 'mp4', 'ffmpeg.mp4'],
    ],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
}
