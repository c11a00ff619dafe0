// @no-database
// A script becomes a real vertical video: voice-over, background, captions burned in, checked with ffprobe
// and the quality report; and the quality checks catch the videos that should not be posted.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import { timeCaptions } from '../../src/media/captions.ts';
import { probeVideo } from '../../src/media/probe.ts';
import { checkQuality, type QualityReport } from '../../src/media/quality.ts';
import { renderVideo } from '../../src/media/render.ts';
import { runTool } from '../../src/media/run-tool.ts';
import { bundledEspeak, findMediaTools, type MediaTools } from '../../src/media/tools.ts';
import { makeBackground } from '../../src/media/visuals.ts';
import { synthesizeVoice } from '../../src/media/voice.ts';
import { greyFrame, makeClip, tempDir } from './fixtures/media.ts';
import { RENDER_TEST_TIMEOUT } from '../helpers/content.ts';

const NARRATION =
  'Three money habits that quietly make you richer. First, pay yourself before anything else.';

let tools: MediaTools;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
/** A fresh folder per test, inside one removed at the end; its name needs escaping in a filter graph. */
const folder = async () => {
  const dir = path.join(scratch.dir, `content ${++n}, [it's]`);
  await fs.mkdir(dir);
  return dir;
};
const silentTools = () => ({ ...tools, espeak: null, espeakCommand: null });
const failed = (report: QualityReport) => report.checks.filter((c) => !c.passed).map((c) => c.name);

beforeAll(async () => {
  tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
  scratch = await tempDir();
});
afterAll(() => scratch.remove());

