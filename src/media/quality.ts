// Measurable checks of a rendered video, each with a weight; the score is the weighted share that passed.
// ffprobe reads the streams, one ffmpeg pass decodes the whole file through blackdetect (video) and
// volumedetect (audio), and the MP4's top-level boxes tell whether the index comes first.
import fs from 'node:fs/promises';
import path from 'node:path';
import { captionCoverage, type Caption } from './captions.ts';
import { measureFilter, parseLoudnorm, type LoudnessMeasure, type LoudnessTarget } from './loudness.ts';
import { probeVideo } from './probe.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';

export interface QualityCheck {
  name: string;
  passed: boolean;
  value: number | string | null;
  expected: string;
  weight: number;
}

export interface QualityReport {
  /** 0–1: the weighted share of passed checks. */
  score: number;
  /** Every check passed. */
  passed: boolean;
  checks: QualityCheck[];
}

export interface QualityInput {
  narration: string;
  captions: Caption[];
  minDurationSeconds: number;
  maxDurationSeconds: number;
  width?: number;
  height?: number;
  /** The longest stretch of (near) black frames allowed. Default 1 s. */
  blackFrameMaxSeconds?: number;
  /** The least share of narration words the captions must show. Default 0.9. */
  minCaptionCoverage?: number;
  /** The voice-over was the silent fallback: a silent sound track is then expected, not a fault. */
  silentVoice?: boolean;
  /** Measure the sound's integrated loudness and true peak against this target (±1 LU, ceiling). */
  loudness?: LoudnessTarget;
  signal?: AbortSignal;
}

/** Weights add up to 1. What a viewer or a platform notices first weighs most. */
export const QUALITY_WEIGHTS = {
  duration: 0.15,
  resolution: 0.15,
  video_codec: 0.1,
  pixel_format: 0.05,
  faststart: 0.05,
  audio_stream: 0.15,
  audio_level: 0.1,
  caption_coverage: 0.1,
  black_frames: 0.15,
  integrated_loudness: 0.1,
  true_peak: 0.05,
} as const;

/** How far from the target the integrated loudness may land. */
const LOUDNESS_TOLERANCE_LU = 1;

/** Below this peak level (dBFS) a sound track counts as silent; espeak-ng peaks near -1 dB. */
const AUDIBLE_DB = -50;

export async function checkQuality(
  tools: MediaTools,
  file: string,
  input: QualityInput,
): Promise<QualityReport> {
  const width = input.width ?? 1080;
  const height = input.height ?? 1920;
  const blackMax = input.blackFrameMaxSeconds ?? 1;
  const minCoverage = input.minCaptionCoverage ?? 0.9;
  const probed = await probeVideo(tools, file, { signal: input.signal });
  const levels = await analyse(tools, file, probed.audioCodec !== null, input.loudness, input.signal);
  const coverage = captionCoverage(input.narration, input.captions);
  const duration = round(probed.durationSeconds, 3);
  const boxes = await boxOrder(file);

  const check = (
    name: keyof typeof QUALITY_WEIGHTS,
    passed: boolean,
    value: QualityCheck['value'],
    expected: string,
  ) => ({ name, passed, value, expected, weight: QUALITY_WEIGHTS[name] }) satisfies QualityCheck;
  const checks: QualityCheck[] = [
    check(
      'duration',
      duration >= input.minDurationSeconds && duration <= input.maxDurationSeconds,
      duration,
      `${input.minDurationSeconds}–${input.maxDurationSeconds} s`,
    ),
    check(
      'resolution',
      probed.width === width && probed.height === height,
      `${probed.width}x${probed.height}`,
      `${width}x${height}`,
    ),
    check('video_codec', probed.videoCodec === 'h264', probed.videoCodec, 'h264'),
    check('pixel_format', probed.pixFmt === 'yuv420p', probed.pixFmt, 'yuv420p'),
    check(
      'faststart',
      boxes !== null && boxes.indexOf('moov') < boxes.indexOf('mdat'),
      boxes,
      'moov before mdat',
    ),
    check('audio_stream', probed.audioCodec !== null, probed.audioCodec, 'an audio stream'),
    input.silentVoice
      ? check(
          'audio_level',
          probed.audioCodec !== null,
          levels.maxVolumeDb,
          'any level (the voice-over is silent)',
        )
      : check(
          'audio_level',
          levels.maxVolumeDb !== null && levels.maxVolumeDb > AUDIBLE_DB,
          levels.maxVolumeDb,
          `peak above ${AUDIBLE_DB} dB`,
        ),
    check(
      'caption_coverage',
      coverage >= minCoverage,
      round(coverage, 3),
      `≥ ${minCoverage} of the narration's words`,
    ),
    check(
      'black_frames',
      levels.longestBlackSeconds <= blackMax,
      round(levels.longestBlackSeconds, 3),
      `no black stretch over ${blackMax} s`,
    ),
  ];
  const target = input.loudness;
  if (target !== undefined && !input.silentVoice) {
    const measured = levels.loudness;
    const integrated = measured === null ? null : round(measured.integrated, 2);
    const peak = measured === null ? null : round(measured.truePeak, 2);
    checks.push(
      check(
        'integrated_loudness',
        integrated !== null && Math.abs(integrated - target.integratedLufs) <= LOUDNESS_TOLERANCE_LU,
        integrated,
        `${target.integratedLufs} ± ${LOUDNESS_TOLERANCE_LU} LUFS`,
      ),
      check(
        'true_peak',
        // No allowance for the encoder: the normalisation aims half a dB under the ceiling to cover it.
        peak !== null && peak <= target.truePeakDb,
        peak,
        `≤ ${target.truePeakDb} dBTP`,
      ),
    );
  }
  const total = checks.reduce((sum, c) => sum + c.weight, 0);
  const passedWeight = checks.reduce((sum, c) => sum + (c.passed ? c.weight : 0), 0);
  return { score: round(passedWeight / total, 4), passed: checks.every((c) => c.passed), checks };
}

