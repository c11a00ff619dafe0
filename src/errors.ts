// The one error type of sovi. Every failure a user can cause or fix is a SoviError with a code from a closed
// set; the CLI maps the code to an exit status and the HTTP layer to a response status. Anything else that
// escapes is a bug and is reported as `internal`.

export const errorCodes = {
  invalid_input: { http: 400, exit: 2 },
  unauthorized: { http: 401, exit: 5 },
  forbidden: { http: 403, exit: 5 },
  not_found: { http: 404, exit: 3 },
  conflict: { http: 409, exit: 4 },
  /** A byte range past the end of a file (a video's Range request). */
  range_not_satisfiable: { http: 416, exit: 2 },
  /** Too much at once from one caller (say, too many open event streams): retry later (EX_TEMPFAIL). */
  rate_limited: { http: 429, exit: 75 },
  unavailable: { http: 503, exit: 69 },
  /** Stored data failed an integrity check (e.g. a ciphertext that does not authenticate). */
  integrity: { http: 500, exit: 65 },
  config: { http: 500, exit: 78 },
  internal: { http: 500, exit: 70 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface ErrorDetails {
  /** The field, argument or variable the error is about. */
  field?: string;
  /** Per-item problems, e.g. every bad row of an import. */
  issues?: { field?: string; line?: number; message: string }[];
  [key: string]: unknown;
}

export class SoviError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SoviError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }
}

export const invalidInput = (field: string, message: string, details: ErrorDetails = {}): SoviError =>
  new SoviError('invalid_input', message, { field, ...details });

/** A member of a closed set declared `as const`: `type Severity = OneOf<typeof severities>`. */
export type OneOf<T extends readonly unknown[]> = T[number];

/** Whether `value` is one of `choices` (a closed set): the guard that oneOf checks with. */
export const isOneOf = <T extends string>(choices: readonly T[], value: string): value is T =>
  (choices as readonly string[]).includes(value);

/** `value` when it is one of `choices` (a closed set); otherwise an invalid_input error naming `field` and them. */
export function oneOf<T extends string>(choices: readonly T[], value: string, field: string): T {
  if (!isOneOf(choices, value)) {
    throw invalidInput(field, `${field}: expected one of ${choices.join(', ')}, got "${value}"`);
  }
  return value;
}

export const notFound = (what: string, id: string): SoviError =>
  new SoviError('not_found', `${what} ${id} does not exist`, { field: 'id' });

/**
 * Not a failure: a job that cannot proceed yet (its device is busy with another session, the platform asked
 * to slow down) throws this, and the job engine runs it again later, with its backoff.
 */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}
