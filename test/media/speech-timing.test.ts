// @no-database
// Captions timed from the voice itself: the speech stretches ffmpeg's silencedetect finds, the script's
// words aligned to them, measured against espeak-ng's own word timings (its library's WORD events), and
// against today's letter-count estimate on the same audio.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beatTimes, beatTitles } from '../../src/content/builtin-media.ts';
import type { Script } from '../../src/content/content-model.ts';
import { timeCaptions } from '../../src/media/captions.ts';
import {
  alignWords,
  captionsFromWords,
  detectSpeech,
  speechCoverage,
  speechFromSilences,
} from '../../src/media/speech-timing.ts';
import { findMediaTools, type MediaTools } from '../../src/media/tools.ts';
import { captionError, espeakLibrary, speakWithWordTimes } from '../helpers/espeak-words.ts';

const NARRATIONS = [
  'Three money habits that quietly make you richer. First, pay yourself before anything else: ten percent, every month. ' +
    'Second, automate it, so you never have to decide. Third, keep a small emergency fund. Follow for more.',
  'Your phone is stealing your focus. Every notification costs you twenty minutes of deep work. ' +
    'Turn them off for one week, and watch what happens to your output. Try it tomorrow morning.',
  'Most people stretch wrong. They bounce, they rush, and they skip the warm up entirely! ' +
    'Hold each stretch for thirty seconds; breathe slowly; never push into pain. Save this for later.',
];

let tools: MediaTools;
let dir: string;

