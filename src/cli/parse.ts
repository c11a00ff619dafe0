// Option parsing shared by the commands: every bad value becomes an invalid_input error naming the option.
import { invalidInput } from '../errors.ts';

const RELATIVE = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** An ISO-8601 time, or a duration ago ("90m", "2h", "7d"). */
export function parseTime(option: string, value: string, now: Date = new Date()): Date {
  const relative = RELATIVE.exec(value.trim());
  if (relative) {
    return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    throw invalidInput(
      option,
      `${option}: expected an ISO-8601 time or a duration like 2h or 7d, got "${value}"`,
    );
  }
  return date;
}

export function parseInteger(option: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw invalidInput(option, `${option}: expected an integer between ${min} and ${max}, got "${value}"`);
  }
  return Number(value);
}

export function parseNumber(option: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw invalidInput(option, `${option}: expected a number between ${min} and ${max}, got "${value}"`);
  }
  return n;
}

export function parseChoice<T extends string>(option: string, value: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw invalidInput(option, `${option}: expected one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** "a,b" or repeated options, as a list. */
export function parseList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

export { isUuid } from '../ids.ts';