describe('rendering a video', () => {
  it(
    'makes a 1080×1920 H.264/AAC video as long as the voice-over, captions burned in, that passes every check',
    async () => {
      const dir = await folder();
      const voice = await synthesizeVoice(tools, NARRATION, path.join(dir, 'voice.wav'));
      expect(voice.kind).toBe('espeak');
      expect(voice.durationSeconds).toBeGreaterThan(3);
      expect(voice.durationSeconds).toBeLessThan(9);
      const background = await makeBackground(tools, {
        durationSeconds: voice.durationSeconds,
        outFile: path.join(dir, 'background.mp4'),
        seed: 'content-1',
      });
      // Generated scenes are stored at half the frame's size; the render scales them up.
      expect(background).toMatchObject({ kind: 'gradient', width: 540, height: 960 });
      const captions = timeCaptions(NARRATION, voice.durationSeconds);
      const result = await renderVideo(tools, {
        background,
        voice,
        captions: [{ start: 0, end: 1, text: '3 money habits', style: 'title' }, ...captions],
        outFile: path.join(dir, 'video.mp4'),
      });

      expect(result).toMatchObject({ file: path.join(dir, 'video.mp4'), width: 1080, height: 1920 });
      const probed = await probeVideo(tools, result.file);
      expect(probed).toMatchObject({
        width: 1080,
        height: 1920,
        videoCodec: 'h264',
        audioCodec: 'aac',
        pixFmt: 'yuv420p',
        fps: 30,
      });
      expect(Math.abs(probed.durationSeconds - voice.durationSeconds)).toBeLessThan(0.1);
      // Only the finished files are left: no partial video, no subtitle file.
      expect((await fs.readdir(dir)).sort()).toEqual(['background.mp4', 'video.mp4', 'voice.wav']);

      // The caption is there: white text and its black outline in the middle of the frame, where the
      // background alone is neither.
      const at = (captions[1]!.start + captions[1]!.end) / 2;
      const frame = await greyFrame(tools, result.file, at, { width: 108, height: 192 });
      const plain = await greyFrame(tools, background.file, at, { width: 108, height: 192 });
      const middle = (pixels: Buffer) => pixels.subarray(86 * 108, 106 * 108);
      expect(Math.max(...middle(frame))).toBeGreaterThan(220);
      expect(Math.min(...middle(frame))).toBeLessThan(40);
      expect(Math.max(...middle(plain))).toBeLessThan(220);
      expect(Math.min(...middle(plain))).toBeGreaterThan(40);

      const report = await checkQuality(tools, result.file, {
        narration: NARRATION,
        captions,
        minDurationSeconds: 2,
        maxDurationSeconds: 60,
      });
      expect(failed(report)).toEqual([]);
      expect(report).toMatchObject({ score: 1, passed: true });
    },
    RENDER_TEST_TIMEOUT,
  );

  it('stops promptly when aborted and leaves no file behind', async () => {
    const dir = await folder();
    const controller = new AbortController();
    const started = performance.now();
    const making = makeBackground(tools, {
      durationSeconds: 600,
      outFile: path.join(dir, 'background.mp4'),
      seed: 'long',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('content cancelled')), 300);
    await expect(making).rejects.toThrow('content cancelled');
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('the voice-over', () => {
  it('falls back to silence as long as the narration takes to read, and says so', async () => {
    const dir = await folder();
    const narration = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
    const voice = await synthesizeVoice(silentTools(), narration, path.join(dir, 'voice.wav'), {
      wordsPerMinute: 150,
    });
    expect(voice).toMatchObject({ kind: 'silent', durationSeconds: 8, wordsPerMinute: 150, voice: null });
    const args = ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', voice.file];
    const { stdout } = await runTool(tools.ffprobe, args);
    expect(Number(stdout)).toBeCloseTo(8, 2);
  });

  it('speaks with the bundled WebAssembly espeak-ng', async () => {
    const wasm = bundledEspeak();
    expect(wasm).not.toBeNull();
    const dir = await folder();
    const voice = await synthesizeVoice(
      { ...tools, espeak: wasm!.path, espeakCommand: wasm },
      NARRATION,
      path.join(dir, 'v.wav'),
    );
    expect(voice).toMatchObject({ kind: 'espeak', voice: 'en-us', wordsPerMinute: 160 });
    expect(voice.durationSeconds).toBeGreaterThan(3);
    expect(voice.durationSeconds).toBeLessThan(9);
  });

  it('speaks with the espeak-ng binary on PATH', async ({ skip }) => {
    if (tools.sources.espeak !== 'path') skip('no espeak-ng on PATH (apt-get install espeak-ng to test it)');
    const dir = await folder();
    const fast = await synthesizeVoice(tools, NARRATION, path.join(dir, 'fast.wav'), { wordsPerMinute: 240 });
    const slow = await synthesizeVoice(tools, NARRATION, path.join(dir, 'slow.wav'), { wordsPerMinute: 120 });
    expect(fast.kind).toBe('espeak');
    expect(slow.durationSeconds).toBeGreaterThan(1.5 * fast.durationSeconds);
  });

  it('refuses an empty narration and an unknown voice', async () => {
    const dir = await folder();
    await expect(synthesizeVoice(tools, ' 🎉 #', path.join(dir, 'v.wav'))).rejects.toMatchObject({
      code: 'invalid_input',
      details: { field: 'narration' },
    });
    await expect(
      synthesizeVoice(tools, NARRATION, path.join(dir, 'v.wav'), { voice: 'xx-nope' }),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'voice' } });
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('backgrounds', () => {
  it('generates the same scenes for the same seed and others for another', async () => {
    const dir = await folder();
    const make = (seed: string, name: string) =>
      makeBackground(tools, {
        durationSeconds: 1,
        outFile: path.join(dir, name),
        seed,
        width: 90,
        height: 160,
      });
    const [a, b, c] = await Promise.all([make('s1', 'a.mp4'), make('s1', 'b.mp4'), make('s2', 'c.mp4')]);
    const bytes = async (f: string) => (await fs.readFile(f)).toString('base64');
    expect(await bytes(a.file)).toBe(await bytes(b.file));
    expect(await bytes(c.file)).not.toBe(await bytes(a.file));
  });

  it('generates hours of scenes with a filter as short as for seconds', async () => {
    const dir = await folder();
    const background = await makeBackground(tools, {
      durationSeconds: 900,
      outFile: path.join(dir, 'long.mp4'),
      seed: 'long',
      width: 32,
      height: 64,
      fps: 2,
    });
    expect(background.scenes).toBeGreaterThan(150);
    expect((await probeVideo(tools, background.file)).durationSeconds).toBeCloseTo(900, 0);
  });

  it('cuts clips from the media library, picked by the seed, to the frame and the duration', async () => {
    const library = await folder();
    await makeClip(tools, path.join(library, 'a.mp4'), {
      picture: 'testsrc',
      width: 320,
      height: 240,
      sound: 'none',
    });
    await makeClip(tools, path.join(library, 'b.mp4'), {
      picture: 'navy',
      width: 200,
      height: 400,
      seconds: 1,
    });
    await fs.writeFile(path.join(library, 'notes.txt'), 'not a clip');
    const out = await folder();
    const make = (name: string) =>
      makeBackground(tools, {
        durationSeconds: 8,
        outFile: path.join(out, name),
        seed: 'clip-seed',
        library,
        width: 180,
        height: 320,
      });
    const background = await make('bg.mp4');
    expect(background).toMatchObject({ kind: 'clip', scenes: 2 });
    expect(background.sources?.map((s) => path.basename(s)).sort()).toEqual(['a.mp4', 'b.mp4']);
    expect((await make('again.mp4')).sources).toEqual(background.sources);
    const probed = await probeVideo(tools, background.file);
    expect(probed).toMatchObject({ width: 180, height: 320, videoCodec: 'h264', audioCodec: null });
    expect(probed.durationSeconds).toBeCloseTo(8, 1);
  });
});

describe('quality checks', () => {
  const input = {
    narration: 'a short test',
    captions: timeCaptions('a short test', 3),
    minDurationSeconds: 1,
    maxDurationSeconds: 60,
  };

  it('fail a black video on its black frames only', async () => {
    const dir = await folder();
    const file = await makeClip(tools, path.join(dir, 'black.mp4'), { picture: 'black', seconds: 3 });
    const report = await checkQuality(tools, file, { ...input, width: 270, height: 480 });
    expect(failed(report)).toEqual(['black_frames']);
    expect(report.checks.find((c) => c.name === 'black_frames')!.value).toBeGreaterThan(2.9);
    expect(report.score).toBeCloseTo(0.85, 5);
    expect(report.passed).toBe(false);
  });

  it('fail a video of the wrong size on its resolution', async () => {
    const dir = await folder();
    const voice = await synthesizeVoice(silentTools(), 'a short test', path.join(dir, 'voice.wav'));
    const background = await makeBackground(tools, {
      durationSeconds: 1,
      outFile: path.join(dir, 'bg.mp4'),
      seed: 'x',
      width: 360,
      height: 640,
    });
    const video = await renderVideo(tools, {
      background,
      voice,
      captions: input.captions,
      outFile: path.join(dir, 'video.mp4'),
      width: 720,
      height: 1280,
    });
    expect(video).toMatchObject({ width: 720, height: 1280 });
    const report = await checkQuality(tools, video.file, { ...input, silentVoice: true });
    expect(failed(report)).toEqual(['resolution']);
    expect(report.checks.find((c) => c.name === 'resolution')!.value).toBe('720x1280');
    // Without saying the voice was silent, the silent sound track is a fault too.
    expect(failed(await checkQuality(tools, video.file, input))).toEqual(['resolution', 'audio_level']);
  });

  it('fail a video without sound, too long, or whose captions miss the narration', async () => {
    const dir = await folder();
    const file = await makeClip(tools, path.join(dir, 'mute.mp4'), { sound: 'none', seconds: 2 });
    const report = await checkQuality(tools, file, {
      ...input,
      width: 270,
      height: 480,
      maxDurationSeconds: 1.5,
      captions: [],
    });
    expect(failed(report)).toEqual(['duration', 'audio_stream', 'audio_level', 'caption_coverage']);
    expect(report.score).toBeCloseTo(0.5, 5);
  });

  it('refuses a file that is not a video', async () => {
    const dir = await folder();
    await fs.writeFile(path.join(dir, 'x.mp4'), 'not a video');
    await expect(checkQuality(tools, path.join(dir, 'x.mp4'), input)).rejects.toBeInstanceOf(SoviError);
  });
});
