// @no-database
// The voices: an OpenAI-compatible speech endpoint (a local fake answering with real espeak-ng audio in the
// requested format), its on-disk cache, and the fallback to the next voice of the policy when one fails or
// is too slow, with a notice, never a stuck production; the API key reaches nothing but the header.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceChoice } from '../../src/media/media-policy.ts';
import { findMediaTools, type MediaTools } from '../../src/media/tools.ts';
import { espeakVoice, openaiVoice, speakWithFallback, speechUrl } from '../../src/media/voice-engines.ts';
import type { MediaNotice, VoiceEngine } from '../../src/plugins/media-stages.ts';
import { canary, findCanaries } from '../helpers/canary.ts';
import { RENDER_TEST_TIMEOUT } from '../helpers/content.ts';
import { startSpeechServer, type SpeechServer } from '../fakes/speech-server.ts';

const TEXT = 'Three money habits that quietly make you richer. First, pay yourself before anything else.';
const never = new AbortController().signal;
const key = canary('tts-key');
let tools: MediaTools;
let server: SpeechServer;
let dir: string;
let engines: Map<string, VoiceEngine>;

beforeAll(async () => {
  tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
  server = await startSpeechServer(tools, key);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-voices-'));
  engines = new Map([
    ['espeak', espeakVoice(async () => tools)],
    [
      'openai',
      openaiVoice(
        async () => tools,
        { url: server.url, apiKey: key, timeoutMs: 30_000 },
        path.join(dir, 'cache'),
      ),
    ],
  ]);
});
afterAll(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const speak = (choices: VoiceChoice[], notices: MediaNotice[], text = TEXT, name = 'voice.wav') =>
  speakWithFallback(
    engines,
    choices,
    { text, wordsPerMinute: 165, outFile: path.join(dir, name), signal: never },
    async (n) => {
      notices.push(n);
    },
  );

describe('the openai voice', () => {
  it(
    'posts the policy settings to {base}/audio/speech and decodes each format into the voice-over',
    { timeout: RENDER_TEST_TIMEOUT },
    async () => {
      expect(speechUrl('http://x/v1/')).toBe('http://x/v1/audio/speech');
      for (const format of ['mp3', 'wav', 'pcm', 'opus'] as const) {
        const notices: MediaNotice[] = [];
        const before = server.requests.length;
        const track = await speak(
          [{ engine: 'openai', voice: 'alloy', model: 'tts-1-hd', speed: 1.25, format }],
          notices,
          `${TEXT} (${format})`,
          `${format}.wav`,
        );
        expect(notices).toEqual([]);
        expect(track).toMatchObject({ kind: 'openai', voice: 'alloy', model: 'tts-1-hd', cached: false });
        // espeak-ng at 175 × 1.25 wpm reads the text in about 4–6 s.
        expect(track.durationSeconds).toBeGreaterThan(2.5);
        expect(track.durationSeconds).toBeLessThan(9);
        expect(server.requests.slice(before)).toEqual([
          {
            model: 'tts-1-hd',
            voice: 'alloy',
            speed: 1.25,
            format,
            input: `${TEXT} (${format})`,
            auth: `Bearer ${key}`,
          },
        ]);
        const wav = await fs.readFile(track.file);
        expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
      }
    },
  );

  it(
    'answers a repeated request from its cache, without paying again',
    { timeout: RENDER_TEST_TIMEOUT },
    async () => {
      const choice: VoiceChoice = { engine: 'openai', voice: 'nova', format: 'mp3' };
      const first = await speak([choice], [], TEXT, 'a.wav');
      const before = server.requests.length;
      const again = await speak([choice], [], TEXT, 'b.wav');
      expect(server.requests.length).toBe(before);
      expect(first.cached).toBe(false);
      expect(again.cached).toBe(true);
      expect(Math.abs(again.durationSeconds - first.durationSeconds)).toBeLessThan(0.01);
      // A different setting is a different request.
      const faster = await speak([{ ...choice, speed: 1.5 }], [], TEXT, 'c.wav');
      expect(faster.cached).toBe(false);
      expect(server.requests.length).toBe(before + 1);
      expect(faster.durationSeconds).toBeLessThan(first.durationSeconds);
    },
  );
});

describe('falling back to the next voice', () => {
  it(
    'takes the next voice when the endpoint fails, with a notice that names the failure, not the key',
    { timeout: RENDER_TEST_TIMEOUT },
    async () => {
      server.mode = 'error';
      try {
        const notices: MediaNotice[] = [];
        const track = await speak(
          [
            { engine: 'openai', voice: 'echo', format: 'wav' },
            { engine: 'espeak', voice: 'en-us' },
          ],
          notices,
          `${TEXT} Error mode.`,
          'fallback.wav',
        );
        expect(track).toMatchObject({ kind: 'espeak', voice: 'en-us' });
        expect(track.fellBack).toEqual([
          { engine: 'openai', voice: 'echo', reason: expect.stringContaining('HTTP 500') },
        ]);
        expect(notices).toHaveLength(1);
        expect(notices[0]).toMatchObject({
          eventType: 'voice_fallback',
          context: { engine: 'openai', next: 'espeak:en-us' },
        });
        expect(findCanaries(JSON.stringify(notices))).toEqual([]);
      } finally {
        server.mode = 'ok';
      }
    },
  );

  it(
    'takes the next voice when the endpoint is slower than the voice allows',
    { timeout: RENDER_TEST_TIMEOUT },
    async () => {
      server.mode = 'slow';
      try {
        const notices: MediaNotice[] = [];
        const started = performance.now();
        const track = await speak(
          [
            { engine: 'openai', voice: 'fable', timeoutMs: 1_000 },
            { engine: 'espeak', voice: 'en-gb' },
          ],
          notices,
          `${TEXT} Slow mode.`,
          'slow.wav',
        );
        expect(track).toMatchObject({ kind: 'espeak', voice: 'en-gb' });
        expect(notices[0]?.message).toMatch(/did not answer within 1000 ms/);
        // Far from the fake's minute of silence.
        expect(performance.now() - started).toBeLessThan(30_000);
      } finally {
        server.mode = 'ok';
      }
    },
  );

  it(
    'fails with the last error when every voice failed, and refuses a wrong key without quoting it',
    { timeout: RENDER_TEST_TIMEOUT },
    async () => {
      const wrong = new Map([
        [
          'openai',
          openaiVoice(
            async () => tools,
            { url: server.url, apiKey: canary('wrong-tts-key'), timeoutMs: 30_000 },
            path.join(dir, 'cache'),
          ),
        ],
      ]);
      const notices: MediaNotice[] = [];
      const error = await speakWithFallback(
        wrong,
        [
          { engine: 'openai', voice: 'alloy' },
          { engine: 'missing' as 'espeak', voice: 'x1' },
        ],
        { text: TEXT, wordsPerMinute: 165, outFile: path.join(dir, 'never.wav'), signal: never },
        async (n) => {
          notices.push(n);
        },
      ).then(
        () => new Error('expected every voice to fail'),
        (err: unknown) => err as Error,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(/no voice engine named missing/);
      expect(notices.map((n) => n.message)).toEqual([
        expect.stringContaining('HTTP 401: Incorrect API key provided.'),
        expect.stringContaining('no voice left to try'),
      ]);
      expect(findCanaries(JSON.stringify(notices) + error.message)).toEqual([]);
      await expect(fs.access(path.join(dir, 'never.wav'))).rejects.toThrow();
    },
  );
});
