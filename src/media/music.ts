// Music under the voice: a track from the music library (SOVI_MUSIC_LIBRARY) chosen by mood, looped or cut
// to the voice's length, faded in and out, and ducked whenever the voice speaks (sidechain compression keyed
// by the voice), then summed with the voice at unity gain. The library's music.json says of each track its
// mood, tempo, licence and attribution text, which go into the asset manifest (and may go into the caption).
//
//   {"tracks": [{"file": "calm-1.mp3", "title": "Morning", "mood": "calm", "tempo": 90,
//                "licence": "CC-BY-4.0", "attribution": "Morning by A. Composer (CC BY 4.0)"}]}
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SoviError } from '../errors.ts';
import { writeAtomically } from './files.ts';
import type { QualityCheck } from './quality.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';

const manifest = z
  .object({
    tracks: z.array(
      z
        .object({
          file: z.string().min(1),
          title: z.string().max(200).optional(),
          mood: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, 'a lower-case mood name'),
          tempo: z.number().min(20).max(300),
          licence: z.string().min(1).max(200),
          attribution: z.string().max(500).default(''),
        })
        .strict(),
    ),
  })
  .strict();

export interface MusicTrack {
  /** The track's file name in the library: its id. */
  id: string;
  file: string;
  title: string | null;
  mood: string;
  tempo: number;
  licence: string;
  attribution: string;
}

export const MUSIC_MANIFEST = 'music.json';

export async function readMusicLibrary(library: string): Promise<MusicTrack[]> {
  const file = path.join(library, MUSIC_MANIFEST);
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new SoviError(
      'invalid_input',
      `the music library ${library} has no readable ${MUSIC_MANIFEST}`,
      {
        field: 'SOVI_MUSIC_LIBRARY',
      },
      { cause: err },
    );
  }
  let parsed: z.infer<typeof manifest>;
  try {
    parsed = manifest.parse(JSON.parse(raw));
  } catch (err) {
    const why =
      err instanceof z.ZodError
        ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : (err as Error).message;
    throw new SoviError('invalid_input', `${file} is not a valid music manifest: ${why}`, {
      field: 'SOVI_MUSIC_LIBRARY',
    });
  }
  return parsed.tracks.map((t) => ({
    id: t.file,
    file: path.resolve(library, t.file),
    title: t.title ?? null,
    mood: t.mood,
    tempo: t.tempo,
    licence: t.licence,
    attribution: t.attribution,
  }));
}

/** One of the mood's tracks, the same for the same seed; null when the library has none of that mood. */
export function pickTrack(tracks: MusicTrack[], mood: string, seed: string): MusicTrack | null {
  const candidates = tracks.filter((t) => t.mood === mood).sort((a, b) => a.id.localeCompare(b.id));
  if (candidates.length === 0) return null;
  const n = createHash('sha256').update(`music:${seed}`).digest().readUInt32LE(0);
  return candidates[n % candidates.length]!;
}

export interface MixInput {
  voice: string;
  durationSeconds: number;
  /** The track and the gain it gets before ducking. */
  music: { file: string; volumeDb: number } | null;
  outFile: string;
  /**
   * Also write the parts of the mix, for measuring it: raw 44.1 kHz float samples, three channels
   * interleaved: the voice, the music faded (before ducking), the music as mixed (faded and ducked).
   */
  stemsFile?: string;
  /** Duck the music under the voice (default true); off only to show what the ducking does. */
  duck?: boolean;
  signal?: AbortSignal;
}

const FADE_IN = 1;
const FADE_OUT = 1.5;
/** The mix's sample rate, and the channels of the stems file (see MixInput.stemsFile). */
const SAMPLE_RATE = 44100;
const STEMS = 3;

