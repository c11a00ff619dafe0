// @no-database
// Music under the voice, measured from the parts of the mix (mixAudio's stems): the voice keeps its level in
// the mix, the music ducks under the speech, and it fades in and out. The checks fail when the ducking is off
// or the track is mixed hot.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLoudness } from '../../src/media/loudness.ts';
import {
  measureMusicLevels,
  mixAudio,
  musicLevelChecks,
  readMusicLibrary,
  type MusicLevels,
} from '../../src/media/music.ts';
import { detectSpeech, type Span } from '../../src/media/speech-timing.ts';
import { findMediaTools, type MediaTools } from '../../src/media/tools.ts';
import { synthesizeVoice, type VoiceTrack } from '../../src/media/voice.ts';
import { RENDER_TEST_TIMEOUT } from '../helpers/content.ts';
import { tempDir } from './fixtures/media.ts';
import { makeMusicLibrary } from './fixtures/music.ts';

let tools: MediaTools;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let voice: VoiceTrack;
let speech: Span[];
/** The gain that puts the track at the voice's integrated loudness. */
let levelGain: number;
let track: string;

beforeAll(async () => {
  tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
  scratch = await tempDir('sovi-music-mix-');
  const library = await makeMusicLibrary(tools, path.join(scratch.dir, 'music'));
  track = (await readMusicLibrary(library)).find((t) => t.id === 'calm-keys.wav')!.file;
  voice = await synthesizeVoice(
    tools,
    'One habit that makes you richer. Move ten percent the day you are paid. Follow for more.',
    path.join(scratch.dir, 'voice.wav'),
    { wordsPerMinute: 165 },
  );
  speech = await detectSpeech(tools, voice.file, voice.durationSeconds);
  const target = { integratedLufs: -14, truePeakDb: -1 };
  levelGain =
    (await measureLoudness(tools, voice.file, target)).integrated -
    (await measureLoudness(tools, track, target)).integrated;
}, RENDER_TEST_TIMEOUT);
afterAll(() => scratch.remove());

async function mix(name: string, volumeDb: number, duck: boolean): Promise<MusicLevels> {
  const stems = path.join(scratch.dir, `${name}.f32`);
  await mixAudio(tools, {
    voice: voice.file,
    durationSeconds: voice.durationSeconds,
    music: { file: track, volumeDb: levelGain + volumeDb },
    outFile: path.join(scratch.dir, `${name}.wav`),
    stemsFile: stems,
    duck,
  });
  return measureMusicLevels(stems, speech);
}

const byName = (levels: MusicLevels) =>
  Object.fromEntries(musicLevelChecks(levels).map((c) => [c.name, c] as const));

describe('music mixed under the voice', () => {
  it(
    'ducks under the speech, fades in and out, and leaves the voice at its level',
    async () => {
      const levels = await mix('ducked', -12, true);
      console.log('music under the voice (−12 dB, ducked):', JSON.stringify(levels));
      const checks = byName(levels);
      expect(checks.music_under_voice!.passed).toBe(true);
      expect(Math.abs(levels.mixDb - levels.voiceDb)).toBeLessThanOrEqual(3);
      expect(checks.music_ducking!.passed).toBe(true);
      expect(levels.duckDb).toBeGreaterThanOrEqual(6);
      // The first and last quarter second are far under the track's loudest second.
      expect(levels.fadeInDb).toBeLessThan(-10);
      expect(levels.fadeOutDb).toBeLessThan(-10);
    },
    RENDER_TEST_TIMEOUT,
  );

  it(
    'fails the ducking check when the ducking is off, and the voice check when the track is mixed hot',
    async () => {
      const unducked = byName(await mix('plain', -12, false));
      expect(unducked.music_ducking).toMatchObject({ passed: false, value: 0 });
      expect(unducked.music_under_voice!.passed).toBe(true);
      const hot = byName(await mix('hot', 6, false));
      expect(hot.music_under_voice!.passed).toBe(false);
      expect(Number(hot.music_under_voice!.value)).toBeGreaterThan(3);
    },
    RENDER_TEST_TIMEOUT,
  );
});
