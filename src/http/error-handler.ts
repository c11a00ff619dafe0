// One error handler: SoviErrors become their status with a JSON body naming the field; schema validation
// failures become 400 naming each bad field; anything else is a 500 whose details stay in the log.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { SoviError } from '../errors.ts';
import { translatePgError } from '../db/pg-errors.ts';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; issues?: { field?: string; message: string }[] };
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (err.validation) {
    const issues = err.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string }).missingProperty;
      const extra = (v.params as { additionalProperty?: string }).additionalProperty;
      const base = `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`;
      const field = missing ? `${base}.${missing}` : extra ? `${base}.${extra}` : base;
      const message = extra ? 'is not a known field' : (v.message ?? 'is invalid');
      return { field, message: `${field} ${message}` };
    });
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
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    void reply
      .status(err.statusCode)
      .send({ error: { code: 'invalid_input', message: err.message } } satisfies ErrorBody);
    return;
  }
  const sovi = translatePgError(err);
  if (sovi && sovi.httpStatus < 500) {
    void reply.status(sovi.httpStatus).send(bodyOf(sovi));
    return;
  }
  if (sovi?.code === 'unavailable') {
    request.log.warn({ err }, 'request failed: database unavailable');
    void reply
      .status(503)
      .header('retry-after', '5')
      .send({
        error: { code: 'unavailable', message: 'the database is unavailable; retry shortly' },
      } satisfies ErrorBody);
    return;
  }
  request.log.error({ err }, 'request failed');
  void reply.status(500).send({ error: { code: 'internal', message: 'internal error' } } satisfies ErrorBody);
}

function bodyOf(err: SoviError): ErrorBody {
  const { field, issues } = err.details;
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(field !== undefined ? { field } : {}),
      ...(issues
        ? { issues: issues.map(({ field: f, message }) => ({ ...(f ? { field: f } : {}), message })) }
        : {}),
    },
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({
    error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` },
  } satisfies ErrorBody);
}