/** The voice (and the ducked music) as one 44.1 kHz mono WAV: what the render normalises and encodes. */
export async function mixAudio(tools: MediaTools, input: MixInput): Promise<string> {
  const file = path.resolve(input.outFile);
  const d = input.durationSeconds;
  const mono = `aformat=sample_fmts=fltp:sample_rates=${SAMPLE_RATE}:channel_layouts=mono`;
  const stems = input.music !== null && input.stemsFile !== undefined;
  const duck =
    input.duck === false
      ? '[m][key]amerge=inputs=2,pan=mono|c0=c0[ducked]'
      : // Ducks the music about 12 dB more while the voice speaks; releases between sentences.
        '[m][key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[ducked]';
  const args = input.music
    ? [
        ...['-i', path.resolve(input.voice), '-stream_loop', '-1', '-i', path.resolve(input.music.file)],
        '-filter_complex',
        `[0:a]${mono},asplit=${stems ? 3 : 2}[v][key]${stems ? '[sv]' : ''};` +
          `[1:a]${mono},atrim=0:${d.toFixed(3)},asetpts=PTS-STARTPTS,volume=${input.music.volumeDb}dB,` +
          `afade=t=in:st=0:d=${FADE_IN},afade=t=out:st=${Math.max(0, d - FADE_OUT).toFixed(3)}:d=${FADE_OUT}` +
          `${stems ? ',asplit=2[m][sm]' : '[m]'};${duck};` +
          (stems ? '[ducked]asplit=2[dm][sd];[v][dm]' : '[v][ducked]') +
          'amerge=inputs=2,pan=mono|c0=c0+c1[out]' +
          (stems ? `;[sv][sm][sd]amerge=inputs=${STEMS}[stems]` : ''),
        ...['-map', '[out]'],
      ]
    : ['-i', path.resolve(input.voice), '-af', mono];
  const stemsOut = stems
    ? ['-map', '[stems]', '-t', d.toFixed(3), '-c:a', 'pcm_f32le', '-f', 'f32le', input.stemsFile!]
    : [];
  await writeAtomically(file, (temp) =>
    runTool(
      tools.ffmpeg,
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args],
        ...['-t', d.toFixed(3), '-c:a', 'pcm_f32le', '-f', 'wav', temp, ...stemsOut],
      ],
      { signal: input.signal, timeoutMs: 120_000 + d * 5_000 },
    ),
  );
  return file;
}

/** Levels (dB, RMS) read from a mix's stems: what the music does to the voice. */
export interface MusicLevels {
  /** The voice alone, over its speech. */
  voiceDb: number;
  /** The mix (voice and ducked music), over the same speech. */
  mixDb: number;
  /** How much quieter the music is under the speech than it would be without ducking. */
  duckDb: number;
  /** The music's first and last 0.25 s against its loudest second: how far the fades start and end. */
  fadeInDb: number;
  fadeOutDb: number;
}

/** Reads the stems mixAudio wrote and measures the voice inside the mix over the speech stretches. */
export async function measureMusicLevels(
  stemsFile: string,
  speech: { start: number; end: number }[],
): Promise<MusicLevels> {
  const raw = await fs.readFile(stemsFile);
  const samples = new Float32Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 4));
  const frames = Math.floor(samples.length / STEMS);
  /** Mean power of a channel (or of voice + ducked music, -1) over spans of seconds. */
  const power = (channel: number, spans: { start: number; end: number }[]) => {
    let sum = 0;
    let n = 0;
    for (const span of spans) {
      const to = Math.min(frames, Math.round(span.end * SAMPLE_RATE));
      for (let i = Math.max(0, Math.round(span.start * SAMPLE_RATE)); i < to; i++) {
        const x = channel < 0 ? samples[i * STEMS]! + samples[i * STEMS + 2]! : samples[i * STEMS + channel]!;
        sum += x * x;
        n++;
      }
    }
    return n === 0 ? 0 : sum / n;
  };
  const db = (p: number) => (p > 0 ? Math.round(10 * Math.log10(p) * 100) / 100 : -120);
  const seconds = frames / SAMPLE_RATE;
  let loudest = 0;
  for (let s = 0; s + 1 <= seconds; s += 0.5)
    loudest = Math.max(loudest, power(1, [{ start: s, end: s + 1 }]));
  return {
    voiceDb: db(power(0, speech)),
    mixDb: db(power(-1, speech)),
    duckDb: Math.round((db(power(1, speech)) - db(power(2, speech))) * 100) / 100,
    fadeInDb: Math.round((db(power(1, [{ start: 0, end: 0.25 }])) - db(loudest)) * 100) / 100,
    fadeOutDb:
      Math.round((db(power(1, [{ start: seconds - 0.25, end: seconds }])) - db(loudest)) * 100) / 100,
  };
}

/** The least the music is ducked under speech, dB: sidechaincompress at ratio 8 gives far more. */
export const MIN_DUCK_DB = 6;

/** The music checks, from the measured levels: the voice keeps its level, and the music ducks under it. */
export function musicLevelChecks(levels: MusicLevels): QualityCheck[] {
  const lift = Math.round((levels.mixDb - levels.voiceDb) * 100) / 100;
  return [
    {
      name: 'music_under_voice',
      value: lift,
      passed: Math.abs(lift) <= 3,
      expected: 'the voice in the mix within 3 dB of its level alone, over its speech',
      weight: 0.05,
    },
    {
      name: 'music_ducking',
      value: levels.duckDb,
      passed: levels.duckDb >= MIN_DUCK_DB,
      expected: `the music ≥ ${MIN_DUCK_DB} dB quieter under the speech than without ducking`,
      weight: 0.03,
    },
  ];
}
