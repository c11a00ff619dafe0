// The media part of the content policy, per niche slug ('*': every niche not named): the narration's
// language and the voices that read it (tried in order: a failed or slow voice falls back to the next), the
// music mood, the loudness target, the caption style and the visual sources. A niche's entry overrides the
// '*' entry field by field; SOVI_CONTENT_POLICY_FILE's `media` section overrides these defaults.
import { z } from 'zod';
import type { OneOf } from '../errors.ts';

export const voiceEngines = ['espeak', 'openai'] as const;
export type VoiceEngineName = OneOf<typeof voiceEngines>;

export interface VoiceChoice {
  engine: VoiceEngineName;
  /** espeak-ng's voice name (en-us) or the endpoint's voice (alloy…). */
  voice: string;
  /** openai: the model (tts-1, kokoro…). */
  model?: string;
  /** openai: 0.25–4 (1 normal). espeak: taken from wordsPerMinute. */
  speed?: number;
  /** openai: the response_format asked for. */
  format?: 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';
  /** openai: a request slower than this falls back to the next voice. */
  timeoutMs?: number;
}

export const captionPositions = ['bottom', 'middle', 'top'] as const;

export interface CaptionStyle {
  font: string;
  /** Share of the frame's height, e.g. 0.046. */
  size: number;
  /** #RRGGBB */
  colour: string;
  outlineColour: string;
  /** Share of the frame's height. */
  outline: number;
  position: OneOf<typeof captionPositions>;
  wordsPerLine: number;
  /** The word being spoken in this colour (#RRGGBB), or null for no word-by-word highlight. */
  highlight: string | null;
}

export const visualSourceNames = ['library', 'pexels', 'generated'] as const;
export type VisualSourceName = OneOf<typeof visualSourceNames>;

export interface NicheMediaPolicy {
  /** The narration's language: picks the voice list. */
  language: string;
  /** Voices per language, tried in order. */
  voices: Record<string, VoiceChoice[]>;
  music: {
    /** The mood picked from SOVI_MUSIC_LIBRARY's manifest; null: no music. */
    mood: string | null;
    /** The music's loudness against the voice's before ducking, dB (−12: 12 dB under the voice). */
    volumeDb: number;
    /** Append the track's attribution text to the post caption. */
    attributionInCaption: boolean;
  };
  loudness: { integratedLufs: number; truePeakDb: number };
  captions: CaptionStyle;
  /** Tried in order for each beat; 'generated' always answers. */
  visuals: VisualSourceName[];
}

export const defaultNicheMedia: NicheMediaPolicy = {
  language: 'en',
  voices: { en: [{ engine: 'espeak', voice: 'en-us' }] },
  music: { mood: 'calm', volumeDb: -12, attributionInCaption: true },
  loudness: { integratedLufs: -14, truePeakDb: -1 },
  captions: {
    font: 'DejaVu Sans',
    size: 0.046,
    colour: '#FFFFFF',
    outlineColour: '#000000',
    outline: 0.0036,
    position: 'middle',
    wordsPerLine: 4,
    highlight: null,
  },
  visuals: ['library', 'generated'],
};

const colour = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'colours are #RRGGBB');
const voiceChoice = z
  .object({
    engine: z.enum(voiceEngines),
    voice: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_+.-]{0,60}$/, 'a voice name'),
    model: z.string().min(1).max(100).optional(),
    speed: z.number().min(0.25).max(4).optional(),
    format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).optional(),
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
  })
  .strict();

export const nicheMediaOverrides = z
  .object({
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'a language tag such as en or pt-BR')
      .optional(),
    voices: z.record(z.string().min(2).max(12), z.array(voiceChoice).min(1).max(10)).optional(),
    music: z
      .object({
        mood: z
          .string()
          .regex(/^[a-z][a-z0-9_-]{0,30}$/)
          .nullable()
          .optional(),
        volumeDb: z.number().min(-60).max(0).optional(),
        attributionInCaption: z.boolean().optional(),
      })
      .strict()
      .optional(),
    loudness: z
      .object({
        integratedLufs: z.number().min(-40).max(-5).optional(),
        truePeakDb: z.number().min(-9).max(0).optional(),
      })
      .strict()
      .optional(),
    captions: z
      .object({
        font: z
          .string()
          .regex(/^[A-Za-z0-9 _-]{1,60}$/)
          .optional(),
        size: z.number().min(0.01).max(0.15).optional(),
        colour: colour.optional(),
        outlineColour: colour.optional(),
        outline: z.number().min(0).max(0.02).optional(),
        position: z.enum(captionPositions).optional(),
        wordsPerLine: z.number().int().min(1).max(12).optional(),
        highlight: colour.nullable().optional(),
      })
      .strict()
      .optional(),
    visuals: z.array(z.enum(visualSourceNames)).min(1).max(3).optional(),
  })
  .strict();
export type NicheMediaOverrides = z.infer<typeof nicheMediaOverrides>;

export const mediaPolicyOverrides = z.record(
  z.string().regex(/^(\*|[a-z][a-z0-9_]*)$/, 'media keys are niche slugs, or * for every niche'),
  nicheMediaOverrides,
);

/** The media policy of a niche: the defaults, then '*', then the niche's own entry. */
export function mediaPolicyFor(
  media: Readonly<Record<string, NicheMediaOverrides>>,
  nicheSlug: string | null,
): NicheMediaPolicy {
  const layers = [media['*'], nicheSlug === null ? undefined : media[nicheSlug]].filter(
    (l): l is NicheMediaOverrides => l !== undefined,
  );
  return layers.reduce<NicheMediaPolicy>(
    (acc, o) => ({
      language: o.language ?? acc.language,
      voices: { ...acc.voices, ...o.voices },
      music: { ...acc.music, ...o.music },
      loudness: { ...acc.loudness, ...o.loudness },
      captions: { ...acc.captions, ...o.captions },
      visuals: o.visuals ?? acc.visuals,
    }),
    defaultNicheMedia,
  );
}

/** The voices to try for a niche: its language's list, else English's, else espeak's default. */
export function voicesFor(policy: NicheMediaPolicy): VoiceChoice[] {
  return policy.voices[policy.language] ?? policy.voices.en ?? defaultNicheMedia.voices.en!;
}
