// The moving background behind the captions: clips from the media library when it holds any, otherwise
// generated colour scenes. Both are deterministic from the seed (the content id), so rendering the same
// content again gives the same picture.
//
// A generated scene is a slowly drifting blend of three colours. ffmpeg's geq filter draws it on a tiny
// canvas (18×32 for 1080×1920) and a bicubic upscale smooths it into a gradient: geq at full size would
// evaluate 2 million expressions per frame, at 18×32 it evaluates 576, so the encode dominates. Scenes change
// every 3–5 s with a 0.6 s cross-fade, their hues well apart (up to 6 palettes, then they repeat), and every
// colour is bright enough never to be taken for a black frame.
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidInput, SoviError } from '../errors.ts';
import { randomFromText } from '../random.ts';
import { writeAtomically } from './files.ts';
import { probeVideo } from './probe.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';

export interface Background {
  file: string;
  kind: 'gradient' | 'clip' | 'beats';
  /** kind 'beats': what each beat shows, in order (a null source: the generated scene). */
  visuals?: BeatVisual[];
  /** The first library clip used (kind 'clip'). */
  source?: string;
  /** Every library clip used, in order (kind 'clip'). */
  sources?: string[];
  durationSeconds: number;
  /** The file's own size: the frame's for clips, half of it for generated scenes. */
  width: number;
  height: number;
  /** How many scenes (colour sets or clips) follow one another. */
  scenes: number;
}

export interface BackgroundOptions {
  durationSeconds: number;
  outFile: string;
  seed: string;
  /** A folder of video clips; without any, scenes are generated. */
  library?: string;
  /** The frame the background is for (default 1080×1920). Generated scenes are stored at half its size. */
  width?: number;
  height?: number;
  fps?: number;
  signal?: AbortSignal;
}

const VIDEO_FILE = /\.(mp4|m4v|mov|webm|mkv|avi)$/i;
const FADE_SECONDS = 0.6;
/** Library clips: at most this many scenes, however long the video. */
const MAX_CLIP_SCENES = 8;

export async function makeBackground(tools: MediaTools, options: BackgroundOptions): Promise<Background> {
  const { durationSeconds, seed } = options;
  const width = options.width ?? 1080;
  const height = options.height ?? 1920;
  const fps = options.fps ?? 30;
  if (!(durationSeconds > 0) || durationSeconds > 3600) {
    throw invalidInput(
      'durationSeconds',
      `the duration must be above 0 and at most 3600 s (got ${durationSeconds})`,
    );
  }
  for (const [name, value] of Object.entries({ width, height })) {
    if (!Number.isInteger(value) || value < 16 || value > 4096 || value % 2 !== 0) {
      throw invalidInput(name, `${name} must be an even number of pixels from 16 to 4096 (got ${value})`);
    }
  }
  const file = path.resolve(options.outFile);
  const random = randomFromText(`background:${seed}`);
  const clips =
    options.library === undefined ? [] : await libraryClips(tools, options.library, options.signal);
  const frame = { width, height, fps, durationSeconds };
  const encode = async (inputArgs: string[], filter: string) =>
    writeAtomically(file, (temp) =>
      runTool(
        tools.ffmpeg,
        [
          ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
          ...inputArgs,
          ...['-filter_complex', filter, '-map', '[out]', '-t', seconds(durationSeconds), '-an'],
          // Only an intermediate, re-encoded by the render: fast, and fine enough not to lose detail.
          ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p'],
          ...['-movflags', '+faststart', '-f', 'mp4', temp],
        ],
        { signal: options.signal, timeoutMs: 120_000 + durationSeconds * 10_000 },
      ),
    );

  if (clips.length > 0) {
    const plan = planClips(clips, random, durationSeconds);
    await encode(
      plan.flatMap((s) => [
        ...['-ss', seconds(s.offset), '-stream_loop', '-1', '-t', seconds(s.seconds), '-i', s.clip],
      ]),
      clipFilter(plan.length, frame),
    );
    const sources = plan.map((s) => s.clip);
    return {
      file,
      kind: 'clip',
      source: sources[0],
      sources,
      durationSeconds,
      width,
      height,
      scenes: plan.length,
    };
  }
  const scenes = gradientScenes(random, durationSeconds);
  const canvas = `${Math.max(2, Math.round(width / 60))}x${Math.max(2, Math.round(height / 60))}`;
  // Stored at half the frame's size: a blend of a few hundred samples has no detail to lose, and a quarter of
  // the pixels encodes (and decodes in the render) about 4× faster. The render scales it to the frame.
  const stored = { width: halfEven(width), height: halfEven(height) };
  await encode(
    ['-f', 'lavfi', '-i', `color=c=black:s=${canvas}:r=${fps}:d=${seconds(durationSeconds)}`],
    `[0:v]format=gbrp,${gradientGeq(scenes, random)},scale=${stored.width}:${stored.height}:flags=bicubic,` +
      'format=yuv420p,setsar=1[out]',
  );
  return { file, kind: 'gradient', durationSeconds, ...stored, scenes: scenes.count };
}

