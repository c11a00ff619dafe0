// @no-database
// A channel's clock: quiet hours and the digest time are local to the channel's time zone.
import { describe, expect, it } from 'vitest';
import { checkTimeZone, digestDue, inQuietHours, localStamp } from '../../src/notifications/local-time.ts';

const at = (iso: string) => new Date(iso);

describe("a channel's local time", () => {
  it('reads the wall clock of the zone', () => {
    expect(localStamp(at('2026-12-05T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-12-06 08:30');
    expect(localStamp(at('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01 08:00');
  });

  it('holds events inside quiet hours, including a span past midnight', () => {
    const night = { start: '22:00', end: '07:00' };
    expect(inQuietHours(at('2026-12-05T22:30:00Z'), 'UTC', night)).toBe(true);
    expect(inQuietHours(at('2026-12-05T06:59:00Z'), 'UTC', night)).toBe(true);
    expect(inQuietHours(at('2026-12-05T07:00:00Z'), 'UTC', night)).toBe(false);
    expect(inQuietHours(at('2026-12-05T12:00:00Z'), 'UTC', night)).toBe(false);
    // 13:00 UTC is 22:00 in Tokyo.
    expect(inQuietHours(at('2026-12-05T13:00:00Z'), 'Asia/Tokyo', night)).toBe(true);
    expect(inQuietHours(at('2026-12-05T12:00:00Z'), 'UTC', { start: '09:00', end: '17:00' })).toBe(true);
    expect(inQuietHours(at('2026-12-05T12:00:00Z'), 'UTC', null)).toBe(false);
  });

  it('makes the digest due once the local digest time has come round since the last one', () => {
    const last = at('2026-12-05T08:00:30Z');
    expect(digestDue(at('2026-12-05T20:00:00Z'), last, 'UTC', '08:00')).toBe(false);
    expect(digestDue(at('2026-12-06T07:59:00Z'), last, 'UTC', '08:00')).toBe(false);
    expect(digestDue(at('2026-12-06T08:00:00Z'), last, 'UTC', '08:00')).toBe(true);
    // Missed for days (the worker was down): due at once.
    expect(digestDue(at('2026-12-09T03:00:00Z'), last, 'UTC', '08:00')).toBe(true);
    // 08:00 in Paris is 07:00 UTC in winter.
    expect(digestDue(at('2026-12-06T07:00:00Z'), last, 'Europe/Paris', '08:00')).toBe(true);
    expect(digestDue(at('2026-12-06T06:59:00Z'), last, 'Europe/Paris', '08:00')).toBe(false);
  });

  it('refuses an unknown time zone, naming the field', () => {
    expect(() => checkTimeZone('timeZone', 'Mars/Olympus')).toThrow(/timeZone: unknown time zone/);
    expect(checkTimeZone('timeZone', 'Europe/Paris')).toBe('Europe/Paris');
  });
});
