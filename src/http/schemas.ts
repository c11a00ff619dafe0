// Zod pieces every resource uses: the error body, pagination, and query-string values (which arrive as
// text). Request objects are strict: an unknown field is a 400 naming it, never silently dropped.
import { z } from 'zod';
import { parseTime } from '../time.ts';

export const errorSchema = z.object({
  error: z.object({
    code: z
      .string()
      .describe(
        'invalid_input, unauthorized, forbidden, not_found, conflict, range_not_satisfiable, rate_limited, unavailable or internal',
      ),
    message: z.string(),
    field: z.string().optional().describe('the field, parameter or header the error is about'),
    issues: z
      .array(
        z.object({
          line: z
            .number()
            .int()
            .optional()
            .describe("an import's line, or a batch's item (its position, from 1)"),
          field: z.string().optional(),
          message: z.string(),
        }),
      )
      .optional(),
    badRows: z
      .number()
      .int()
      .optional()
      .describe('a refused import or batch: its bad rows (items) in all, when issues lists only the first'),
    allowed: z
      .array(z.string())
      .optional()
      .describe('an illegal state change: the states the account may go to from where it is'),
  }),
});

const errorDescriptions = {
  400: 'invalid input: each bad field is named',
  401: 'no token, or an invalid, revoked or expired one',
  403: 'a read-only token on a write, or a cookie session without its CSRF token',
  404: 'no such resource',
  409: 'a conflict: taken name, illegal state change, concurrent change',
  429: 'too many failed token attempts or sign-ins from this address',
  503:
    'the database is unavailable (retry after Retry-After seconds), or this server lacks what the request needs, ' +
    'e.g. a vault key for secrets: the message says what to configure',
} as const;

type ErrorStatus = keyof typeof errorDescriptions;

/** Response schemas for the error statuses a route can answer with. */
export function errorResponses(...statuses: ErrorStatus[]): Record<ErrorStatus, typeof errorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorSchema.describe(errorDescriptions[s])])) as Record<
    ErrorStatus,
    typeof errorSchema
  >;
}

/** A read: 401 without a token, 400 for a bad query, 429 when rate-limited, 503 when the database is down. */
export const readErrors = () => errorResponses(400, 401, 404, 429, 503);
/** A write adds 403 (read-only token, missing CSRF token) and 409. */
export const writeErrors = () => errorResponses(400, 401, 403, 404, 409, 429, 503);

export const integerParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, `expected an integer between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const booleanParam = z
  .enum(['true', 'false'], { error: 'expected true or false' })
  .transform((v) => v === 'true');

/** "a,b" or a repeated parameter, as a list of allowed values. */
export const listParam = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.string().max(1000), z.array(z.string().max(1000)).max(50)])
    .transform((v) =>
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

const isTime = (value: string): boolean => {
  try {
    parseTime('time', value);
    return true;
  } catch {
    return false;
  }
};

/** An ISO-8601 time, or a duration ago ("90m", "2h", "7d"), as the CLI's --since and --until take. */
export const timeParam = z
  .string()
  .max(100)
  .refine(isTime, 'expected an ISO-8601 time or a duration ago like 2h or 7d')
  .transform((v) => parseTime('time', v));

export const pageQuery = (maxLimit: number) => ({
  after: z.string().max(2000).optional().describe('the nextCursor of the previous page'),
  limit: integerParam(1, maxLimit).optional(),
});

/** A path reference: an id, or the name people use (a device's udid or name, an account's username). */
export const refParam = z.string().min(1).max(200);

export const nextCursor = z
  .string()
  .nullable()
  .describe('pass as ?after= for the next page; null on the last page');
