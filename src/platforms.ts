// The platforms sovi posts to, declared once. Everything else derives from this list: the accounts CHECK
// constraint's values, the warming index's predicate (both compared with it by test/db), the content
// policy's per-platform keys, the API's enums, the CLI's choices and tables. A new platform is one entry
// here and one in platformRules; the compiler then points at every per-platform table that needs it.
import { isOneOf, oneOf, type OneOf } from './errors.ts';

export const platforms = ['tiktok', 'instagram'] as const;
export type Platform = OneOf<typeof platforms>;

/** How sovi names each platform to people. */
export const platformLabels: Readonly<Record<Platform, string>> = {
  tiktok: 'TikTok',
  instagram: 'Instagram',
};

export const isPlatform = (value: string): value is Platform => isOneOf(platforms, value);

/** A platform named by a person or a row; anything else is an error naming `field`. */
export function parsePlatform(value: string, field = 'platform'): Platform {
  return oneOf(platforms, value, field);
}

export interface PlatformRules {
  /** What a post's caption may hold (TikTok's description is short; Instagram's caption is long). */
  captionMaxChars: number;
  /** Hashtags sovi puts on a post. */
  maxHashtags: number;
  /**
   * Posts one account may publish per day through the platform's posting API (TikTok's Content Posting API
   * caps a creator at about 15 a day; Instagram's content publishing API at 25 in 24 hours). The calendar
   * never schedules past it.
   */
  maxPostsPerDay: number;
}

export const platformRules: Readonly<Record<Platform, PlatformRules>> = {
  tiktok: { captionMaxChars: 150, maxHashtags: 5, maxPostsPerDay: 15 },
  instagram: { captionMaxChars: 2_000, maxHashtags: 8, maxPostsPerDay: 25 },
};

/** A value per platform, e.g. a quota or a zod schema per key. */
export const perPlatform = <T>(value: (platform: Platform) => T): Record<Platform, T> =>
  Object.fromEntries(platforms.map((p) => [p, value(p)])) as Record<Platform, T>;