type Rgb = [number, number, number];

/** At most this many colour sets: a longer video cycles through them, so the filter stays short. */
const MAX_PALETTES = 6;

interface Scenes {
  count: number;
  /** Every scene is as long: a short flash of colour at the very end would look like a glitch. */
  seconds: number;
  palettes: [Rgb, Rgb, Rgb][];
}

function gradientScenes(random: () => number, durationSeconds: number): Scenes {
  const count = Math.max(1, Math.round(durationSeconds / (3 + random() * 2)));
  const base = random() * 360;
  // Hues a golden angle apart: neighbouring scenes always differ clearly.
  const palettes = Array.from({ length: Math.min(count, MAX_PALETTES) }, (_, i): [Rgb, Rgb, Rgb] => {
    const hue = base + i * 137.5 + (random() - 0.5) * 30;
    const spread = 30 + random() * 50;
    return [
      colour(hue, 0.6 + random() * 0.25, 0.42 + random() * 0.1),
      colour(hue + spread, 0.65 + random() * 0.25, 0.5 + random() * 0.1),
      colour(hue - spread * 1.5, 0.55 + random() * 0.25, 0.38 + random() * 0.1),
    ];
  });
  return { count, seconds: durationSeconds / count, palettes };
}

/**
 * The geq expressions of the three channels. Scene i (of N, each P seconds) shows palette i mod K and fades
 * into the next over its last FADE_SECONDS; two slow sine waves, drifting in opposite directions, blend the
 * palette's three colours across the canvas. The expressions grow with K (at most 6), never with the
 * duration: ffmpeg 5 refuses a geq expression of a few hundred scenes.
 */
function gradientGeq(scenes: Scenes, random: () => number): string {
  const f = (n: number) => n.toFixed(3);
  const { count, seconds, palettes } = scenes;
  const wave = (sign: string) =>
    `(0.5+0.5*sin(X/W*${f(2 + random() * 3)}${sign}Y/H*${f(2 + random() * 3)}` +
    `${sign}T*${f(0.3 + random() * 0.5)}+${f(random() * 6.28)}))`;
  const [m1, m2] = [wave('+'), wave('-')];
  const scene = `min(floor(T/${f(seconds)}),${count - 1})`;
  const fade =
    count === 1
      ? '0'
      : `clip((T-${scene}*${f(seconds)}-${f(seconds - FADE_SECONDS)})/${FADE_SECONDS},0,1)*lt(${scene},${count - 1})`;
  const pick = (which: number, c: number, ahead: number) =>
    `(${palettes.map((p, k) => `eq(mod(${scene}+${ahead},${palettes.length}),${k})*${f(p[which]![c]!)}`).join('+')})`;
  const colour = (which: number, c: number) =>
    `(${pick(which, c, 0)}*(1-${fade})+${pick(which, c, 1)}*${fade})`;
  const channel = (c: number) =>
    `'(${colour(0, c)}*(1-${m1})+${colour(1, c)}*${m1})*(1-0.6*${m2})+${colour(2, c)}*0.6*${m2}'`;
  return `geq=r=${channel(0)}:g=${channel(1)}:b=${channel(2)}`;
}

/** HSL to RGB (0–255), lightened until its luma is well above what blackdetect calls black. */
function colour(hue: number, saturation: number, lightness: number): Rgb {
  for (let l = lightness; ; l += 0.04) {
    const k = (n: number) => (n + (((hue % 360) + 360) % 360) / 30) % 12;
    const a = saturation * Math.min(l, 1 - l);
    const channel = (n: number) => 255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1)));
    const rgb: Rgb = [channel(0), channel(8), channel(4)];
    const luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    if (luma >= 70 || l >= 0.9) return rgb.map((v) => Math.round(v)) as Rgb;
  }
}

interface ClipScene {
  clip: string;
  offset: number;
  seconds: number;
}

interface LibraryClip {
  file: string;
  durationSeconds: number;
}

/** The library's readable video files, by name; unreadable ones are skipped. */
async function libraryClips(
  tools: MediaTools,
  library: string,
  signal?: AbortSignal,
): Promise<LibraryClip[]> {
  let names: string[];
  try {
    names = await fs.readdir(library, { recursive: true });
  } catch (err) {
    throw new SoviError(
      'invalid_input',
      `the media library ${library} cannot be read`,
      { field: 'library' },
      {
        cause: err,
      },
    );
  }
  const clips: LibraryClip[] = [];
  for (const name of names.filter((n) => VIDEO_FILE.test(n)).sort()) {
    const file = path.resolve(library, name);
    try {
      const probed = await probeVideo(tools, file, { signal });
      if (probed.durationSeconds > 0) clips.push({ file, durationSeconds: probed.durationSeconds });
    } catch (err) {
      if (signal?.aborted) throw err;
    }
  }
  return clips;
}

