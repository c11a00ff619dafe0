// The analytics page's span of days, kept in the URL: a preset (?days=7|30|90) or a custom span
// (?from=YYYY-MM-DD&to=YYYY-MM-DD, both included). Every chart, table and CSV download on the page reads it.
import { withQuery } from '../api.ts';

export const presets = [7, 30, 90] as const;

export type Range = { days: number } | { from: string; to: string };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function rangeOf(query: URLSearchParams): Range {
  const from = query.get('from');
  const to = query.get('to');
  if (from && to && DAY.test(from) && DAY.test(to)) return { from, to };
  const days = Number(query.get('days') ?? 30);
  return { days: Number.isInteger(days) && days >= 1 && days <= 366 ? days : 30 };
}

/** The range's first and last day (a preset ends today). */
export function rangeDays(range: Range, now = Date.now()): { from: string; to: string } {
  if ('from' in range) return range;
  return { from: utcDay(now - (range.days - 1) * DAY_MS), to: utcDay(now) };
}

export const rangeText = (range: Range): string =>
  'from' in range ? `${range.from} to ${range.to}` : `the last ${range.days} days`;

/** The API's parameters for the range: { days } or { from, to }. */
export const rangeParams = (range: Range): Record<string, string | number> =>
  'from' in range ? { from: range.from, to: range.to } : { days: range.days };

/** A CSV download of an API read: the same path and parameters as the chart's or table's, as text/csv. */
export const csvHref = (path: string, params: Record<string, string | number | undefined>): string =>
  withQuery(`/api/v1${path}`, { ...params, format: 'csv' });

/** "tiktok:finance_daily" → a path segment. */
export const ref = (value: string): string => encodeURIComponent(value);
