// @no-database
// The dispatcher's pure decisions: which rule an event matches, what it is grouped by, and how far the
// watermark may move past ids that are not visible yet.
import { describe, expect, it } from 'vitest';
import { groupKeyOf, ruleMatches, settledThrough } from '../../src/notifications/notification-dispatch.ts';
import type { DispatchEventRow, RuleRow } from '../../src/notifications/notifications-repository.ts';

const event = (values: Partial<DispatchEventRow> = {}): DispatchEventRow => ({
  id: 1,
  timestamp: new Date(),
  category: 'device',
  severity: 'warning',
  event_type: 'device_disconnected',
  device_id: 'd1',
  account_id: null,
  message: 'gone',
  niche_id: null,
  ...values,
});

const rule = (values: Partial<RuleRow> = {}): RuleRow => ({
  id: 'r1',
  channel_id: 'c1',
  channel_name: 'oncall',
  min_severity: 'warning',
  categories: null,
  event_types: null,
  niche_ids: null,
  created_at: new Date(),
  ...values,
});

describe('the dispatcher', () => {
  it('matches events at or above the severity, in the categories, types and niches a rule names', () => {
    expect(ruleMatches(rule(), event())).toBe(true);
    expect(ruleMatches(rule(), event({ severity: 'info' }))).toBe(false);
    expect(ruleMatches(rule({ min_severity: 'error' }), event({ severity: 'critical' }))).toBe(true);
    expect(ruleMatches(rule({ categories: ['account'] }), event())).toBe(false);
    expect(ruleMatches(rule({ event_types: ['device_disconnected'] }), event())).toBe(true);
    expect(ruleMatches(rule({ niche_ids: ['n1'] }), event())).toBe(false);
    expect(ruleMatches(rule({ niche_ids: ['n1'] }), event({ niche_id: 'n1' }))).toBe(true);
  });

  it('groups by type and device, else account; an event about neither is never grouped', () => {
    expect(groupKeyOf(event())).toBe('device_disconnected:device:d1');
    expect(groupKeyOf(event({ device_id: null, account_id: 'a1', event_type: 'account_banned' }))).toBe(
      'account_banned:account:a1',
    );
    expect(groupKeyOf(event({ device_id: null }))).toBeNull();
  });

  it('holds the watermark before a young gap in the ids, and passes one that aged out', () => {
    const now = new Date('2026-12-05T12:00:00Z');
    const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000);
    expect(
      settledThrough(
        10,
        [
          { id: 11, timestamp: at(1) },
          { id: 12, timestamp: at(1) },
        ],
        now,
      ),
    ).toBe(12);
    // 12 is missing: perhaps an insert not committed yet.
    expect(
      settledThrough(
        10,
        [
          { id: 11, timestamp: at(1) },
          { id: 13, timestamp: at(1) },
        ],
        now,
      ),
    ).toBe(11);
    expect(settledThrough(10, [{ id: 12, timestamp: at(2) }], now)).toBe(10);
    // Long past: the insert was rolled back.
    expect(
      settledThrough(
        10,
        [
          { id: 11, timestamp: at(90) },
          { id: 13, timestamp: at(60) },
        ],
        now,
      ),
    ).toBe(13);
  });
});
