// @no-database
// Find-next-slot: an account's next window time in its own time zone, through DST changes, keeping its
// posts per day, its minimum gap and its platform's daily limit.
import { describe, expect, it } from 'vitest';
import {
  findNextSlot,
  isWindowTime,
  parseTimeZone,
  parseWindows,
  zonedInstant,
  type PostingWindows,
} from '../../src/distributions/posting-slots.ts';
import { SoviError } from '../../src/errors.ts';

const at = (iso: string) => new Date(iso);
const windows = (over: Partial<PostingWindows> = {}): PostingWindows => ({
  timeZone: 'Europe/Berlin',
  windows: ['09:00', '18:30'],
  maxPerDay: 2,
  minGapMinutes: 0,
  ...over,
});
const next = (schedule: PostingWindows, after: string, taken: string[] = [], platformMaxPerDay = 15) =>
  findNextSlot({ schedule, platformMaxPerDay, taken: taken.map(at), after: at(after) })?.toISOString();

describe('find next slot', () => {
  it('is the next window time in the account’s time zone, as a UTC instant', () => {
    // Berlin in winter is UTC+1: 09:00 local is 08:00Z, 18:30 is 17:30Z.
    expect(next(windows(), '2026-12-05T07:00:00Z')).toBe('2026-12-05T08:00:00.000Z');
    expect(next(windows(), '2026-12-05T08:00:00Z')).toBe('2026-12-05T17:30:00.000Z');
    expect(next(windows(), '2026-12-05T20:00:00Z')).toBe('2026-12-06T08:00:00.000Z');
    // The same windows in New York (UTC−5 in December) and Kolkata (UTC+5:30).
    expect(next(windows({ timeZone: 'America/New_York' }), '2026-12-05T20:00:00Z')).toBe(
      '2026-12-05T23:30:00.000Z',
    );
    expect(next(windows({ timeZone: 'Asia/Kolkata' }), '2026-12-05T20:00:00Z')).toBe(
      '2026-12-06T03:30:00.000Z',
    );
  });

  it('follows a DST change: the same local time is another UTC instant, and a skipped time comes an hour later', () => {
    // Berlin switches to summer time on 2026-03-29 at 02:00 local (01:00Z).
    const berlin = windows({ windows: ['09:00'], maxPerDay: 1 });
    expect(next(berlin, '2026-03-28T12:00:00Z')).toBe('2026-03-29T07:00:00.000Z'); // 09:00 CEST (UTC+2)
    expect(next(berlin, '2026-03-27T12:00:00Z')).toBe('2026-03-28T08:00:00.000Z'); // 09:00 CET (UTC+1)
    // 02:30 does not exist that night: the slot is 03:30 summer time.
    expect(next(windows({ windows: ['02:30'] }), '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:30:00.000Z');
    // New York falls back on 2026-11-01: 01:30 happens twice; the slot is the first.
    expect(
      zonedInstant({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York').toISOString(),
    ).toBe('2026-11-01T05:30:00.000Z');
  });

  it('keeps at most max per day per local day', () => {
    const one = windows({ maxPerDay: 1 });
    // A post already at 09:00 Berlin on the 5th: the 18:30 window is skipped, the next is the 6th at 09:00.
    expect(next(one, '2026-12-05T08:30:00Z', ['2026-12-05T08:00:00Z'])).toBe('2026-12-06T08:00:00.000Z');
    // A post at 23:30 Berlin time on the 4th (22:30Z) counts for the 4th locally, not the 5th.
    expect(next(one, '2026-12-05T07:00:00Z', ['2026-12-04T22:30:00Z'])).toBe('2026-12-05T08:00:00.000Z');
    // But 00:30 Berlin on the 5th (23:30Z on the 4th) is the 5th's post.
    expect(next(one, '2026-12-05T07:00:00Z', ['2026-12-04T23:30:00Z'])).toBe('2026-12-06T08:00:00.000Z');
  });

  it('keeps the minimum gap to the account’s other posts', () => {
    const gap = windows({ windows: ['09:00', '10:00', '12:00'], maxPerDay: 3, minGapMinutes: 120 });
    // A post at 09:00 local: 10:00 is within two hours, 12:00 is not.
    expect(next(gap, '2026-12-05T07:00:00Z', ['2026-12-05T08:00:00Z'])).toBe('2026-12-05T11:00:00.000Z');
    // A post scheduled later (13:30 local) blocks 12:00 too: after 10:00 has passed, the next is tomorrow.
    expect(next(gap, '2026-12-05T09:30:00Z', ['2026-12-05T12:30:00Z'])).toBe('2026-12-06T08:00:00.000Z');
    // A window already holding a post is taken, even with no gap asked for.
    expect(next(windows(), '2026-12-05T07:00:00Z', ['2026-12-05T08:00:00Z'])).toBe(
      '2026-12-05T17:30:00.000Z',
    );
  });

  it('keeps the platform’s daily limit, below the schedule’s own', () => {
    const many = windows({ windows: ['09:00', '12:00', '15:00'], maxPerDay: 10 });
    const taken = ['2026-12-05T08:00:00Z', '2026-12-05T11:00:00Z'];
    expect(next(many, '2026-12-05T07:00:00Z', taken, 15)).toBe('2026-12-05T14:00:00.000Z');
    expect(next(many, '2026-12-05T07:00:00Z', taken, 2)).toBe('2026-12-06T08:00:00.000Z');
  });

  it('schedules nothing past the horizon when every slot is full', () => {
    const one = windows({ windows: ['09:00'], maxPerDay: 1 });
    const taken = Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2026, 11, 5 + i, 8)).toISOString());
    expect(next(one, '2026-12-05T07:00:00Z', taken)).toBeUndefined();
  });

  it('validates time zones and windows, naming the field', () => {
    expect(parseTimeZone('Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(() => parseTimeZone('Mars/Olympus')).toThrow(SoviError);
    expect(() => parseTimeZone('Mars/Olympus')).toThrow(/timeZone/);
    expect(parseWindows(['18:30', '09:00', '09:00'])).toEqual(['09:00', '18:30']);
    expect(() => parseWindows(['9am'])).toThrow(/windows: expected times like 09:00/);
    expect(() => parseWindows(['24:00'])).toThrow(/windows/);
    expect(() => parseWindows([])).toThrow(/windows/);
    expect(isWindowTime(windows(), at('2026-12-05T17:30:00Z'))).toBe(true);
    expect(isWindowTime(windows(), at('2026-12-05T17:31:00Z'))).toBe(false);
  });
});
