// The analytics page's reads over a chosen span of UTC days: a niche day by day, an account hour by hour,
// two accounts or two niches side by side, and every post of the span with its latest counts. The page
// and its CSV exports call the same functions, so a download is the data the chart or table shows.
//
// Naming, the same in the API, the page and the CSV headers: `…Gained` is what a period added (views gained
// that day), a bare count (`views`) is the running total at the period's end. The current day (or hour) is
// still filling up: rows for it carry `partial: true`, so that no chart reads a half day as a fall.
//
// Indexes: metrics_hourly/metrics_daily (account_id, bucket) bound the account reads, their primary key
// (distribution_id, bucket) the latest-count lookups; niche_metrics_daily's key (niche_id, day) the niche
// reads; distributions (account_id, posted_at) the posts of one account (a niche's posts are the posts
// of its accounts).
import { nicheScopeCondition, type NicheScope } from '../niches/niche-scope.ts';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/pool.ts';
import { invalidInput, type OneOf } from '../errors.ts';
import { DAY_MS, HOUR_MS, utcDay } from '../time.ts';
import { accountHourly, nicheDaily, type AccountHour, type NicheDay } from './metrics-reads.ts';

/** UTC days `from` … `to`, both included, as YYYY-MM-DD. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (value: string): boolean => DAY.test(value) && utcDay(new Date(`${value}T00:00:00Z`)) === value;
const addDays = (day: string, n: number): string =>
  utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));

/**
 * The days a read covers: `from`–`to` when given (either one alone: the other is today, or `days` before),
 * else the last `days` days with today the last. At most `maxDays` days.
 */
export function dayRange(
  input: { days?: number | undefined; from?: string | undefined; to?: string | undefined },
  options: { defaultDays: number; maxDays: number; now?: Date },
): DayRange {
  const today = utcDay(options.now ?? new Date());
  for (const field of ['from', 'to'] as const) {
    const value = input[field];
    if (value !== undefined && !isDay(value)) {
      throw invalidInput(field, `${field}: expected a day as YYYY-MM-DD, got "${value}"`);
    }
  }
  const span = input.days ?? options.defaultDays;
  const to = input.to ?? (input.from === undefined ? today : addDays(input.from, span - 1));
  const from = input.from ?? addDays(to, 1 - span);
  if (from > to) throw invalidInput('from', `from: expected a day on or before to (${to}), got ${from}`);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days > options.maxDays) {
    throw invalidInput('to', `from–to: expected at most ${options.maxDays} days, got ${days}`);
  }
  return { from, to };
}

export type MarkedPartial<T> = T & {
  /** The period is not over yet (today, or this hour): its numbers are still growing. */
  partial: boolean;
};

/** A niche day by day over the range; today's row is partial. */
export async function nicheDays(
  db: Db,
  nicheId: string,
  range: DayRange,
  now: Date = new Date(),
): Promise<MarkedPartial<NicheDay>[]> {
  const today = utcDay(now);
  const days = await nicheDaily(db, nicheId, range.from, addDays(range.to, 1));
  return days.map((d) => ({ ...d, partial: d.day === today }));
}

/** An account hour by hour over the range (up to now); the current hour is partial. */
export async function accountHours(
  db: Db,
  accountId: string,
  range: DayRange,
  now: Date = new Date(),
): Promise<{ from: Date; to: Date; hours: MarkedPartial<AccountHour>[] }> {
  const from = new Date(`${range.from}T00:00:00Z`);
  const end = Math.min(
    Date.parse(`${addDays(range.to, 1)}T00:00:00Z`),
    Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS,
  );
  const to = new Date(Math.max(end, from.getTime()));
  const hours = await accountHourly(db, accountId, from, to);
  return {
    from,
    to,
    hours: hours.map((h) => ({ ...h, partial: h.bucket.getTime() + HOUR_MS > now.getTime() })),
  };
}

export const compareMetrics = ['views', 'likes', 'comments', 'shares'] as const;
export type CompareMetric = OneOf<typeof compareMetrics>;

export interface CompareDay {
  day: string;
  partial: boolean;
  /** What each compared account or niche gained that day, in the order asked. */
  gained: number[];
}

/**
 * One metric gained per day for each account, from metrics_daily (each distribution's running total at the
 * end of each day): a day's gain is the total minus the distribution's previous day with data, or the whole
 * total on its first day.
 */
async function accountDailyGains(
  db: Db,
  accountId: string,
  metric: CompareMetric,
  range: DayRange,
): Promise<Map<string, number>> {
  const column = sql.ref(metric);
  const { rows } = await sql<{ day: string; gained: string }>`
    SELECT bucket::date::text AS day, sum(total - COALESCE(previous, (
             SELECT p.${column} FROM metrics_daily p
             WHERE p.distribution_id = t.distribution_id AND p.bucket < ${range.from}::date
             ORDER BY p.bucket DESC LIMIT 1), 0)) AS gained
    FROM (
      SELECT distribution_id, bucket, ${column} AS total,
             lag(${column}) OVER (PARTITION BY distribution_id ORDER BY bucket) AS previous
      FROM metrics_daily
      WHERE account_id = ${accountId} AND bucket >= ${range.from}::date
        AND bucket < ${addDays(range.to, 1)}::date
    ) t
    GROUP BY 1 ORDER BY 1`.execute(db);
  return new Map(rows.map((r) => [r.day, Number(r.gained)]));
}

