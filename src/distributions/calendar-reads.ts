// The calendar as people read it: posts by their time (posted_at once out, else their slot) in a range,
// filtered by account, niche and platform, within the caller's niches.
import type { Executor } from '../db/executor.ts';
import { invalidInput } from '../errors.ts';
import type { NicheScope } from '../niches/niche-scope.ts';
import type { Platform } from '../platforms.ts';
import { DAY_MS } from '../time.ts';
import type { Distribution } from './distribution-model.ts';
import { toDistribution } from './distributions-reads.ts';
import { calendarRows } from './calendar-repository.ts';

export interface CalendarEntry extends Distribution {
  /** When it shows on the calendar: when it went out, else its slot. */
  at: Date;
  topic: string;
  nicheSlug: string | null;
  /** GET /content/{contentId}/video plays it (the dashboard's thumbnail). */
  hasVideo: boolean;
}

export interface CalendarQuery {
  /** Default: the start of today (UTC). */
  from?: Date;
  /** Default: from + 7 days. At most 62 days after from (a month view with its edges). */
  to?: Date;
  accountId?: string;
  nicheId?: string;
  platform?: Platform;
  scope?: NicheScope;
  limit?: number;
}

export const CALENDAR_MAX_DAYS = 62;

export async function listCalendar(
  db: Executor,
  q: CalendarQuery,
  now = new Date(),
): Promise<{ from: Date; to: Date; entries: CalendarEntry[]; truncated: boolean }> {
  const from = q.from ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const to = q.to ?? new Date(from.getTime() + 7 * DAY_MS);
  if (to.getTime() <= from.getTime())
    throw invalidInput('to', `to: must be after from (${from.toISOString()}), got ${to.toISOString()}`);
  if (to.getTime() - from.getTime() > CALENDAR_MAX_DAYS * DAY_MS)
    throw invalidInput('to', `to: at most ${CALENDAR_MAX_DAYS} days after from`);
  const limit = q.limit ?? 2_000;
  const rows = await calendarRows(db, { ...q, from, to, limit: limit + 1 });
  const entries = rows.slice(0, limit).map((r) => ({
    ...toDistribution(r),
    at: r.at,
    topic: r.topic,
    nicheSlug: r.niche_slug,
    hasVideo: r.has_video,
  }));
  return { from, to, entries, truncated: rows.length > limit };
}
