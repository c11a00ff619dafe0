// A channel's clock: quiet hours and the digest are set in local HH:MM of the channel's time zone. Wall-clock
// text compares in order ("2026-12-05 07:59" < "2026-12-05 08:00"), so no date arithmetic across DST is needed.
import { invalidInput } from '../errors.ts';

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export function checkTimeZone(field: string, zone: string): string {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone });
  } catch {
    throw invalidInput(
      field,
      `${field}: unknown time zone "${zone}" (expected an IANA name like Europe/Paris)`,
    );
  }
  return zone;
}

export function checkClock(field: string, value: string): string {
  if (!HHMM.test(value)) throw invalidInput(field, `${field}: expected a local time HH:MM, got "${value}"`);
  return value;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** "2026-12-05 07:59" in the zone. */
export function localStamp(at: Date, zone: string): string {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(zone, format);
  }
  const part = (type: string) => format.formatToParts(at).find((p) => p.type === type)?.value ?? '00';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** Whether `at` falls in [start, end) local; a span past midnight (22:00–07:00) wraps. */
export function inQuietHours(at: Date, zone: string, quiet: { start: string; end: string } | null): boolean {
  if (!quiet || quiet.start === quiet.end) return false;
  const clock = localStamp(at, zone).slice(11);
  return quiet.start < quiet.end
    ? clock >= quiet.start && clock < quiet.end
    : clock >= quiet.start || clock < quiet.end;
}

/** Whether the digest time came round (local) after the last digest and by now. */
export function digestDue(now: Date, lastDigest: Date, zone: string, digestTime: string): boolean {
  const current = localStamp(now, zone);
  const today = current.slice(0, 10);
  // The latest digest moment at or before now, as local wall-clock text.
  let latest = `${today} ${digestTime}`;
  if (current < latest) {
    const yesterday = new Date(now.getTime() - 86_400_000);
    latest = `${localStamp(yesterday, zone).slice(0, 10)} ${digestTime}`;
  }
  return localStamp(lastDigest, zone) < latest;
}
