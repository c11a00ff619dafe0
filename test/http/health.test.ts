// /healthz says the process serves; /readyz says the database answers. Neither needs a token.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createDb, createPool } from '../../src/db/pool.ts';
import { buildApp } from '../../src/http/app.ts';
import { keyLine, vaultWith } from '../helpers/accounts.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { startTestApp } from './helpers.ts';
import { loadPolicies } from '../../src/policies.ts';

const t = useTestDatabase();

describe('health endpoints', () => {
  it('answers /healthz and /readyz when the database is up', async () => {
    const { app } = await startTestApp(t);
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
    await app.close();
  });

  describe('when the database is unreachable', () => {
    // Port 1 on loopback refuses connections at once.
    const pool = createPool(
      { url: 'postgresql://nobody@127.0.0.1:1/none' },
      { min: 0, max: 1, connectTimeoutMs: 500, statementTimeoutMs: 0, applicationName: 'test' },
      quietLogger,
    );
    const db = createDb(pool);
    afterAll(() => db.destroy());
    const deps = () => ({
      db,
      pool,
      logger: quietLogger,
      vault: vaultWith(keyLine('k1')),
      config: loadConfig({}),
      policies: loadPolicies(loadConfig({})),
    });

    it('keeps /healthz at 200 and answers /readyz with 503 and a retry hint', async () => {
      const app = await buildApp(deps());
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe('5');
      expect(ready.json()).toMatchObject({
        status: 'unavailable',
        reason: expect.stringMatching(/^database: /),
      });
      await app.close();
    });

    it('answers API requests with 503 and Retry-After, not 500', async () => {
      const app = await buildApp(deps());
      const response = await app.inject({
        url: '/api/v1/devices',
        headers: { authorization: `Bearer sovi_${'a'.repeat(43)}` },
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual({
        error: { code: 'unavailable', message: 'the database is unavailable; retry shortly' },
      });
      await app.close();
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = await startTestApp(t);
    const response = await app.inject('/nope?x=1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /nope' } });
    await app.close();
  });
});