async function nicheDailyGains(
  db: Db,
  nicheId: string,
  metric: CompareMetric,
  range: DayRange,
): Promise<Map<string, number>> {
  const days = await nicheDaily(db, nicheId, range.from, addDays(range.to, 1));
  const key = `${metric}Gained` as const;
  return new Map(days.map((d) => [d.day, d[key]]));
}

/** Two (or more) accounts or niches side by side: every day of the range, 0 where one had no data. */
export async function compareDaily(
  db: Db,
  options: {
    kind: 'accounts' | 'niches';
    ids: string[];
    metric: CompareMetric;
    range: DayRange;
    now?: Date;
  },
): Promise<CompareDay[]> {
  const read = options.kind === 'accounts' ? accountDailyGains : nicheDailyGains;
  const series = await Promise.all(options.ids.map((id) => read(db, id, options.metric, options.range)));
  const today = utcDay(options.now ?? new Date());
  const days: CompareDay[] = [];
  for (let day = options.range.from; day <= options.range.to && day <= today; day = addDays(day, 1)) {
    days.push({ day, partial: day === today, gained: series.map((s) => s.get(day) ?? 0) });
  }
  return days;
}

export const postSorts = [
  'views',
  'likes',
  'comments',
  'shares',
  'engagementRate',
  'postedAt',
  'account',
  'niche',
] as const;
export type PostSort = OneOf<typeof postSorts>;

const sortColumn: Record<PostSort, RawBuilder<unknown>> = {
  views: sql`m.views`,
  likes: sql`m.likes`,
  comments: sql`m.comments`,
  shares: sql`m.shares`,
  engagementRate: sql`m.engagement_rate`,
  postedAt: sql`d.posted_at`,
  account: sql`a.username`,
  niche: sql`n.slug`,
};

export interface PostPerformance {
  distributionId: string;
  contentId: string;
  topic: string;
  platform: string;
  account: string;
  niche: string | null;
  postedAt: Date;
  /** Running totals at the last day with data in the range. */
  views: number | null;
  likes: number | null;
  comments: number | null;
  shares: number | null;
  engagementRate: number | null;
}

/**
 * The posts that went out in the range, each with its latest counts up to the range's end, sorted by one
 * column (nulls last, then the post's id, so pages do not overlap) and paged by a bounded offset.
 */
export async function postPerformance(
  db: Db,
  options: {
    range: DayRange;
    nicheId?: string | undefined;
    /** Only the posts of accounts in these niches (a niche-limited caller's). */
    scope?: NicheScope;
    accountId?: string | undefined;
    sort: PostSort;
    direction: 'asc' | 'desc';
    limit: number;
    offset: number;
  },
): Promise<{ total: number; posts: PostPerformance[] }> {
  const end = addDays(options.range.to, 1);
  const niche = options.nicheId ? sql`AND a.niche_id = ${options.nicheId}` : sql``;
  const account = options.accountId ? sql`AND d.account_id = ${options.accountId}` : sql``;
  const inScope = nicheScopeCondition(sql.ref('a.niche_id'), options.scope);
  const scope = inScope ? sql`AND ${inScope}` : sql``;
  const direction = options.direction === 'asc' ? sql`ASC` : sql`DESC`;
  const { rows } = await sql<{
    id: string;
    content_id: string;
    topic: string;
    platform: string;
    username: string;
    niche: string | null;
    posted_at: Date;
    views: number | null;
    likes: number | null;
    comments: number | null;
    shares: number | null;
    engagement_rate: number | null;
    total: number;
  }>`
    SELECT d.id, d.content_id, c.topic, a.platform, a.username, n.slug AS niche, d.posted_at,
           m.views, m.likes, m.comments, m.shares, m.engagement_rate, count(*) OVER ()::int AS total
    FROM distributions d
    JOIN accounts a ON a.id = d.account_id
    JOIN content c ON c.id = d.content_id
    LEFT JOIN niches n ON n.id = a.niche_id
    LEFT JOIN LATERAL (
      SELECT views, likes, comments, shares, engagement_rate FROM metrics_daily
      WHERE distribution_id = d.id AND bucket < ${end}::date
      ORDER BY bucket DESC LIMIT 1
    ) m ON true
    WHERE d.posted_at >= ${options.range.from}::date AND d.posted_at < ${end}::date ${niche} ${account} ${scope}
    ORDER BY ${sortColumn[options.sort]} ${direction} NULLS LAST, d.id
    LIMIT ${options.limit} OFFSET ${options.offset}`.execute(db);
  return {
    total: rows[0]?.total ?? 0,
    posts: rows.map((r) => ({
      distributionId: r.id,
      contentId: r.content_id,
      topic: r.topic,
      platform: r.platform,
      account: `${r.platform}:${r.username}`,
      niche: r.niche,
      postedAt: r.posted_at,
      views: r.views,
      likes: r.likes,
      comments: r.comments,
      shares: r.shares,
      engagementRate: r.engagement_rate,
    })),
  };
}
