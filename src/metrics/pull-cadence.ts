// How often a post's numbers are read, by its age: the one home of that rule. A new post changes by the
// hour, a week-old one by the day; past the pull's horizon (SOVI_METRICS_PULL_MAX_AGE_DAYS) it is not read.
const HOUR = 3_600_000;

/** Up to `ageHours` old, a post is read every `everyHours`. Ordered by age. */
export const pullCadence: readonly { ageHours: number; everyHours: number }[] = [
  { ageHours: 24, everyHours: 1 },
  { ageHours: 72, everyHours: 3 },
  { ageHours: 7 * 24, everyHours: 12 },
  { ageHours: Infinity, everyHours: 24 },
];

/** How long a post of this age waits between reads, or undefined once it is past the horizon. */
export function pullIntervalMs(ageMs: number, maxAgeDays: number): number | undefined {
  if (ageMs > maxAgeDays * 24 * HOUR) return undefined;
  const step = pullCadence.find((s) => ageMs <= s.ageHours * HOUR) ?? pullCadence.at(-1)!;
  return step.everyHours * HOUR;
}

/**
 * Whether a post is due: never read, or read longer ago than its age's interval. A few minutes' slack keeps
 * a post read at 10:00:05 due again at the 11:00 tick of an hourly cron.
 */
export function isPullDue(
  post: { postedAt: Date; lastReadAt: Date | null },
  now: Date,
  maxAgeDays: number,
): boolean {
  const interval = pullIntervalMs(now.getTime() - post.postedAt.getTime(), maxAgeDays);
  if (interval === undefined) return false;
  if (!post.lastReadAt) return true;
  return now.getTime() - post.lastReadAt.getTime() >= interval - SLACK_MS;
}

const SLACK_MS = 5 * 60_000;
