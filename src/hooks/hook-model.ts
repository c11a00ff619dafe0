// Hooks: the opening lines of videos, as templates with {placeholders}, and what is known of how each does.
import { isOneOf, type OneOf } from '../errors.ts';

export const hookPlaceholders = ['topic', 'niche'] as const;
export type HookPlaceholder = OneOf<typeof hookPlaceholders>;

/**
 * What the feedback loop knows of a hook on one platform: `score` is the share of its posts that did well
 * (0–1), over `samples` posts. The metrics feedback job writes it into hooks.platform_scores as
 * { "tiktok": { "score": 0.41, "samples": 17 }, … }; the selector reads it as a Beta posterior.
 */
export interface PlatformScore {
  score: number;
  samples: number;
}

export interface Hook {
  id: string;
  category: string;
  template: string;
  nicheId: string | null;
  nicheSlug: string | null;
  /** 0–1: the feedback loop's overall score, or the prior it was added with; null when unknown. */
  effectivenessScore: number | null;
  usageCount: number;
  platformScores: Partial<Record<string, PlatformScore>>;
  createdAt: Date;
  /** When it was retired: the selector no longer picks it. null: in use. */
  retiredAt: Date | null;
}

/** What the feedback loop learned of a hook: its overall score and its score on each platform. */
export interface HookScores {
  hookId: string;
  effectivenessScore: number;
  platformScores: Partial<Record<string, PlatformScore>>;
}

/** Fills a template's placeholders. */
export function renderHook(template: string, values: Record<HookPlaceholder, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    isOneOf(hookPlaceholders, name) ? values[name] : whole,
  );
}

/** Placeholders a template uses that sovi cannot fill. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{(\w*)\}/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !isOneOf(hookPlaceholders, name));
}
