// A broken socket means the database is unavailable only when it was the database's: a client that hung up
// on the API (or a child's closed pipe) fails the same way, ECONNRESET or EPIPE, and is no outage.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { translatePgError } from '../../src/db/pg-errors.ts';
import { createPool } from '../../src/db/pool.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();

describe('translatePgError', () => {
  it('does not read a broken socket of anything but the database as an outage', () => {
    // What Node gives a request whose client hung up mid-body, and a write to a closed pipe.
    const hangUp = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const pipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
    expect(translatePgError(hangUp)).toBeUndefined();
    expect(translatePgError(pipe)).toBeUndefined();
  });

  it('still reads failing to connect as an outage', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(translatePgError(refused)?.code).toBe('unavailable');
  });

  it('reads a database that resets the connection while it is being made as an outage', async () => {
    // A peer that accepts and resets at once, as a server that is stopping or starting may.
    const resetting = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const url = new URL(t.url);
    url.hostname = '127.0.0.1';
    url.port = String((resetting.address() as net.AddressInfo).port);
    const pool = createPool(
      { url: url.toString() },
      { min: 0, max: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'reset test' },
      quietLogger,
    );
    try {
      const err = await pool.query('SELECT 1').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as { code?: string }).code).toBe('ECONNRESET');
      expect(translatePgError(err)?.code).toBe('unavailable');
    } finally {
      await pool.end().catch(() => undefined);
      await new Promise<void>((resolve) => resetting.close(() => resolve()));
    }
  });

  describe('a database connection reset mid-query', () => {
    const sockets = new Set<net.Socket>();
    // A local TCP proxy in front of the test database that can reset every connection it carries.
    const proxy = net.createServer((inbound) => {
      const target = new URL(t.url);
      const outbound = net.connect(Number(target.port), target.hostname);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it('is an outage', async () => {
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const url = new URL(t.url);
      url.hostname = '127.0.0.1';
      url.port = String((proxy.address() as net.AddressInfo).port);
      const pool = createPool(
        { url: url.toString() },
        { min: 0, max: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'reset test' },
        quietLogger,
      );
      try {
        const query = pool.query('SELECT pg_sleep(30)');
        const failed = query.then(
          () => undefined,
          (err: unknown) => err,
        );
        // Once the query runs, reset both sides of the proxy: the pool's socket gets ECONNRESET.
        await until('the query to be running', async () => {
          const { rows } = await t.pool.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'reset test' AND query LIKE '%pg_sleep%'",
          );
          return rows.length > 0 ? true : undefined;
        });
        for (const s of sockets) s.resetAndDestroy();
        const err = await failed;
        expect((err as { code?: string }).code).toBe('ECONNRESET');
        expect(translatePgError(err)?.code).toBe('unavailable');
      } finally {
        await pool.end().catch(() => undefined);
      }
    });
  });
});
