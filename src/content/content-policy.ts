// The content policy: which platforms each format suits and how long it may run, the distribution cadence,
// and the quality bar. Defaults here; SOVI_CONTENT_POLICY_FILE (JSON) overrides any part.
import { z } from 'zod';
import { perPlatform, platforms, type Platform } from '../platforms.ts';
import { loadPolicy } from '../settings/parse-options.ts';
import { mediaPolicyOverrides, type NicheMediaOverrides } from '../media/media-policy.ts';
import type { OneOf } from '../errors.ts';

/**
 * Whether a niche's content waits for a reviewer after assembly:
 * - required: its posts are planned (caption, hashtags, slot per account) but none goes out until a
 *   reviewer approves it; a reviewer may approve some accounts and reject the others, or reject it all.
 * - optional: it shows in the review queue, but its posts are scheduled at once and go out at their slots
 *   unless a reviewer rejects them (or some of them) first; approving only records the decision and edits.
 * - off: no review; posts are scheduled at once.
 */
export const reviewModes = ['required', 'optional', 'off'] as const;
export type ReviewMode = OneOf<typeof reviewModes>;

/** The writers whose scripts a language model wrote: their content needs review unless the policy says. */
const languageModelWriters = new Set(['openai']);

export interface FormatPolicy {
  platforms: Platform[];
  minSeconds: number;
  maxSeconds: number;
}

export interface ContentPolicy {
  formats: Record<string, FormatPolicy>;
  distribution: {
    /** How many accounts one piece of content is posted to. */
    accountsPerContent: number;
    maxPostsPerAccountPerDay: number;
    /** Minutes since an account's last post (or planned post) before it posts again. */
    minGapMinutes: number;
    /** Posts per platform per UTC day, over all accounts. */
    platformDailyQuota: Record<Platform, number>;
    /** Publish attempts before a distribution fails. */
    publishAttempts: number;
  };
  quality: {
    /** Below this quality_score the production fails instead of being posted. */
    minScore: number;
    /**
     * Checks that fail the production whatever the score: a video of the wrong length or size, or without
     * sound, is refused by the platforms or useless there, however good the rest is.
     */
    requiredChecks: string[];
    blackFrameMaxSeconds: number;
  };
  /** Words per minute the narration is spoken (and timed) at. */
  wordsPerMinute: number;
  /**
   * Review per niche slug ('*': every niche not named). A niche with no entry: required when a language
   * model wrote the script, off otherwise.
   */
  review: Record<string, ReviewMode>;
  /** Voice, music, loudness, caption style and visuals per niche slug ('*': every niche); see media-policy.ts. */
  media: Record<string, NicheMediaOverrides>;
}

/** Whether content of a niche whose script `writer` wrote waits for review (see reviewModes). */
export function reviewModeFor(policy: ContentPolicy, nicheSlug: string | null, writer: string): ReviewMode {
  const set = (nicheSlug !== null ? policy.review[nicheSlug] : undefined) ?? policy.review['*'];
  return set ?? (languageModelWriters.has(writer) ? 'required' : 'off');
}

export const defaultContentPolicy: ContentPolicy = {
  formats: {
    faceless: { platforms: [...platforms], minSeconds: 6, maxSeconds: 90 },
    reddit_story: { platforms: ['tiktok'], minSeconds: 10, maxSeconds: 180 },
  },
  distribution: {
    accountsPerContent: 3,
    maxPostsPerAccountPerDay: 2,
    minGapMinutes: 180,
    platformDailyQuota: perPlatform(() => 200),
    publishAttempts: 4,
  },
  quality: {
    minScore: 0.7,
    blackFrameMaxSeconds: 1.5,
    requiredChecks: ['duration', 'resolution', 'video_codec', 'audio_stream'],
  },
  wordsPerMinute: 165,
  review: {},
  media: {},
};

const platform = z.enum(platforms);
const overrides = z
  .object({
    formats: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]*$/, 'format names are snake_case'),
        z
          .object({
            platforms: z.array(platform).min(1),
            minSeconds: z.number().min(1).max(3_600),
            maxSeconds: z.number().min(1).max(3_600),
          })
          .strict()
          .refine((f) => f.maxSeconds >= f.minSeconds, 'maxSeconds must be ≥ minSeconds'),
      )
      .optional(),
    distribution: z
      .object({
        accountsPerContent: z.number().int().min(1).max(1_000).optional(),
        maxPostsPerAccountPerDay: z.number().int().min(1).max(100).optional(),
        minGapMinutes: z.number().int().min(0).max(10_080).optional(),
        platformDailyQuota: z
          .object(perPlatform(() => z.number().int().min(0).optional()))
          .strict()
          .optional(),
        publishAttempts: z.number().int().min(1).max(20).optional(),
      })
      .strict()
      .optional(),
    quality: z
      .object({
        minScore: z.number().min(0).max(1).optional(),
        blackFrameMaxSeconds: z.number().min(0).max(60).optional(),
        requiredChecks: z
          .array(z.string().regex(/^[a-z_]+$/, 'check names are snake_case'))
          .max(20)
          .optional(),
      })
      .strict()
      .optional(),
    wordsPerMinute: z.number().int().min(60).max(400).optional(),
    review: z
      .record(
        z.string().regex(/^(\*|[a-z][a-z0-9_]*)$/, 'review keys are niche slugs, or * for every niche'),
        z.enum(reviewModes),
      )
      .optional(),
    media: mediaPolicyOverrides.optional(),
  })
  .strict();

export function loadContentPolicy(file: string | undefined): ContentPolicy {
  return loadPolicy(file, 'SOVI_CONTENT_POLICY_FILE', overrides, defaultContentPolicy, (d, o) => ({
    formats: { ...d.formats, ...o.formats },
    distribution: {
      ...d.distribution,
      ...o.distribution,
      platformDailyQuota: { ...d.distribution.platformDailyQuota, ...o.distribution?.platformDailyQuota },
    },
    quality: { ...d.quality, ...o.quality },
    wordsPerMinute: o.wordsPerMinute ?? d.wordsPerMinute,
    review: { ...d.review, ...o.review },
    media: { ...d.media, ...o.media },
  }));
}
