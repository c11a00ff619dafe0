// A refusal by PostgreSQL reaches the client as a 4xx naming the constraint or column, never with the
// server's own text (which may quote values, types or SQL).
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/http/error-handler.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const app = Fastify();
app.setErrorHandler(errorHandler);

/** The error PostgreSQL really answers `statement` with. */
async function pgError(statement: string): Promise<unknown> {
  return t.pool.query(statement).then(
    () => new Error(`expected ${statement} to fail`),
    (err: unknown) => err,
  );
}

beforeAll(async () => {
  await t.pool.query('CREATE TABLE text_probe (name text NOT NULL, CONSTRAINT text_probe_key UNIQUE (name))');
  await t.pool.query(`INSERT INTO text_probe VALUES ('taken-secretish-value')`);
  const errors: Record<string, unknown> = {
    '/bad-value': await pgError(`SELECT 'not-a-uuid-secretish-value'::uuid`),
    '/nul': await pgError(`SELECT convert_from('\\x6100'::bytea, 'UTF8')`),
    '/taken': await pgError(`INSERT INTO text_probe VALUES ('taken-secretish-value')`),
    '/null': await pgError(`INSERT INTO text_probe VALUES (NULL)`),
  };
  for (const [url, err] of Object.entries(errors)) {
    app.get(url, async () => {
      throw err;
    });
  }
});
afterAll(() => app.close());

describe('a database refusal', () => {
  for (const [url, status] of [
    ['/bad-value', 400],
    ['/nul', 400],
    ['/taken', 409],
    ['/null', 400],
  ] as const) {
    it(`(${url}) is a ${status} without the server's text`, async () => {
      const response = await app.inject(url);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.body).not.toMatch(/secretish|syntax|UTF8|byte sequence|violates|Key \(|null value/);
    });
  }
});
