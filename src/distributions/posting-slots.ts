// Find-next-slot: the pure rules of the content calendar. An account posts at its windows ('HH:MM' in its
// own time zone), at most maxPerDay a local day (and never more than its platform allows a day), with a
// minimum gap to its other posts. Time zones are IANA names, converted with Intl (no tz database of our own).
import { invalidInput } from '../errors.ts';
import { DAY_MS } from '../time.ts';

export interface PostingWindows {
  /** IANA time zone, e.g. Europe/Berlin. */
  timeZone: string;
  /** Local times, 'HH:MM', sorted. */
  windows: string[];
  maxPerDay: number;
  minGapMinutes: number;
}

/** How far ahead the planner looks for a free slot; beyond it, nothing is scheduled. */
export const SLOT_HORIZON_DAYS = 14;

const WINDOW = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** An IANA time zone Intl knows; anything else is an error naming `field`. */
export function parseTimeZone(value: string, field = 'timeZone'): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw invalidInput(field, `${field}: expected an IANA time zone such as Europe/Berlin, got "${value}"`);
  }
}

/** Windows as 'HH:MM' local times, deduplicated and sorted. */
export function parseWindows(values: readonly string[], field = 'windows'): string[] {
  if (values.length === 0 || values.length > 48)
    throw invalidInput(field, `${field}: expected 1–48 times like 09:00, got ${values.length}`);
  for (const v of values) {
    if (!WINDOW.test(v))
      throw invalidInput(field, `${field}: expected times like 09:00 or 18:30, got "${v}"`);
  }
  return [...new Set(values)].sort();
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalTime {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
}

/** The wall-clock time of `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): LocalTime & { second: number } {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** The local calendar day of `at`, as 'YYYY-MM-DD'. */
export function localDay(at: Date, timeZone: string): string {
  const t = localTime(at, timeZone);
  return `${t.year}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;
}

/** How far the zone's clock is ahead of UTC at `at`, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const t = localTime(new Date(at), timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in `timeZone`. A time that does not exist (skipped by a DST change
 * in spring) comes out an hour later, as clocks show it; one that happens twice (autumn) is the first.
 */
export function zonedInstant(local: LocalTime, timeZone: string): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // The offsets a day either side: the same but on a DST change, which they straddle.
  const before = wall - offsetAt(wall - DAY_MS, timeZone);
  const after = wall - offsetAt(wall + DAY_MS, timeZone);
  const real = [before, after].filter((t) => {
    const l = localTime(new Date(t), timeZone);
    return (
      l.year === local.year &&
      l.month === local.month &&
      l.day === local.day &&
      l.hour === local.hour &&
      l.minute === local.minute
    );
  });
  // Spring's skipped hour: read with the winter offset, which lands an hour later on the summer clock.
  return new Date(real.length > 0 ? Math.min(...real) : before);
}

export interface SlotQuery {
  schedule: PostingWindows;
  /** The platform's posts per account per day (platformRules). */
  platformMaxPerDay: number;
  /** The account's other posts: scheduled, or already out. */
  taken: readonly Date[];
  /** The slot must be after this. */
  after: Date;
  horizonDays?: number;
}

/** Whether a candidate slot keeps the day's limits and the gap to the account's other posts. */
export function slotFits(q: Omit<SlotQuery, 'after' | 'horizonDays'>, slot: Date): boolean {
  const { schedule } = q;
  const day = localDay(slot, schedule.timeZone);
  const limit = Math.min(schedule.maxPerDay, q.platformMaxPerDay);
  // A window holds one post: even with no gap asked for, two posts of an account are a minute apart.
  const gapMs = Math.max(schedule.minGapMinutes * 60_000, 60_000);
  let sameDay = 0;
  for (const t of q.taken) {
    if (Math.abs(t.getTime() - slot.getTime()) < gapMs) return false;
    if (localDay(t, schedule.timeZone) === day) sameDay++;
  }
  return sameDay < limit;
}

/**
 * The account's next free slot after `after`: the earliest window time that keeps max per day (per local
 * day), the platform's daily limit and the minimum gap. null when none is free within the horizon.
 */
export function findNextSlot(q: SlotQuery): Date | null {
  const { schedule } = q;
  const start = localTime(q.after, schedule.timeZone);
  const horizon = q.horizonDays ?? SLOT_HORIZON_DAYS;
  for (let i = 0; i <= horizon; i++) {
    // Calendar arithmetic on a UTC date stands in for the local date (months and years roll over).
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day) + i * DAY_MS);
    for (const window of schedule.windows) {
      const [hour, minute] = window.split(':').map(Number) as [number, number];
      const slot = zonedInstant(
        {
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
          hour,
          minute,
        },
        schedule.timeZone,
      );
      if (slot.getTime() <= q.after.getTime()) continue;
      if (slotFits(q, slot)) return slot;
    }
  }
  return null;
}

/** Whether `at` is one of the schedule's window times (local minute). */
export function isWindowTime(schedule: PostingWindows, at: Date): boolean {
  const t = localTime(at, schedule.timeZone);
  const hhmm = `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
  return schedule.windows.includes(hhmm) && t.second === 0;
}
