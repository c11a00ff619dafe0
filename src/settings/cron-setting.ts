// One validator for every *_CRON variable. The job engine (pg-boss) reads schedules with cron-parser and only
// finds a bad one when the worker starts, as a crash with a stack trace; checking each value here with the
// same parser, in the same lenient mode, means what config accepts is exactly what pg-boss can schedule.
import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';
import { z } from 'zod';

// cron-parser (and luxon under it) is loaded only when a *_CRON variable is set: a default is known good,
// and every command reads the config, so an import here would cost each one's start.
const require = createRequire(import.meta.url);

const fiveFields = /^\S+(\s+\S+){4}$/;

/** True when `value` is a five-field cron expression pg-boss can schedule. */
export function isCronExpression(value: string): boolean {
  // cron-parser's lenient mode fills missing fields ('1 2 3' reads as a schedule) and takes a sixth field
  // for seconds, which the once-a-minute cron pass cannot honour: require exactly five.
  if (!fiveFields.test(value.trim())) return false;
  try {
    const { CronExpressionParser } = require('cron-parser') as typeof CronParser;
    CronExpressionParser.parse(value.trim(), { tz: 'UTC', strict: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * A *_CRON variable: a five-field cron expression (UTC) with a default, or also 'off' when the job may be
 * switched off. Other *_CRON variables (e.g. a backup schedule) reuse this so all refuse the same way.
 */
export const cronSetting = (defaultValue: string, options: { allowOff?: boolean } = {}) => {
  const expected =
    `expected a cron expression of five fields (minute hour day month weekday, UTC), e.g. ${defaultValue}` +
    (options.allowOff === true ? `, or off` : '');
  return z
    .string()
    .trim()
    .refine((value) => (options.allowOff === true && value === 'off') || isCronExpression(value), expected)
    .default(defaultValue);
};
