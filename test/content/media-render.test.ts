// @no-database
// Videos people watch: rendered with each voice (espeak-ng, and an OpenAI-compatible endpoint faked locally
// with real audio), music from a library ducked under the voice, the sound normalised to −14 LUFS, captions
// timed from the voice in the niche's style; the quality checks carry the measured values.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinMedia } from '../../src/content/builtin-media.ts';
import { postCaption } from '../../src/content/post-text.ts';
import { loadConfig } from '../../src/config.ts';
import { measureLoudness } from '../../src/media/loudness.ts';
import { timeCaptions, type Caption } from '../../src/media/captions.ts';
import type { VoiceChoice } from '../../src/media/media-policy.ts';
import { pickTrack, readMusicLibrary } from '../../src/media/music.ts';
import { probeDuration } from '../../src/media/probe.ts';
import { runTool } from '../../src/media/run-tool.ts';
import { speakable } from '../../src/media/voice.ts';
import { findMediaTools, type MediaTools } from '../../src/media/tools.ts';
import { canary } from '../helpers/canary.ts';
import { RENDER_TEST_TIMEOUT } from '../helpers/content.ts';
import { quietLogger } from '../helpers/database.ts';
import { startSpeechServer, type SpeechServer } from '../fakes/speech-server.ts';
import { captionError, espeakLibrary, speakWithWordTimes, type EspeakWord } from '../helpers/espeak-words.ts';
import { moneyScript, tempDir } from '../media/fixtures/media.ts';
import { makeMusicLibrary } from '../media/fixtures/music.ts';

const beats = [
  { onScreenText: 'Pay yourself first', narration: 'Move ten percent the day you are paid.' },
  { onScreenText: 'Automate it', narration: 'Let the bank do it, so you never decide.' },
];
const script = moneyScript(beats, ['money']);
const never = new AbortController().signal;
const key = canary('tts-render-key');
let tools: MediaTools;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let server: SpeechServer;
let music: string;

beforeAll(async () => {
  tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
  scratch = await tempDir('sovi-media-render-');
  server = await startSpeechServer(tools, key);
  music = await makeMusicLibrary(tools, path.join(scratch.dir, 'music'));
}, RENDER_TEST_TIMEOUT);
afterAll(async () => {
  await server.close();
  await scratch.remove();
});