interface Levels {
  longestBlackSeconds: number;
  /** Peak level in dBFS; null without a sound track. */
  maxVolumeDb: number | null;
  /** loudnorm's measurement of the sound track, when asked for. */
  loudness: LoudnessMeasure | null;
}

/** One decoding pass: blackdetect reports every black stretch (no minimum length), volumedetect the peak. */
async function analyse(
  tools: MediaTools,
  file: string,
  hasAudio: boolean,
  loudness: LoudnessTarget | undefined,
  signal?: AbortSignal,
): Promise<Levels> {
  const audio = loudness === undefined ? 'volumedetect' : `volumedetect,${measureFilter(loudness)}`;
  const graph = `[0:v:0]blackdetect=d=0:pix_th=0.10[v]${hasAudio ? `;[0:a:0]${audio}[a]` : ''}`;
  const { stderr } = await runTool(
    tools.ffmpeg,
    [
      ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-i', path.resolve(file)],
      ...['-filter_complex', graph, '-map', '[v]', ...(hasAudio ? ['-map', '[a]'] : []), '-f', 'null', '-'],
    ],
    { signal, timeoutMs: 600_000 },
  );
  let longestBlackSeconds = 0;
  for (const match of stderr.matchAll(/black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)/g)) {
    longestBlackSeconds = Math.max(longestBlackSeconds, Number(match[2]) - Number(match[1]));
  }
  const peak = /max_volume:\s*(-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
  return {
    longestBlackSeconds,
    maxVolumeDb: peak === undefined ? null : peak === '-inf' ? -Infinity : Number(peak),
    loudness: hasAudio && loudness !== undefined ? parseLoudnorm(stderr) : null,
  };
}

/** "ftyp moov mdat": the MP4's top-level boxes holding the index and the media, in file order. */
async function boxOrder(file: string): Promise<string | null> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const seen: string[] = [];
    const header = Buffer.alloc(16);
    for (let offset = 0, boxes = 0; offset + 8 <= size && boxes < 64; boxes++) {
      await handle.read(header, 0, 16, offset);
      let length = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (length === 1) length = Number(header.readBigUInt64BE(8));
      else if (length === 0) length = size - offset;
      if (length < 8) return null;
      seen.push(type);
      offset += length;
    }
    const order = seen.filter((t) => t === 'ftyp' || t === 'moov' || t === 'mdat');
    return order.includes('moov') && order.includes('mdat') ? order.join(' ') : null;
  } finally {
    await handle.close();
  }
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
