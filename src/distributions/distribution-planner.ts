// Distribution planning: which accounts carry a finished video. Same niche, active and live, on a platform
// the format suits, within each account's cadence (posts per day, gap since its last post) and each
// platform's daily quota; least recently posting accounts first. Writes pending distributions.
//
// An account with a posting schedule (its own or its niche's) is placed in its next free slot instead
// (posting-slots.ts: its windows, max per local day, minimum gap, the platform's daily limit); one with no
// free slot within the horizon is not planned, so nothing is scheduled past a limit. An account without a
// schedule posts now, as before the calendar. An account that already has a distribution of the content
// (even a rejected or cancelled one) is never planned for it again.
import { isConnected } from '../connections/connections-service.ts';
import { parsePlatform, platformRules, type Platform } from '../platforms.ts';
import type { Executor } from '../db/executor.ts';
import type { ContentPolicy } from '../content/content-policy.ts';
import type { Script } from '../content/content-model.ts';
import { postCaption } from '../content/post-text.ts';
import { utcDayStart } from '../time.ts';
import { defaultPostOptions, type DistributionReview } from './distribution-model.ts';
import {
  cadenceCandidates,
  countForContent,
  insertPending,
  lockPlanning,
  postsSince,
  takenSlots,
} from './distributions-repository.ts';
import { postingWindowsOf } from './posting-schedules-service.ts';
import { findNextSlot, SLOT_HORIZON_DAYS } from './posting-slots.ts';

export interface PlannedDistribution {
  id: string;
  accountId: string;
  platform: Platform;
  scheduledAt: Date;
}

export interface DistributionTarget {
  contentId: string;
  nicheId: string | null;
  format: string;
  script: Script;
  /** The music's attribution, when the policy appends it to the caption. */
  attribution?: string | null;
}

/** Caption and hashtags for a platform, from the script. */
export function captionFor(
  script: Script,
  platform: Platform,
  attribution?: string | null,
): { caption: string; hashtags: string[] } {
  const rules = platformRules[platform];
  const hashtags = script.hashtags.slice(0, rules.maxHashtags);
  const caption = postCaption(script, rules.captionMaxChars, attribution);
  return { caption, hashtags };
}

/**
 * The next free slot of an account after `after`: from its posting schedule, or `after` itself when it has
 * none. null when its schedule has no free slot within the horizon. `except` leaves one distribution (the
 * one being placed again) out of the account's taken slots.
 */
export async function nextSlotFor(
  trx: Executor,
  account: { id: string; platform: Platform },
  after: Date,
  except?: string,
): Promise<Date | null> {
  const schedule = await postingWindowsOf(trx, account.id);
  if (!schedule) return after;
  const dayMs = 86_400_000;
  const taken = await takenSlots(
    trx,
    account.id,
    new Date(after.getTime() - 2 * dayMs),
    new Date(after.getTime() + (SLOT_HORIZON_DAYS + 2) * dayMs),
    except,
  );
  return findNextSlot({
    schedule,
    platformMaxPerDay: platformRules[account.platform].maxPostsPerDay,
    taken,
    after,
  });
}

export async function planDistributions(
  trx: Executor,
  target: DistributionTarget,
  policy: ContentPolicy,
  now: Date,
  review: DistributionReview | null = null,
  /** Platforms posted to through an official connector: an account not connected there is never planned. */
  connectionRequired: readonly Platform[] = [],
): Promise<PlannedDistribution[]> {
  const format = policy.formats[target.format];
  const wanted = policy.distribution.accountsPerContent;
  const missing = wanted - (await countForContent(trx, target.contentId));
  if (!format || missing <= 0 || target.nicheId === null) return [];
  // Planning is a few milliseconds; the wait for another planner is short.
  await lockPlanning(trx);
  const dayStart = utcDayStart(now);
  // No gap asked for: no account is held back by a post. (A gap of 0 measured from `now` would hold back
  // an account whose post went out while this planner waited for the lock, after `now` was read.)
  const gapMinutes = policy.distribution.minGapMinutes;
  const gapStart = gapMinutes > 0 ? new Date(now.getTime() - gapMinutes * 60_000) : null;

  // Posts already out or planned today, per platform: what the daily quotas have left.
  const left = new Map<string, number>(
    format.platforms.map((p) => [p, policy.distribution.platformDailyQuota[p]]),
  );
  for (const row of await postsSince(trx, dayStart))
    if (left.has(row.platform)) left.set(row.platform, (left.get(row.platform) ?? 0) - row.n);

  const candidates = await cadenceCandidates(trx, {
    contentId: target.contentId,
    nicheId: target.nicheId,
    platforms: format.platforms,
    gapStart,
    dayStart,
    maxPostsPerAccountPerDay: policy.distribution.maxPostsPerAccountPerDay,
    limit: missing * 4,
  });

  const chosen: { accountId: string; platform: Platform; slot: Date }[] = [];
  for (const c of candidates) {
    if (chosen.length === missing) break;
    if ((left.get(c.platform) ?? 0) <= 0) continue;
    if (connectionRequired.includes(c.platform) && !(await isConnected(trx, c.id, c.platform))) continue;
    const slot = await nextSlotFor(trx, c, now);
    if (!slot) continue;
    left.set(c.platform, (left.get(c.platform) ?? 0) - 1);
    chosen.push({ accountId: c.id, platform: c.platform, slot });
  }
  if (chosen.length === 0) return [];
  const inserted = await insertPending(
    trx,
    chosen.map((c) => ({
      contentId: target.contentId,
      accountId: c.accountId,
      platform: c.platform,
      ...captionFor(target.script, c.platform, target.attribution),
      scheduledAt: c.slot,
      options: defaultPostOptions,
      review,
    })),
  );
  return inserted.map((r) => ({
    id: r.id,
    accountId: r.account_id,
    platform: parsePlatform(r.platform),
    scheduledAt: r.scheduled_at ?? now,
  }));
}
