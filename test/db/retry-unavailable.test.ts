// The last write of work done outside the database survives a short outage, and nothing else is retried.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { retryWhileUnavailable } from '../../src/db/retry-unavailable.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const options = { maxMs: 5_000, logger: quietLogger, what: 'a test write' };

describe('retryWhileUnavailable', () => {
  it('records once the database answers again after its connection was terminated', async () => {
    await t.pool.query('CREATE TABLE outage_probe (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)');
    await t.pool.query('INSERT INTO outage_probe (id) VALUES (1)');
    let calls = 0;
    const result = await retryWhileUnavailable(async () => {
      calls++;
      const client = new pg.Client({ connectionString: t.url });
      await client.connect();
      client.on('error', () => {});
      try {
        // The first two attempts lose their connection mid-write, as under pg_terminate_backend.
        if (calls <= 2) await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
        const { rows } = await client.query<{ n: number }>(
          'UPDATE outage_probe SET n = n + 1 WHERE id = 1 RETURNING n',
        );
        return rows[0]?.n;
      } finally {
        await client.end().catch(() => {});
      }
    }, options);
    expect(calls).toBe(3);
    expect(result).toBe(1);
  });

  it('does not retry a mistake, only unavailability', async () => {
    let calls = 0;
    await expect(
      retryWhileUnavailable(async () => {
        calls++;
        await t.pool.query('SELECT 1/0');
      }, options),
    ).rejects.toThrow(/division by zero/);
    expect(calls).toBe(1);
  });

  it('gives up at its deadline or when the worker stops, with the last error', async () => {
    const unavailable = new Error('Connection terminated unexpectedly');
    let calls = 0;
    const started = Date.now();
    await expect(
      retryWhileUnavailable(
        () => {
          calls++;
          return Promise.reject(unavailable);
        },
        { ...options, maxMs: 400 },
      ),
    ).rejects.toBe(unavailable);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls).toBeGreaterThan(1);

    const stopping = AbortSignal.abort();
    calls = 0;
    await expect(
      retryWhileUnavailable(
        () => {
          calls++;
          return Promise.reject(unavailable);
        },
        { ...options, signal: stopping },
      ),
    ).rejects.toBe(unavailable);
    expect(calls).toBe(1);
  });
});