/** The mean level (dB) of a span of a file's sound. */
async function levelIn(file: string, span: { start: number; end: number }): Promise<number> {
  const { stderr } = await runTool(tools.ffmpeg, [
    // Input options: the filter must see only the span.
    ...['-hide_banner', '-nostdin', '-nostats', '-ss', String(span.start), '-t'],
    ...[String(span.end - span.start), '-i', file, '-af', 'volumedetect', '-f', 'null', '-'],
  ]);
  const m = /mean_volume:\s*(-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
  return m === undefined || m === '-inf' ? -120 : Number(m);
}

/** A WAV file's sample bytes (what follows its data chunk's header). */
async function samplesOf(file: string): Promise<Buffer> {
  const wav = await fs.readFile(file);
  const at = wav.indexOf('data', 12, 'latin1');
  return wav.subarray(at + 8, at + 8 + wav.readUInt32LE(at + 4));
}

describe.each([
  ['espeak', { engine: 'espeak', voice: 'en-us' }],
  ['openai', { engine: 'openai', voice: 'alloy', model: 'kokoro', format: 'mp3', speed: 1.1 }],
] as [string, VoiceChoice][])('a video voiced by %s', (name, choice) => {
  /** What the first test rendered, for the caption timing test after it. */
  let rendered: { captions: Caption[]; voiceFile: string; voiceSeconds: number; fakeAnswer: number } | null =
    null;
  const figures: Record<string, number> = {};
  it(
    'is as long as the voice, at −14 LUFS within 1 LU, the music under the voice, captions following speech',
    async () => {
      const home = path.join(scratch.dir, name);
      const config = loadConfig({
        SOVI_HOME: home,
        SOVI_MUSIC_LIBRARY: music,
        SOVI_TTS_URL: server.url,
        SOVI_TTS_API_KEY: key,
      });
      const media = builtinMedia(config.content, quietLogger, {
        media: { '*': { voices: { en: [choice] }, music: { mood: 'calm' } } },
      });
      const dir = path.join(home, 'media', 'c1');
      const fakeAnswer = server.words.length;
      const assets = await media.generate({
        contentId: `content-${name}`,
        script,
        format: 'faceless',
        dir,
        wordsPerMinute: 165,
        signal: never,
      });
      expect(assets.voice.kind).toBe(name);
      const video = await media.assemble({
        contentId: `content-${name}`,
        script,
        assets,
        outFile: path.join(dir, 'video.mp4'),
        signal: never,
      });
      const quality = await media.check({
        file: video.outputPath,
        script,
        assets,
        captions: video.captions,
        details: video.details,
        minSeconds: 1,
        maxSeconds: 90,
        blackFrameMaxSeconds: 1.5,
        signal: never,
      });
      const value = (check: string) => quality.checks.find((c) => c.name === check)?.value;
      expect(quality.checks.filter((c) => !c.passed)).toEqual([]);
      expect(quality.score).toBe(1);

      // As long as the voice-over.
      expect(Math.abs(video.durationSeconds - assets.voice.durationSeconds)).toBeLessThan(0.15);
      // Loudness, measured again here on the finished file.
      const measured = await measureLoudness(tools, video.outputPath, {
        integratedLufs: -14,
        truePeakDb: -1,
      });
      expect(Math.abs(measured.integrated + 14)).toBeLessThanOrEqual(1);
      expect(measured.truePeak).toBeLessThanOrEqual(-1);
      expect(Number(value('true_peak'))).toBeLessThanOrEqual(-1);
      expect(Math.abs(Number(value('integrated_loudness')) - measured.integrated)).toBeLessThan(0.1);

      // The music: a calm track with its licence in the manifest, under the voice (within 3 dB of the
      // voice alone) yet there, heard in the voice's pauses.
      const details = video.details as {
        music: { id: string; mood: string; licence: string; attribution: string };
        speech: { start: number; end: number }[];
        captionTiming: string;
        attributionInCaption: string | null;
      };
      const tracks = await readMusicLibrary(music);
      expect(details.music).toMatchObject({
        mood: 'calm',
        id: pickTrack(tracks, 'calm', `content-${name}`)!.id,
      });
      expect(details.music.licence).toMatch(/^CC/);
      // The voice inside the mix, over its speech, within 3 dB of the voice alone; the music ducked under it.
      expect(Math.abs(Number(value('music_under_voice')))).toBeLessThanOrEqual(3);
      expect(Number(value('music_ducking'))).toBeGreaterThanOrEqual(6);
      const pauses = details.speech.slice(1).map((s, i) => ({ start: details.speech[i]!.end, end: s.start }));
      const pause = pauses.sort((a, b) => b.end - b.start - (a.end - a.start))[0]!;
      expect(pause.end - pause.start).toBeGreaterThan(0.15);
      const mid = { start: pause.start + 0.03, end: pause.end - 0.03 };
      expect(await levelIn(assets.voice.file, mid)).toBeLessThan(-60);
      expect(await levelIn(video.outputPath, mid)).toBeGreaterThan(-45);
      expect(details.attributionInCaption).toBe(details.music.attribution || null);

      // Captions from the voice's pauses: every stretch of speech is under a caption.
      expect(details.captionTiming).toBe('speech');
      expect(Number(value('speech_coverage'))).toBeGreaterThanOrEqual(0.95);
      expect(video.captions[0]!.start).toBeLessThan(0.2);
      expect(await probeDuration(tools, assets.voice.file)).toBeCloseTo(assets.voice.durationSeconds, 2);
      // The beats' on-screen titles come in with the caption of their first word, as the voice says it.
      const ass = await fs.readFile(path.join(dir, 'captions.ass'), 'utf8');
      const eventStarts = (style: string) =>
        [...ass.matchAll(new RegExp(`^Dialogue: \\d,([\\d:.]+),[\\d:.]+,${style},`, 'gm'))].map((m) => m[1]);
      const titleStarts = eventStarts('Title');
      expect(titleStarts).toHaveLength(beats.length);
      for (const start of titleStarts) expect(eventStarts('Caption')).toContain(start);
      rendered = {
        captions: video.captions,
        voiceFile: assets.voice.file,
        voiceSeconds: assets.voice.durationSeconds,
        fakeAnswer,
      };
      Object.assign(figures, {
        seconds: video.durationSeconds,
        lufs: measured.integrated,
        truePeak: measured.truePeak,
        musicUnderVoiceDb: Number(value('music_under_voice')),
        duckingDb: Number(value('music_ducking')),
        speechCoverage: Number(value('speech_coverage')),
      });
    },
    RENDER_TEST_TIMEOUT * 2,
  );

  it.skipIf(espeakLibrary() === null)(
    'has captions starting within 150 ms of the voice’s own word timings on average',
    async () => {
      expect(rendered).not.toBeNull();
      const { captions, voiceFile, voiceSeconds, fakeAnswer } = rendered!;
      let words: EspeakWord[];
      if (name === 'espeak') {
        // The same voice and rate through the library: the same samples (the command line only adds silence
        // at the end), with the word timings.
        const truth = await speakWithWordTimes(speakable(script.narration), `${voiceFile}.truth.wav`, {
          voice: choice.voice,
          wordsPerMinute: 165,
        });
        const [spoken, heard] = await Promise.all([samplesOf(truth.file), samplesOf(voiceFile)]);
        expect(spoken.length).toBeGreaterThan(0);
        expect(heard.subarray(0, spoken.length).equals(spoken)).toBe(true);
        expect(heard.subarray(spoken.length).every((b) => b === 0)).toBe(true);
        expect(voiceSeconds - truth.durationSeconds).toBeLessThan(0.5);
        words = truth.words;
      } else {
        // The fake answered with the library's audio and kept its word timings.
        words = server.words[fakeAnswer]!;
      }
      expect(words).toHaveLength(speakable(script.narration).split(/\s+/).length);
      const error = captionError(captions, words);
      // The letter-count estimate on the same audio, as the captions were timed before: the aligned ones beat it.
      const estimate = captionError(
        timeCaptions(script.narration, voiceSeconds, { maxWordsPerCaption: 4 }),
        words,
      );
      console.log(
        `${name} voice:`,
        JSON.stringify({
          ...figures,
          captionStartErrorMs: Math.round(error * 1000),
          letterEstimateErrorMs: Math.round(estimate * 1000),
        }),
      );
      expect(error).toBeLessThan(0.15);
      expect(error).toBeLessThan(estimate);
    },
  );
});

describe('the attribution in the post caption', () => {
  it('is kept whole on its own line, the rest shortened to make room', () => {
    const credit = 'Calm Keys by Test Composer (CC BY 4.0)';
    expect(postCaption({ title: 'One money habit', cta: 'Follow for more' }, 2200, credit)).toBe(
      `One money habit. Follow for more.\n${credit}`,
    );
    const short = postCaption({ title: 'A'.repeat(100), cta: 'Follow' }, 80, credit);
    expect(short.endsWith(`\n${credit}`)).toBe(true);
    expect(short.length).toBeLessThanOrEqual(80);
    expect(postCaption({ title: 'T', cta: 'C' }, 2200, null)).toBe('T. C.');
  });
});
