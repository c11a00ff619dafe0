// Text with a NUL byte cannot be stored (PostgreSQL's text refuses it): every request's body, query and path
// are checked once, here, before validation, so such a value is a 400 naming its field instead of a write
// failing with the database's own error text.
import type { FastifyInstance } from 'fastify';
import { nulBytePath } from '../csv-import.ts';
import { invalidInput } from '../errors.ts';

export function refuseNulBytes(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    // A batch import reports such an item as a bad row by its line, and with onBadRows 'skip' leaves it out.
    if (request.routeOptions.config.namesNulBytesByItem) return;
    const at =
      nulBytePath(request.params, 'params') ??
      nulBytePath(request.query, 'query') ??
      nulBytePath(request.body, 'body');
    // The value is not echoed: it may be a secret.
    if (at !== undefined)
      throw invalidInput(at, `${at}: contains a NUL byte (\\u0000), which cannot be stored`);
  });
}
