// Loudness: every video's sound normalised to a target integrated loudness (EBU R128, default −14 LUFS as
// the platforms play at) with a true-peak ceiling, in two passes of ffmpeg's loudnorm: the first measures
// the mix, the second (in the render) applies one linear gain computed from those measurements, so speech
// keeps its dynamics instead of being pumped by loudnorm's one-pass dynamic mode.
//
// Linear gain only reaches the target when the sound's peaks are at most (ceiling − target) above its
// loudness; synthetic speech peaks 18 dB above it, so loudnorm would give up on linear mode and land 2 LU
// short. prepareLoudness therefore first limits the peaks that would cross the ceiling (alimiter, fast attack,
// measured from the first measurement), then measures again: the render's linear gain then lands on target.
import path from 'node:path';
import { SoviError } from '../errors.ts';
import { writeAtomically } from './files.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';

export interface LoudnessTarget {
  integratedLufs: number;
  truePeakDb: number;
}

export interface LoudnessMeasure {
  /** Integrated loudness, LUFS. */
  integrated: number;
  /** True peak, dBTP. */
  truePeak: number;
  range: number;
  threshold: number;
  offset: number;
}

const LRA = 11;

/** loudnorm's first pass over a file's first audio stream. */
export async function measureLoudness(
  tools: MediaTools,
  file: string,
  target: LoudnessTarget,
  signal?: AbortSignal,
): Promise<LoudnessMeasure> {
  const { stderr } = await runTool(
    tools.ffmpeg,
    [
      ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-i', path.resolve(file)],
      ...['-map', '0:a:0', '-af', `${measureFilter(target)}`, '-f', 'null', '-'],
    ],
    { signal, timeoutMs: 600_000 },
  );
  return parseLoudnorm(stderr);
}

export const measureFilter = (target: LoudnessTarget): string =>
  `loudnorm=I=${target.integratedLufs}:TP=${target.truePeakDb}:LRA=${LRA}:print_format=json`;

/** The JSON block loudnorm prints at the end of a pass. */
export function parseLoudnorm(stderr: string): LoudnessMeasure {
  const block = /\{\s*"input_i"[\s\S]*?\}/.exec(stderr)?.[0];
  if (block === undefined) throw new SoviError('internal', 'ffmpeg loudnorm printed no measurement');
  const json = JSON.parse(block) as Record<string, string>;
  const num = (key: string) => {
    const value = Number(json[key]);
    // Silence measures -inf: report it as very quiet rather than as no number at all.
    return Number.isFinite(value) ? value : json[key]?.includes('-inf') ? -99 : NaN;
  };
  return {
    integrated: num('input_i'),
    truePeak: num('input_tp'),
    range: num('input_lra'),
    threshold: num('input_thresh'),
    offset: num('target_offset'),
  };
}

/**
 * The second pass: loudnorm with the first pass's measurements (linear when it can keep the true peak under
 * the ceiling), back to 44.1 kHz (loudnorm works at 192 kHz). Half a dB of headroom under the ceiling
 * covers what the AAC encoder adds to the peaks.
 */
export function applyFilter(target: LoudnessTarget, measured: LoudnessMeasure): string {
  const silent = !(measured.integrated > -70);
  if (silent) return 'aresample=44100';
  const f = (n: number) => n.toFixed(2);
  return (
    `loudnorm=I=${target.integratedLufs}:TP=${f(target.truePeakDb - 0.5)}:LRA=${LRA}` +
    `:measured_I=${f(measured.integrated)}:measured_TP=${f(measured.truePeak)}` +
    `:measured_LRA=${f(measured.range)}:measured_thresh=${f(measured.threshold)}` +
    `:offset=${f(measured.offset)}:linear=true:print_format=none,aresample=44100`
  );
}

export interface PreparedSound {
  /** The file the render should normalise: the mix, or its peak-limited copy. */
  file: string;
  /** The measurement loudnorm's second pass is given. */
  measured: LoudnessMeasure;
  /** The first measurement, of the mix as made. */
  before: LoudnessMeasure;
  /** How far the peaks were limited, dB (0: not at all). */
  limitedDb: number;
}

/** The least alimiter takes (−24 dBFS). */
const MIN_LIMIT = 0.0625;

export async function prepareLoudness(
  tools: MediaTools,
  mix: string,
  target: LoudnessTarget,
  signal?: AbortSignal,
): Promise<PreparedSound> {
  const before = await measureLoudness(tools, mix, target, signal);
  if (!(before.integrated > -70)) return { file: mix, measured: before, before, limitedDb: 0 };
  // The peaks may stand this far above the loudness (1 dB under the ceiling covers true peaks between samples).
  const allowed = target.truePeakDb - 1 - target.integratedLufs;
  if (before.truePeak - before.integrated <= allowed)
    return { file: mix, measured: before, before, limitedDb: 0 };
  const limited = path.join(path.dirname(mix), `limited-${path.basename(mix)}`);
  // Limiting lowers the loudness too, which asks for more gain: a few rounds settle it.
  let limitDb = before.integrated + allowed;
  let measured = before;
  for (let round = 0; round < 4; round++) {
    const limit = Math.max(MIN_LIMIT, Math.min(1, 10 ** (limitDb / 20)));
    await writeAtomically(limited, (temp) =>
      runTool(
        tools.ffmpeg,
        [
          ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', path.resolve(mix)],
          ...['-af', `alimiter=limit=${limit.toFixed(5)}:attack=1:release=50:level=false`],
          ...['-c:a', 'pcm_f32le', '-f', 'wav', temp],
        ],
        { signal, timeoutMs: 300_000 },
      ),
    );
    measured = await measureLoudness(tools, limited, target, signal);
    const excess = measured.truePeak - measured.integrated - allowed;
    if (excess <= 0.2) break;
    limitDb -= excess;
  }
  return {
    file: limited,
    measured,
    before,
    limitedDb: Math.round((before.truePeak - measured.truePeak) * 100) / 100,
  };
}
