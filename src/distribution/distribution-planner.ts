// Distribution planning: which accounts carry a finished video. Same niche, active and live, on a platform
// the format suits, within each account's cadence (posts per day, gap since its last post) and each
// platform's daily quota; least recently posting accounts first. Writes pending distributions.
import { sql } from 'kysely';
import { platformRules, type Platform } from '../platforms.ts';
import type { Executor } from '../db/executor.ts';
import type { ContentPolicy } from '../content/content-policy.ts';
import type { Script } from '../content/content-model.ts';
import { utcDayStart } from '../time.ts';

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
  const caption = `${script.title} ${script.cta}`.trim().slice(0, rules.captionMaxChars);
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
  const existing = await trx
    .selectFrom('distributions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('content_id', '=', target.contentId)
    .executeTakeFirstOrThrow();
  const missing = wanted - Number(existing.n);
  if (!format || missing <= 0 || target.nicheId === null) return [];
  // Planners take turns: the daily quotas are counted over every account, so two planners counting at once
  // could both spend the last slot. Planning is a few milliseconds; the wait is short.
  await sql`SELECT pg_advisory_xact_lock(hashtext('sovi:distribution-planning'))`.execute(trx);
  const dayStart = utcDayStart(now);
  const gapStart = new Date(now.getTime() - policy.distribution.minGapMinutes * 60_000);

  // Posts already out or planned today, per platform: what the daily quotas have left.
  const used = await sql<{ platform: string; n: number }>`
    SELECT platform, count(*)::int AS n FROM distributions
    WHERE (posted_at >= ${dayStart}) OR (status = 'pending' AND created_at >= ${dayStart})
    GROUP BY platform`.execute(trx);
  const left = new Map<string, number>(
    format.platforms.map((p) => [p, policy.distribution.platformDailyQuota[p]]),
  );
  for (const row of used.rows)
    if (left.has(row.platform)) left.set(row.platform, (left.get(row.platform) ?? 0) - row.n);

  // Candidates within their cadence, least recently posting first, a planned post counting as a post (so
  // that content planned in a row spreads over the accounts). Locked against other writers of the account.
  const { rows: candidates } = await sql<{ id: string; platform: Platform }>`
    SELECT a.id, a.platform FROM accounts a
    WHERE a.niche_id = ${target.nicheId} AND a.current_state = 'active' AND a.deleted_at IS NULL
      AND a.platform = ANY(${format.platforms}::text[])
      AND (a.last_post_at IS NULL OR a.last_post_at <= ${gapStart})
      AND NOT EXISTS (SELECT 1 FROM distributions d WHERE d.account_id = a.id AND d.content_id = ${target.contentId})
      AND NOT EXISTS (SELECT 1 FROM distributions d WHERE d.account_id = a.id AND d.status = 'pending' AND d.created_at > ${gapStart})
      AND (SELECT count(*) FROM distributions d
           WHERE d.account_id = a.id AND (d.posted_at >= ${dayStart} OR (d.status = 'pending' AND d.created_at >= ${dayStart})))
          < ${policy.distribution.maxPostsPerAccountPerDay}
    ORDER BY greatest(a.last_post_at,
               (SELECT max(d.created_at) FROM distributions d WHERE d.account_id = a.id AND d.status = 'pending'))
             ASC NULLS FIRST,
             a.followers DESC, a.id
    LIMIT ${missing * 4}
    FOR UPDATE OF a`.execute(trx);

  const chosen: { accountId: string; platform: Platform }[] = [];
  for (const c of candidates) {
    if (chosen.length === missing) break;
    if ((left.get(c.platform) ?? 0) <= 0) continue;
    left.set(c.platform, (left.get(c.platform) ?? 0) - 1);
    chosen.push({ accountId: c.id, platform: c.platform });
  }
  if (chosen.length === 0) return [];
  const inserted = await trx
    .insertInto('distributions')
    .values(
      chosen.map((c) => {
        const { caption, hashtags } = captionFor(target.script, c.platform);
        return {
          content_id: target.contentId,
          account_id: c.accountId,
          platform: c.platform,
          caption,
          hashtags,
          status: 'pending',
        };
      }),
    )
    .onConflict((oc) => oc.columns(['content_id', 'account_id']).doNothing())
    .returning(['id', 'account_id', 'platform'])
    .execute();
  return inserted.map((r) => ({ id: r.id, accountId: r.account_id, platform: r.platform as Platform }));
}
