// The dashboard's metric reads. Each reads a rollup through an index that bounds it to the rows it returns
// (plans in bench/README.md), so none grows with the raw table:
//   accountHourly  metrics_hourly, index (account_id, bucket): one account's distributions, hour by hour
//   nicheDaily     niche_metrics_daily, primary key (niche_id, day): one row per day
//   topContent     content_metrics_week, index (views_gained DESC): N rows; other spans than the trailing
//                  week sum content_metrics_daily by its (day) index
// recentAccountHours and recentNicheDays are the windows the API and the CLI show: the last N days to now.
import { nicheScopeCondition, type NicheScope } from '../niches/niche-scope.ts';
import { sql } from 'kysely';
import type { Db } from '../db/pool.ts';
import { DAY_MS, HOUR_MS, utcDay } from '../time.ts';

export interface AccountHour {
  bucket: Date;
  distributions: number;
  samples: number;
  /** Sum over the account's distributions of their last cumulative counts in the hour. */
  views: number;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  engagementRate: number | null;
  followers: number | null;
}

export async function accountHourly(db: Db, accountId: string, from: Date, to: Date): Promise<AccountHour[]> {
  const { rows } = await sql<{
    bucket: Date;
    distributions: number;
    samples: number;
    views: string;
    likes: string;
    comments: string;
    shares: string;
    saves: string;
    engagement_rate: number | null;
    followers: number | null;
  }>`
    SELECT bucket, count(*)::int AS distributions, sum(samples)::int AS samples,
           COALESCE(sum(views), 0) AS views, COALESCE(sum(likes), 0) AS likes,
           COALESCE(sum(comments), 0) AS comments, COALESCE(sum(shares), 0) AS shares,
           COALESCE(sum(saves), 0) AS saves,
           sum(engagement_rate * engagement_samples) / nullif(sum(engagement_samples), 0) AS engagement_rate,
           max(follower_count_at) AS followers
    FROM metrics_hourly
    WHERE account_id = ${accountId} AND bucket >= ${from} AND bucket < ${to}
    GROUP BY bucket ORDER BY bucket`.execute(db);
  return rows.map((r) => ({
    bucket: r.bucket,
    distributions: r.distributions,
    samples: r.samples,
    views: Number(r.views),
    likes: Number(r.likes),
    comments: Number(r.comments),
    shares: Number(r.shares),
    saves: Number(r.saves),
    engagementRate: r.engagement_rate,
    followers: r.followers,
  }));
}

/** An account's last `days` days hour by hour, up to the end of the current hour. */
export async function recentAccountHours(
  db: Db,
  accountId: string,
  days: number,
  now: Date = new Date(),
): Promise<{ from: Date; to: Date; hours: AccountHour[] }> {
  const to = new Date(Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS);
  const from = new Date(to.getTime() - days * DAY_MS);
  return { from, to, hours: await accountHourly(db, accountId, from, to) };
}

export interface NicheDay {
  day: string;
  viewsGained: number;
  likesGained: number;
  commentsGained: number;
  sharesGained: number;
  savesGained: number;
  engagementRate: number | null;
  accounts: number;
  followers: number | null;
  followerDelta: number | null;
  posts: number;
  warmingSessions: number;
}

export async function nicheDaily(db: Db, nicheId: string, from: string, to: string): Promise<NicheDay[]> {
  const { rows } = await sql<{
    day: string;
    views_gained: string;
    likes_gained: string;
    comments_gained: string;
    shares_gained: string;
    saves_gained: string;
    engagement_rate: number | null;
    accounts: number;
    followers: string | null;
    follower_delta: string | null;
    posts: number;
    warming_sessions: number;
  }>`
    SELECT day::text AS day, views_gained, likes_gained, comments_gained, shares_gained, saves_gained,
           engagement_rate, accounts, followers, follower_delta, posts, warming_sessions
    FROM niche_metrics_daily
    WHERE niche_id = ${nicheId} AND day >= ${from}::date AND day < ${to}::date
    ORDER BY day`.execute(db);
  const num = (v: string | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    day: r.day,
    viewsGained: Number(r.views_gained),
    likesGained: Number(r.likes_gained),
    commentsGained: Number(r.comments_gained),
    sharesGained: Number(r.shares_gained),
    savesGained: Number(r.saves_gained),
    engagementRate: r.engagement_rate,
    accounts: r.accounts,
    followers: num(r.followers),
    followerDelta: num(r.follower_delta),
    posts: r.posts,
    warmingSessions: r.warming_sessions,
  }));
}