/** Scenes of about 4 s, each a different clip while there are clips, each from a seeded point of its clip. */
function planClips(clips: LibraryClip[], random: () => number, durationSeconds: number): ClipScene[] {
  const order = [...clips];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const count = Math.min(order.length, MAX_CLIP_SCENES, Math.max(1, Math.round(durationSeconds / 4)));
  const length = durationSeconds / count;
  return order.slice(0, count).map((clip) => ({
    clip: clip.file,
    offset: clip.durationSeconds > length ? random() * (clip.durationSeconds - length) : 0,
    // A little over its share, so that rounding never leaves the concatenation short of the duration.
    seconds: length + 0.1,
  }));
}

/** Every clip scaled to cover the frame, centre-cropped, at the frame rate, then one after another. */
function clipFilter(count: number, frame: { width: number; height: number; fps: number }): string {
  const { width, height, fps } = frame;
  const parts = Array.from(
    { length: count },
    (_, i) =>
      `[${i}:v:0]scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},` +
      `setsar=1,fps=${fps},format=yuv420p,setpts=PTS-STARTPTS[v${i}]`,
  );
  const inputs = Array.from({ length: count }, (_, i) => `[v${i}]`).join('');
  return `${parts.join(';')};${inputs}concat=n=${count}:v=1:a=0[out]`;
}

const seconds = (n: number): string => n.toFixed(3);

const halfEven = (n: number): number => Math.max(16, 2 * Math.round(n / 4));

export interface BeatVisual {
  start: number;
  end: number;
  keywords: string[];
  /** null: the generated colour scene. */
  source: string | null;
  id: string | null;
  licence: string | null;
  url: string | null;
  file: string | null;
}

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;

/**
 * The background of a video whose beats each show their own clip (or image): every clip trimmed to its beat
 * (looped when shorter), scaled to cover the frame and centre-cropped, so nothing is stretched; a beat
 * without a clip shows its stretch of the generated scenes.
 */
export async function composeBeats(
  tools: MediaTools,
  input: {
    beats: BeatVisual[];
    generated: Background;
    outFile: string;
    width?: number;
    height?: number;
    fps?: number;
    signal?: AbortSignal;
  },
): Promise<Background> {
  const width = input.width ?? 1080;
  const height = input.height ?? 1920;
  const fps = input.fps ?? 30;
  const { beats, generated } = input;
  const durationSeconds = beats.at(-1)?.end ?? 0;
  if (beats.length === 0 || !(durationSeconds > 0)) throw invalidInput('beats', 'there are no beats to show');
  const inputs: string[] = ['-i', generated.file];
  const cover = `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1,fps=${fps},format=yuv420p`;
  const gaps = beats.filter((b) => b.file === null).length;
  const parts: string[] = [];
  if (gaps > 0) {
    parts.push(
      `[0:v:0]scale=${width}:${height}:flags=bicubic,setsar=1,fps=${fps},format=yuv420p,split=${gaps}` +
        Array.from({ length: gaps }, (_, i) => `[g${i}]`).join(''),
    );
  }
  let gap = 0;
  let next = 1;
  beats.forEach((beat, i) => {
    const seconds = beat.end - beat.start;
    if (beat.file === null) {
      parts.push(
        `[g${gap++}]trim=start=${seconds3(beat.start)}:end=${seconds3(beat.end)},setpts=PTS-STARTPTS[s${i}]`,
      );
      return;
    }
    inputs.push(
      ...(IMAGE_FILE.test(beat.file)
        ? ['-loop', '1', '-framerate', String(fps), '-t', seconds3(seconds + 0.1), '-i', beat.file]
        : ['-stream_loop', '-1', '-t', seconds3(seconds + 0.1), '-i', beat.file]),
    );
    parts.push(`[${next++}:v:0]${cover},trim=duration=${seconds3(seconds)},setpts=PTS-STARTPTS[s${i}]`);
  });
  parts.push(`${beats.map((_, i) => `[s${i}]`).join('')}concat=n=${beats.length}:v=1:a=0[out]`);
  const file = path.resolve(input.outFile);
  await writeAtomically(file, (temp) =>
    runTool(
      tools.ffmpeg,
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...inputs],
        ...['-filter_complex', parts.join(';'), '-map', '[out]', '-t', seconds3(durationSeconds), '-an'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p'],
        ...['-movflags', '+faststart', '-f', 'mp4', temp],
      ],
      { signal: input.signal, timeoutMs: 120_000 + durationSeconds * 10_000 },
    ),
  );
  return {
    file,
    kind: 'beats',
    visuals: beats,
    sources: beats.flatMap((b) => (b.file === null ? [] : [b.file])),
    durationSeconds,
    width,
    height,
    scenes: beats.length,
  };
}

const seconds3 = (n: number): string => n.toFixed(3);
