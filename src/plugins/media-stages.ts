// The media stages' plug-in contract: generate (voice-over and background), assemble (the video) and check
// (its quality). The built-in implementation (builtin-media.ts) renders real videos with ffmpeg; tests and
// the throughput benchmark can swap in a stand-in that renders nothing.
import type { Caption } from '../media/captions.ts';
import type { Script } from '../content/content-model.ts';
import type { VoiceChoice } from '../media/media-policy.ts';
import type { VoiceTrack } from '../media/voice.ts';

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

/** Something worth an event in the log (a voice that fell back, a visual source that failed…). */
export interface MediaNotice {
  eventType: string;
  message: string;
  context: Record<string, unknown>;
}

/**
 * A voice: reads a text into a WAV file. Built in: espeak (espeak-ng, the offline default) and openai (any
 * endpoint speaking OpenAI's text-to-speech API), in src/media/voice-engines.ts. The content policy lists the
 * voices to try per niche and language; one that throws or is too slow gives way to the next.
 */
export interface VoiceEngine {
  readonly name: string;
  speak(input: {
    text: string;
    choice: VoiceChoice;
    wordsPerMinute: number;
    outFile: string;
    signal: AbortSignal;
  }): Promise<VoiceTrack>;
}

/** One clip or image chosen for a script beat, fetched to a local file. */
export interface VisualPick {
  /** The source's name (library, pexels…). */
  source: string;
  /** The source's own id of the clip: the library file's name, Pexels' video id. */
  id: string;
  file: string;
  licence: string;
  /** Where the clip is credited or can be found (the Pexels page), if anywhere. */
  url: string | null;
}

/**
 * A visual source: picks one clip per script beat by the beat's keywords. Built in (src/media/
 * visual-sources.ts): the local media library (its keywords.json), Pexels' video search, and the generated
 * colour scenes (the offline default, which answer when no source does). null: nothing fits.
 */
export interface VisualSource {
  readonly name: string;
  pick(input: {
    keywords: string[];
    /** How long the beat lasts: a shorter clip is looped. */
    seconds: number;
    /** Ids already used in this video, never to be picked again. */
    exclude: ReadonlySet<string>;
    /** Where a fetched clip may be kept. */
    dir: string;
    signal: AbortSignal;
  }): Promise<VisualPick | null>;
}

export interface MediaStages {
  readonly name: string;
  generate(input: {
    contentId: string;
    script: Script;
    format: string;
    /** The content's niche: picks the media policy (voices, music, visuals). */
    nicheSlug?: string | null;
    dir: string;
    wordsPerMinute: number;
    signal: AbortSignal;
    /** Records a notice as an event (a voice fallback…); a stage that has none drops them. */
    notify?: (notice: MediaNotice) => Promise<void>;
  }): Promise<GeneratedAssets>;
  assemble(input: {
    contentId: string;
    script: Script;
    nicheSlug?: string | null;
    assets: GeneratedAssets;
    outFile: string;
    signal: AbortSignal;
  }): Promise<AssembledVideo>;
  check(input: {
    file: string;
    script: Script;
    nicheSlug?: string | null;
    /** What assemble recorded (loudness measured, music, visuals): its checks are read from here. */
    details?: Record<string, unknown>;
    /** What generate made: a silent voice-over is then no fault of the video. */
    assets: GeneratedAssets;
    captions: Caption[];
    minSeconds: number;
    maxSeconds: number;
    blackFrameMaxSeconds: number;
    signal: AbortSignal;
  }): Promise<QualityResult>;
}
