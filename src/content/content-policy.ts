// The content policy: which platforms each format suits and how long it may run, the distribution cadence,
// and the quality bar. Defaults here; SOVI_CONTENT_POLICY_FILE (JSON) overrides any part.
import { z } from 'zod';
import { perPlatform, platforms, type Platform } from '../platforms.ts';
import { readPolicyFile } from '../settings/parse-options.ts';

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
  })
  .strict();

export function loadContentPolicy(file: string | undefined): ContentPolicy {
  if (file === undefined) return defaultContentPolicy;
  const o = readPolicyFile(overrides, file, 'SOVI_CONTENT_POLICY_FILE');
  const d = defaultContentPolicy;
  return {
    formats: { ...d.formats, ...o.formats },
    distribution: {
      ...d.distribution,
      ...o.distribution,
      platformDailyQuota: { ...d.distribution.platformDailyQuota, ...o.distribution?.platformDailyQuota },
    },
    quality: { ...d.quality, ...o.quality },
    wordsPerMinute: o.wordsPerMinute ?? d.wordsPerMinute,
  };
}
