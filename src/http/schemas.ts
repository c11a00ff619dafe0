// Zod pieces every resource uses: the error body, pagination, and query-string values (which arrive as
// text). Request objects are strict: an unknown field is a 400 naming it, never silently dropped.
import type { FastifyInstance } from 'fastify';
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

/**
 * Gives every route with a response schema the errors of its kind (readErrors for GET, writeErrors for the
 * rest), under the ones it declares itself; so routes state only what is their own (a 202, a 416). A route
 * that declares its own 401 has said all its errors (signing in answers no 404), and a public one (signing
 * out) answers none of them: both are left alone.
 */
export function addStandardErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string | number, unknown> | undefined;
    const isPublic = route.config?.public === true;
    if (!response || 401 in response || isPublic) return;
    const methods = [route.method].flat();
    const errors = methods.every((m) => m === 'GET' || m === 'HEAD') ? readErrors() : writeErrors();
    route.schema!.response = { ...errors, ...response };
  });
}

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

/** ?after= and ?limit= of a paged listing; with a default page size, `limit` is always set. */
export function pageQuery(maxLimit: number): { after: Cursor; limit: z.ZodOptional<IntegerParam> };
export function pageQuery(
  maxLimit: number,
  defaultLimit: number,
): { after: Cursor; limit: z.ZodDefault<IntegerParam> };
export function pageQuery(maxLimit: number, defaultLimit?: number) {
  const limit = integerParam(1, maxLimit);
  return {
    after: z.string().max(2000).optional().describe('the nextCursor of the previous page'),
    limit: defaultLimit === undefined ? limit.optional() : limit.default(defaultLimit),
  };
}
type Cursor = z.ZodOptional<z.ZodString>;
type IntegerParam = ReturnType<typeof integerParam>;

/**
 * The longest name a path may carry: device names and udids are up to 200 characters (the routes' body
 * schemas), and the router's maxParamLength (app.ts) is set to it, so whatever can be created can be reached.
 */
/** How a resource names its niche in a response: the id and the slug (both null: no niche). */
export const nicheFields = {
  nicheId: z.string().nullable(),
  nicheSlug: z.string().nullable(),
};

export const MAX_REF_LENGTH = 200;

/** A path reference: an id, or the name people use (a device's udid or name, an account's username). */
export const refParam = z.string().min(1).max(MAX_REF_LENGTH);

/** The path parameters of one resource by id: `/{id}`, described as `<what> id`. */
export const idParams = (what: string) => z.strictObject({ id: refParam.describe(`${what} id`) });

export const nextCursor = z
  .string()
  .nullable()
  .describe('pass as ?after= for the next page; null on the last page');

/** A paged listing's response: the items under `key`, and the next cursor. */
export function pageResponses<Key extends string, Item extends z.ZodType>(key: Key, item: Item) {
  const page = { [key]: z.array(item), nextCursor } as { [K in Key]: z.ZodArray<Item> } & {
    nextCursor: typeof nextCursor;
  };
  return { 200: z.object(page) };
}
