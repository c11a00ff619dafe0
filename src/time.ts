// Time helpers shared by every layer: reading times people type, UTC days, and waiting that a signal can cut
// short. One home, so that the HTTP layer need not import the CLI, nor distribution the warming policy.
import { invalidInput } from './errors.ts';

const RELATIVE = /^(\d+)\s*(s|m|h|d|w)$/;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

const UNIT_MS = { s: 1_000, m: 60_000, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS } as const;

/** An ISO-8601 time, or a duration ago ("90m", "2h", "7d"); a bad value is an error naming `field`. */
export function parseTime(field: string, value: string, now: Date = new Date()): Date {
  const relative = RELATIVE.exec(value.trim());
  if (relative) {
    return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    throw invalidInput(
      field,
      `${field}: expected an ISO-8601 time or a duration like 2h or 7d, got "${value}"`,
    );
  }
  return date;
}

/** A duration people type ("90m", "12h", "30d", "2w") in milliseconds; a bad value is an error naming `field`. */
export function parseDuration(field: string, value: string): number {
  const m = RELATIVE.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!(ms > 0) || !Number.isSafeInteger(ms)) {
    throw invalidInput(field, `${field}: expected a duration like 12h, 30d or 2w, got "${value}"`);
  }
  return ms;
}

/** Midnight UTC of the day `at` falls on. */
export const utcDayStart = (at: Date): Date =>
  new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));

/** The UTC day `at` falls on, as a PostgreSQL date literal: 2026-12-05. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** Waits `ms`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A poll loop's pause: resolves after `ms`, when the signal aborts, or when `wake()` is called (a NOTIFY
 * came in), whichever is first. Never rejects, so that the loop decides what an abort means.
 */
export function pause(ms: number, signal: AbortSignal): { done: Promise<void>; wake: () => void } {
  let wake: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    wake = finish;
    if (signal.aborted) finish();
    else signal.addEventListener('abort', finish, { once: true });
  });
  return { done, wake };
}