beforeAll(async () => {
  tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-timing-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('captions timed from the voice', () => {
  it.skipIf(espeakLibrary() === null)(
    'start within 150 ms of espeak-ng’s own word timings on average, well ahead of the letter-count estimate',
    { timeout: 120_000 },
    async () => {
      const aligned: number[] = [];
      const estimated: number[] = [];
      const wordErrors: number[] = [];
      for (const [i, narration] of NARRATIONS.entries()) {
        for (const wordsPerMinute of [150, 190]) {
          const truth = await speakWithWordTimes(narration, path.join(dir, `n${i}-${wordsPerMinute}.wav`), {
            wordsPerMinute,
          });
          expect(truth.words).toHaveLength(narration.split(/\s+/).length);
          const speech = await detectSpeech(tools, truth.file, truth.durationSeconds);
          const words = alignWords(narration, speech);
          const captions = captionsFromWords(narration, words, truth.durationSeconds, 4);
          aligned.push(captionError(captions, truth.words));
          estimated.push(captionError(timeCaptions(narration, truth.durationSeconds), truth.words));
          wordErrors.push(
            words.reduce((sum, w, k) => sum + Math.abs(w.start - truth.words[k]!.start), 0) / words.length,
          );
          expect(speechCoverage(speech, captions)).toBeGreaterThan(0.95);
        }
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const figures = {
        captionStartErrorMs: Math.round(mean(aligned) * 1000),
        letterEstimateErrorMs: Math.round(mean(estimated) * 1000),
        ratio: Math.round((mean(aligned) / mean(estimated)) * 100) / 100,
        wordStartErrorMs: Math.round(mean(wordErrors) * 1000),
      };
      console.log('caption timing against espeak-ng word timings:', JSON.stringify(figures));
      expect(mean(aligned)).toBeLessThan(0.15);
      expect(mean(aligned)).toBeLessThan(mean(estimated));
    },
  );

  it.skipIf(espeakLibrary() === null)(
    'start each beat’s title and clip where the voice starts saying the beat, not where its letters fall',
    { timeout: 120_000 },
    async () => {
      const script: Script = {
        title: 'Three money habits',
        hook: 'Three money habits that quietly make you richer.',
        beats: [
          { onScreenText: 'Pay yourself first', narration: 'First, pay yourself before anything else.' },
          { onScreenText: 'Ten percent', narration: 'Ten percent of every paycheck, every single month.' },
          { onScreenText: 'Automate', narration: 'Second, automate it, so you never decide.' },
          { onScreenText: 'Emergency fund', narration: 'Third, keep a small emergency fund.' },
        ],
        cta: 'Follow for more.',
        narration: '',
        hashtags: [],
        writer: 'test',
      };
      script.narration = [script.hook, ...script.beats.map((b) => b.narration), script.cta].join(' ');
      // The truth: when espeak-ng started each beat's first word.
      const firstWord = script.beats.map(
        (_, i) =>
          [script.hook, ...script.beats.slice(0, i).map((b) => b.narration)].join(' ').split(' ').length,
      );
      const aligned: number[] = [];
      const estimated: number[] = [];
      for (const wordsPerMinute of [150, 190]) {
        const truth = await speakWithWordTimes(
          script.narration,
          path.join(dir, `beats-${wordsPerMinute}.wav`),
          {
            wordsPerMinute,
          },
        );
        const seconds = truth.durationSeconds;
        const words = alignWords(script.narration, await detectSpeech(tools, truth.file, seconds));
        const fromVoice = beatTimes(script, seconds, words);
        const fromLetters = beatTimes(script, seconds);
        for (const [i, w] of firstWord.entries()) {
          aligned.push(Math.abs(fromVoice[i]!.start - truth.words[w]!.start));
          estimated.push(Math.abs(fromLetters[i]!.start - truth.words[w]!.start));
        }
        // Each title from its beat's first word to the next beat's, the last one's to the call to action's.
        const titles = beatTitles(script, seconds, words);
        expect(titles.map((t) => t.text)).toEqual(script.beats.map((b) => b.onScreenText));
        for (const [i, t] of titles.entries()) {
          expect(t.start).toBeCloseTo(fromVoice[i]!.start, 3);
          expect(t.end).toBeCloseTo(i + 1 < titles.length ? titles[i + 1]!.start : words.at(-3)!.start, 3);
        }
        // Words that are not the script's (another narration): back to the letters.
        expect(beatTimes(script, seconds, words.slice(1))).toEqual(fromLetters);
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(
        'beat starts against espeak-ng word timings:',
        JSON.stringify({
          fromVoiceMs: Math.round(mean(aligned) * 1000),
          fromLettersMs: Math.round(mean(estimated) * 1000),
        }),
      );
      expect(mean(aligned)).toBeLessThan(0.15);
      expect(mean(aligned)).toBeLessThan(mean(estimated));
    },
  );

  it('reads speech stretches from silencedetect’s report, a pause running to the end included', () => {
    const stderr = [
      '[silencedetect @ 0x1] silence_start: 1.2',
      '[silencedetect @ 0x1] silence_end: 1.5 | silence_duration: 0.3',
      '[silencedetect @ 0x1] silence_start: -0.001',
      '[silencedetect @ 0x1] silence_end: 0.1 | silence_duration: 0.1',
      '[silencedetect @ 0x1] silence_start: 3.9',
    ].join('\n');
    // Out-of-order reports never happen; in-order ones give the stretches between pauses.
    expect(speechFromSilences(stderr.split('\n').slice(0, 2).join('\n'), 4)).toEqual([
      { start: 0, end: 1.2 },
      { start: 1.5, end: 4 },
    ]);
    expect(speechFromSilences(stderr.split('\n').slice(4).join('\n'), 4)).toEqual([{ start: 0, end: 3.9 }]);
  });

  it('puts each pause between the words where the punctuation is', () => {
    const words = alignWords('One two three. Four five six seven, eight.', [
      { start: 0, end: 1 },
      { start: 1.4, end: 2.8 },
      { start: 3, end: 3.4 },
    ]);
    expect(words.map((w) => w.text)).toEqual([
      'One',
      'two',
      'three.',
      'Four',
      'five',
      'six',
      'seven,',
      'eight.',
    ]);
    expect(words[3]!.start).toBe(1.4);
    expect(words[7]!.start).toBe(3);
    expect(words[2]!.end).toBe(1);
    expect(() => alignWords('Some words.', [])).toThrow(/no speech was detected/);
  });
});
