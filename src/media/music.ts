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
  signal?: AbortSignal;
}

const FADE_IN = 1;
const FADE_OUT = 1.5;

/** The voice (and the ducked music) as one 44.1 kHz mono WAV: what the render normalises and encodes. */
export async function mixAudio(tools: MediaTools, input: MixInput): Promise<string> {
  const file = path.resolve(input.outFile);
  const d = input.durationSeconds;
  const mono = 'aformat=sample_fmts=fltp:sample_rates=44100:channel_layouts=mono';
  const args = input.music
    ? [
        ...['-i', path.resolve(input.voice), '-stream_loop', '-1', '-i', path.resolve(input.music.file)],
        '-filter_complex',
        `[0:a]${mono},asplit=2[v][key];` +
          `[1:a]${mono},atrim=0:${d.toFixed(3)},asetpts=PTS-STARTPTS,volume=${input.music.volumeDb}dB,` +
          `afade=t=in:st=0:d=${FADE_IN},afade=t=out:st=${Math.max(0, d - FADE_OUT).toFixed(3)}:d=${FADE_OUT}[m];` +
          // Ducks the music about 12 dB more while the voice speaks; releases between sentences.
          '[m][key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[ducked];' +
          '[v][ducked]amerge=inputs=2,pan=mono|c0=c0+c1[out]',
        ...['-map', '[out]'],
      ]
    : ['-i', path.resolve(input.voice), '-af', mono];
  await writeAtomically(file, (temp) =>
    runTool(
      tools.ffmpeg,
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args],
        ...['-t', d.toFixed(3), '-c:a', 'pcm_f32le', '-f', 'wav', temp],
      ],
      { signal: input.signal, timeoutMs: 120_000 + d * 5_000 },
    ),
  );
  return file;
}
