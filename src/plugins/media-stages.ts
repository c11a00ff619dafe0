// The media stages' plug-in contract: generate (voice-over and background), assemble (the video) and check
// (its quality). The built-in implementation (builtin-media.ts) renders real videos with ffmpeg; tests and
// the throughput benchmark can swap in a stand-in that renders nothing.
import type { Caption } from '../media/captions.ts';
import type { Script } from '../content/content-model.ts';

export interface GeneratedAssets {
  voice: { file: string; durationSeconds: number; kind: string };
  background: { file: string; durationSeconds: number; kind: string; source?: string };
}

export type { Caption } from '../media/captions.ts';

export interface AssembledVideo {
  outputPath: string;
  durationSeconds: number;
  captions: Caption[];
  /** Anything worth keeping in the asset manifest (render time, sizes…). */
  details: Record<string, unknown>;
}

export interface QualityResult {
  score: number;
  checks: {
    name: string;
    passed: boolean;
    value: number | string | null;
    expected: string;
    weight: number;
  }[];
}

export interface MediaStages {
  readonly name: string;
  generate(input: {
    contentId: string;
    script: Script;
    format: string;
    dir: string;
    wordsPerMinute: number;
    signal: AbortSignal;
  }): Promise<GeneratedAssets>;
  assemble(input: {
    contentId: string;
    script: Script;
    assets: GeneratedAssets;
    outFile: string;
    signal: AbortSignal;
  }): Promise<AssembledVideo>;
  check(input: {
    file: string;
    script: Script;
    /** What generate made: a silent voice-over is then no fault of the video. */
    assets: GeneratedAssets;
    captions: Caption[];
    minSeconds: number;
    maxSeconds: number;
    blackFrameMaxSeconds: number;
    signal: AbortSignal;
  }): Promise<QualityResult>;
}
