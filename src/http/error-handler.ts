// One error handler: SoviErrors become their status with a JSON body naming the field (a refused import or
// batch also each bad row's line, and how many rows were bad); schema validation failures become 400 naming
// each bad field; other client mistakes Fastify or a plugin detects keep their 4xx status; anything else is a
// 500 whose details stay in the log.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SoviError } from '../errors.ts';
import { translatePgError } from '../db/pg-errors.ts';
import { errorLogged } from './request-log.ts';

export interface ErrorIssue {
  /** An import's line, or a batch's item (its position, from 1). */
  line?: number;
  field?: string;
  message: string;
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    field?: string;
    issues?: ErrorIssue[];
    /** An illegal state change: the states the account may go to from where it is. */
    allowed?: string[];
    /** A refused import or batch: its bad rows in all, when issues lists only the first. */
    badRows?: number;
  };
}

/** The body's code for a 4xx that is not a SoviError (Fastify's own errors, plugins'). */
const codeByStatus: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  429: 'rate_limited',
};

interface ValidationItem {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** One issue per bad field; an object with unknown keys gives one issue per key. */
export function validationIssues(context: string, items: ValidationItem[]): ErrorIssue[] {
  return items.flatMap((v) => {
    const base = `${context}${v.instancePath.replace(/\/$/, '').replace(/\//g, '.')}`;
    // zod (fastify-type-provider-zod) and Ajv name unknown keys differently.
    const unknown =
      v.keyword === 'unrecognized_keys'
        ? ((v.params.keys as string[] | undefined) ?? [])
        : typeof v.params.additionalProperty === 'string'
          ? [v.params.additionalProperty]
          : [];
    if (unknown.length > 0) {
      return unknown.map((key) => ({
        field: `${base}.${key}`,
        message: `${base}.${key} is not a known field`,
      }));
    }
    if (typeof v.params.missingProperty === 'string') {
      const field = `${base}.${v.params.missingProperty}`;
      return [{ field, message: `${field} is required` }];
    }
    const text = (v.message ?? 'is invalid').replace(/^Invalid input: /, '');
    // A missing body reaches the validator as null; a missing field as undefined.
    const missing = /received undefined$/.test(text) || (base === context && /received null$/.test(text));
    if (missing) return [{ field: base, message: `${base} is required` }];
    return [{ field: base, message: `${base}: ${text.charAt(0).toLowerCase()}${text.slice(1)}` }];
  });
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (err.validation) {
    const issues = validationIssues(err.validationContext ?? 'body', err.validation);
    void reply.status(400).send({
      error: {
        code: 'invalid_input',
        message: issues.map((i) => i.message).join('; '),
        field: issues[0]?.field,
        issues,
      },
    } satisfies ErrorBody);
    return;
  }
  // None of the server's own text goes to the client: it may quote values, types or SQL.
  const sovi = translatePgError(err, { serverText: false });
  if (sovi && sovi.httpStatus < 500) {
    void reply.status(sovi.httpStatus).send(bodyOf(sovi));
    return;
  }
  // An unavailable sovi says so itself (say, this server cannot queue jobs): its message tells what to do.
  if (sovi?.code === 'unavailable' && err instanceof SoviError) {
    void reply.status(503).send(bodyOf(sovi));
    return;
  }
  if (sovi?.code === 'unavailable') {
    errorLogged(request);
    request.log.warn({ err }, 'request failed: database unavailable');
    void reply
      .status(503)
      .header('retry-after', '5')
      .send({
        error: { code: 'unavailable', message: 'the database is unavailable; retry shortly' },
      } satisfies ErrorBody);
    return;
  }
  if (!sovi && err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    void reply.status(err.statusCode).send({
      error: { code: codeByStatus[err.statusCode] ?? 'invalid_input', message: err.message },
    } satisfies ErrorBody);
    return;
  }
  errorLogged(request);
  request.log.error({ err, method: request.method, route: request.routeOptions.url }, 'request failed');
  void reply.status(500).send({ error: { code: 'internal', message: 'internal error' } } satisfies ErrorBody);
}

function bodyOf(err: SoviError): ErrorBody {
  const { field, issues, allowed, badRows } = err.details;
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(field !== undefined ? { field } : {}),
      ...(Array.isArray(allowed) ? { allowed: allowed.map(String) } : {}),
      ...(issues
        ? {
            issues: issues.map(({ line, field: f, message }) => ({
              ...(line !== undefined ? { line } : {}),
              ...(f ? { field: f } : {}),
              message,
            })),
          }
        : {}),
      ...(typeof badRows === 'number' ? { badRows } : {}),
    },
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({
    error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` },
  } satisfies ErrorBody);
}
