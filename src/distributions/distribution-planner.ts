// Distribution planning: which accounts carry a finished video. Same niche, active and live, on a platform
// the format suits, within each account's cadence (posts per day, gap since its last post) and each
// platform's daily quota; least recently posting accounts first. Writes pending distributions.
import { parsePlatform, platformRules, type Platform } from '../platforms.ts';
import type { Executor } from '../db/executor.ts';
import type { ContentPolicy } from '../content/content-policy.ts';
import type { Script } from '../content/content-model.ts';
import { postCaption } from '../content/post-text.ts';
import { utcDayStart } from '../time.ts';
import {
  cadenceCandidates,
  countForContent,
  insertPending,
  lockPlanning,
  postsSince,
} from './distributions-repository.ts';

export interface PlannedDistribution {
  id: string;
  accountId: string;
  platform: Platform;
}

export interface DistributionTarget {
  contentId: string;
  nicheId: string | null;
  format: string;
  script: Script;
}

/** Caption and hashtags for a platform, from the script. */
export function captionFor(script: Script, platform: Platform): { caption: string; hashtags: string[] } {
  const rules = platformRules[platform];
  const hashtags = script.hashtags.slice(0, rules.maxHashtags);
  const caption = postCaption(script, rules.captionMaxChars);
  return { caption, hashtags };
}

export async function planDistributions(
  trx: Executor,
  target: DistributionTarget,
  policy: ContentPolicy,
  now: Date,
): Promise<PlannedDistribution[]> {
  const format = policy.formats[target.format];
  const wanted = policy.distribution.accountsPerContent;
  const missing = wanted - (await countForContent(trx, target.contentId));
  if (!format || missing <= 0 || target.nicheId === null) return [];
  // Planning is a few milliseconds; the wait for another planner is short.
  await lockPlanning(trx);
  const dayStart = utcDayStart(now);
  const gapStart = new Date(now.getTime() - policy.distribution.minGapMinutes * 60_000);

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

  const chosen: { accountId: string; platform: Platform }[] = [];
  for (const c of candidates) {
    if (chosen.length === missing) break;
    if ((left.get(c.platform) ?? 0) <= 0) continue;
    left.set(c.platform, (left.get(c.platform) ?? 0) - 1);
    chosen.push({ accountId: c.id, platform: c.platform });
  }
  if (chosen.length === 0) return [];
  const inserted = await insertPending(
    trx,
    chosen.map((c) => ({
      contentId: target.contentId,
      accountId: c.accountId,
      platform: c.platform,
      ...captionFor(target.script, c.platform),
    })),
  );
  return inserted.map((r) => ({ id: r.id, accountId: r.account_id, platform: parsePlatform(r.platform) }));
}
