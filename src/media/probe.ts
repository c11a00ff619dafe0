// What a media file holds, read with ffprobe's JSON output.
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidInput, SoviError } from '../errors.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';

export interface ProbeResult {
  durationSeconds: number;
  width: number;
  height: number;
  videoCodec: string;
  audioCodec: string | null;
  pixFmt: string;
  fps: number;
  audioSampleRate: number | null;
  audioChannels: number | null;
  /** The whole file's bit rate, bits per second. */
  bitRate: number | null;
  sizeBytes: number;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string; bit_rate?: string; size?: string };
}

const PROBE_TIMEOUT_MS = 60_000;

export async function probeVideo(
  tools: MediaTools,
  file: string,
  options: { signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  const probed = await ffprobe(tools, file, options.signal);
  const video = probed.streams?.find((s) => s.codec_type === 'video');
  const audio = probed.streams?.find((s) => s.codec_type === 'audio');
  if (video === undefined) throw invalidInput('file', `${file} has no video stream`);
  return {
    durationSeconds: number(probed.format?.duration ?? video.duration) ?? 0,
    width: video.width ?? 0,
    height: video.height ?? 0,
    videoCodec: video.codec_name ?? 'unknown',
    audioCodec: audio?.codec_name ?? null,
    pixFmt: video.pix_fmt ?? 'unknown',
    fps: frameRate(video.avg_frame_rate) ?? frameRate(video.r_frame_rate) ?? 0,
    audioSampleRate: number(audio?.sample_rate),
    audioChannels: audio?.channels ?? null,
    bitRate: number(probed.format?.bit_rate),
    sizeBytes: number(probed.format?.size) ?? (await fs.stat(file)).size,
  };
}

/** A media file's duration in seconds: the container's, else its longest stream's. */
export async function probeDuration(tools: MediaTools, file: string, signal?: AbortSignal): Promise<number> {
  const probed = await ffprobe(tools, file, signal);
  const duration =
    number(probed.format?.duration) ??
    Math.max(0, ...(probed.streams ?? []).map((s) => number(s.duration) ?? 0));
  if (!(duration > 0)) throw new SoviError('internal', `ffprobe found no duration in ${file}`);
  return duration;
}

async function ffprobe(tools: MediaTools, file: string, signal?: AbortSignal): Promise<FfprobeOutput> {
  try {
    await fs.access(file);
  } catch {
    throw invalidInput('file', `${file} does not exist or cannot be read`);
  }
  // Absolute, so that no name is read as an option ("-x.mp4") or a protocol ("a:b.mp4").
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path.resolve(file)];
  let stdout: string;
  try {
    ({ stdout } = await runTool(tools.ffprobe, args, { signal, timeoutMs: PROBE_TIMEOUT_MS }));
  } catch (err) {
    if (err instanceof SoviError && err.code === 'internal' && err.details.tool !== undefined) {
      throw invalidInput('file', `${file} is not a media file ffprobe can read: ${err.message}`);
    }
    throw err;
  }
  return JSON.parse(stdout) as FfprobeOutput;
}

function number(value: string | undefined): number | null {
  if (value === undefined || value === 'N/A') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** "30000/1001" → 29.97. */
function frameRate(value: string | undefined): number | null {
  const [num, den] = (value ?? '').split('/').map(Number);
  if (num === undefined || den === undefined || !(num > 0) || !(den > 0)) return null;
  return Math.round((num / den) * 1000) / 1000;
}
