// The final video: the background (looped or cut to length), scaled to cover the vertical frame, the
// captions burned in, the voice-over as the sound track; H.264 (High, yuv420p) and AAC in an MP4 whose index
// comes first (+faststart), so a player or an upload can start before the whole file is read.
//
// Captions are burned in by libass (ffmpeg's `subtitles` filter) from a generated .ass file rather than by
// drawtext: libass wraps long phrases within the margins, draws outlines and shadows, and takes every caption
// in one filter with its timing in the file, where drawtext would need one filter per caption, line breaks
// worked out by hand, and escaping of every caption's text inside the filter graph.
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidInput, SoviError } from '../errors.ts';
import { captionsToAss, type Caption } from './captions.ts';
import { writeAtomically } from './files.ts';
import { probeVideo } from './probe.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';
import type { Background } from './visuals.ts';
import type { VoiceTrack } from './voice.ts';
import type { CaptionStyle } from './media-policy.ts';

export interface RenderInput {
  background: Background;
  voice: VoiceTrack;
  captions: Caption[];
  /** The sound track to encode instead of the voice-over alone (the voice mixed with music). */
  audioFile?: string;
  /** An audio filter applied to the sound track (the loudness normalisation's second pass). */
  audioFilter?: string;
  /** How the captions look (per niche); the default style otherwise. */
  captionStyle?: CaptionStyle;
  outFile: string;
  width?: number;
  height?: number;
  fps?: number;
  /** Keep the generated .ass file here (e.g. with the content's assets); otherwise it is removed. */
  subtitlesFile?: string;
  signal?: AbortSignal;
}

export interface RenderResult {
  file: string;
  durationSeconds: number;
  width: number;
  height: number;
  elapsedMs: number;
  /** The kept .ass file, when RenderInput.subtitlesFile asked for one. */
  subtitlesFile: string | null;
}

/** x264's veryfast preset: about 2× faster than medium on 2 cores for a file a few percent larger. */
export const VIDEO_ENCODING = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '21', '-profile:v', 'high'];
export const AUDIO_ENCODING = ['-c:a', 'aac', '-b:a', '128k', '-ar', '44100', '-ac', '2'];

export async function renderVideo(tools: MediaTools, input: RenderInput): Promise<RenderResult> {
  const started = performance.now();
  const width = input.width ?? 1080;
  const height = input.height ?? 1920;
  const fps = input.fps ?? 30;
  const duration = input.voice.durationSeconds;
  if (!(duration > 0)) throw invalidInput('voice', `the voice track has no duration (${duration} s)`);
  if (!Number.isInteger(fps) || fps < 1 || fps > 120) {
    throw invalidInput('fps', `fps must be an integer from 1 to 120 (got ${fps})`);
  }
  const missing = (['libx264', 'aac', 'subtitles'] as const).filter((c) => !tools.capabilities[c]);
  if (missing.length > 0) {
    throw new SoviError(
      'unavailable',
      `ffmpeg at ${tools.ffmpeg} cannot render: it lacks ${missing.join(', ')}; set SOVI_FFMPEG to a full build`,
      { field: 'SOVI_FFMPEG' },
    );
  }
  const file = path.resolve(input.outFile);
  const kept = input.subtitlesFile === undefined ? null : path.resolve(input.subtitlesFile);
  const probed = await writeAtomically(file, async (temp) => {
    const ass = kept ?? `${temp}.ass`;
    await fs.mkdir(path.dirname(ass), { recursive: true });
    await fs.writeFile(ass, captionsToAss(input.captions, { width, height, style: input.captionStyle }));
    try {
      await runTool(
        tools.ffmpeg,
        renderArgs({
          ffmpegFontsDir: tools.fontsDir,
          background: input.background.file,
          voice: input.audioFile ?? input.voice.file,
          audioFilter: input.audioFilter ?? null,
          subtitles: input.captions.length > 0 ? ass : null,
          out: temp,
          width,
          height,
          fps,
          duration,
        }),
        { signal: input.signal, timeoutMs: 120_000 + duration * 20_000 },
      );
    } finally {
      if (kept === null) await fs.rm(ass, { force: true });
    }
    return probeVideo(tools, temp, { signal: input.signal });
  });
  return {
    file,
    durationSeconds: probed.durationSeconds,
    width: probed.width,
    height: probed.height,
    elapsedMs: Math.round(performance.now() - started),
    subtitlesFile: kept,
  };
}

export interface RenderArgs {
  ffmpegFontsDir: string | null;
  background: string;
  voice: string;
  audioFilter?: string | null;
  /** The .ass file, or null for no captions. */
  subtitles: string | null;
  out: string;
  width: number;
  height: number;
  fps: number;
  duration: number;
}

/** The one ffmpeg command of a render. */
export function renderArgs(a: RenderArgs): string[] {
  const burn =
    a.subtitles === null
      ? ''
      : `,subtitles=filename=${filterValue(path.resolve(a.subtitles))}` +
        (a.ffmpegFontsDir === null ? '' : `:fontsdir=${filterValue(a.ffmpegFontsDir)}`);
  const video =
    `[0:v:0]scale=${a.width}:${a.height}:force_original_aspect_ratio=increase,crop=${a.width}:${a.height},` +
    `setsar=1,fps=${a.fps}${burn},format=yuv420p[v]`;
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
    // The background repeats for as long as the voice speaks.
    ...['-stream_loop', '-1', '-i', path.resolve(a.background)],
    ...['-i', path.resolve(a.voice)],
    ...(a.audioFilter
      ? ['-filter_complex', `${video};[1:a:0]${a.audioFilter}[a]`, '-map', '[v]', '-map', '[a]']
      : ['-filter_complex', video, '-map', '[v]', '-map', '1:a:0']),
    ...['-t', a.duration.toFixed(3)],
    ...VIDEO_ENCODING,
    ...['-pix_fmt', 'yuv420p', '-g', String(a.fps * 2)],
    ...AUDIO_ENCODING,
    ...['-movflags', '+faststart', '-f', 'mp4', a.out],
  ];
}

/**
 * A path as a value inside a filter graph: escaped once for the filter's option parser (\ ' :) and once
 * more for the graph's (\ ' [ ] , ;), so that any folder name works.
 */
export function filterValue(value: string): string {
  const option = value.replace(/[\\':]/g, '\\$&');
  return option.replace(/[\\'[\],;]/g, '\\$&');
}