/** A niche day by day, from the UTC day `days` days ago to today, both included. */
export async function recentNicheDays(
  db: Db,
  nicheId: string,
  days: number,
  now: Date = new Date(),
): Promise<NicheDay[]> {
  const tomorrow = new Date(now.getTime() + DAY_MS);
  return nicheDaily(
    db,
    nicheId,
    utcDay(new Date(tomorrow.getTime() - (days + 1) * DAY_MS)),
    utcDay(tomorrow),
  );
}

export interface TopContent {
  contentId: string;
  topic: string;
  nicheId: string | null;
  viewsGained: number;
  likesGained: number;
  /** Its views at the last day with data in the range, over all its distributions. */
  views: number;
}

/**
 * The content that gained the most views over the last `days` UTC days, today included (or over `range`). The trailing week
 * (the dashboard's read) comes from content_metrics_week, kept by the refresh job; other spans sum
 * content_metrics_daily.
 */
export async function topContent(
  db: Db,
  options: {
    days: number;
    limit: number;
    nicheId?: string | undefined;
    /** Only content in these niches (a niche-limited caller's). */
    scope?: NicheScope;
    now?: Date;
    /** UTC days `from` … `to`, both included, instead of the last `days` days. */
    range?: { from: string; to: string };
  },
): Promise<TopContent[]> {
  const today = options.range?.to ?? utcDay(options.now ?? new Date());
  const from = options.range?.from ?? utcDay(new Date(Date.parse(today) - (options.days - 1) * DAY_MS));
  const inScope = nicheScopeCondition(sql.ref('niche_id'), options.scope);
  const niche = sql`${options.nicheId ? sql`AND niche_id = ${options.nicheId}` : sql``} ${inScope ? sql`AND ${inScope}` : sql``}`;
  // The week table holds the trailing week only: its week_start says which one.
  const week =
    options.range === undefined && options.days === 7
      ? await db
          .selectFrom('content_metrics_week')
          .select(sql<boolean>`bool_and(week_start = ${from}::date)`.as('current'))
          .executeTakeFirst()
      : undefined;
  const ranked = week?.current
    ? sql`SELECT content_id, niche_id, views_gained, likes_gained, views FROM content_metrics_week
          WHERE true ${niche}
          ORDER BY views_gained DESC, content_id LIMIT ${options.limit}`
    : sql`SELECT content_id, niche_id, sum(views_gained) AS views_gained, sum(likes_gained) AS likes_gained,
                 (array_agg(views ORDER BY day DESC))[1] AS views
          FROM content_metrics_daily
          WHERE day >= ${from}::date AND day <= ${today}::date ${niche}
          GROUP BY content_id, niche_id
          ORDER BY sum(views_gained) DESC, content_id
          LIMIT ${options.limit}`;
  const { rows } = await sql<{
    content_id: string;
    topic: string;
    niche_id: string | null;
    views_gained: string;
    likes_gained: string;
    views: string;
  }>`
    SELECT t.content_id, c.topic, t.niche_id, t.views_gained, t.likes_gained, t.views
    FROM (${ranked}) t
    JOIN content c ON c.id = t.content_id
    ORDER BY t.views_gained DESC, t.content_id`.execute(db);
  return rows.map((r) => ({
    contentId: r.content_id,
    topic: r.topic,
    nicheId: r.niche_id,
    viewsGained: Number(r.views_gained),
    likesGained: Number(r.likes_gained),
    views: Number(r.views),
  }));
}
