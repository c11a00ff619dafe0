// @no-database
// A PostgreSQL restart under load: a cluster of the test's own is stopped (fast shutdown) while `sovi up`
// serves requests, runs sessions and publishes, kept down a few seconds, and started again on the same
// port and data. sovi must stay up, answer 503 with a retry hint while the server is down (quickly: no
// hang), and be fully back (API, /readyz, sessions) within 10 s of the server accepting connections again.
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stopEmbeddedPostgres, useEmbeddedPostgres } from '../../src/db/embedded/server.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../src/db/embedded/throwaway.ts';
import { quietLogger } from '../helpers/database.ts';
import { startBusySovi, LOAD_PATHS, type BusySovi } from './busy-sovi.ts';
import { checkIntegrity, expectNothingTwice } from './integrity.ts';
import { failingPaths, startLoad, summarize } from './load-driver.ts';

let cluster: ThrowawayPostgres | undefined;
let busy: BusySovi | undefined;
let checks: pg.Pool | undefined;
afterAll(async () => {
  await busy?.close();
  await checks?.end();
  await cluster?.dispose();
});

const DOWN_MS = 4_000;
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_LATENCY_MS = REQUEST_TIMEOUT_MS + 2_500;
const RECOVERY_MS = 10_000;
/**
 * Sessions take longer than the API: the session jobs running when the server stopped could record neither
 * their end nor their failure, so they stay active until their heartbeat runs out (10 s, pg-boss's least)
 * and are retried after the queue's retry delay, and a device runs nothing else meanwhile (one session per
 * device). Measured ~14 s after the server was ready; the bound is heartbeat + supervision + retry delay,
 * with slack for a loaded machine.
 */
const SESSION_RECOVERY_MS = 30_000;

describe('a PostgreSQL restart under load', () => {
  it('keeps sovi up, answers 503 quickly while the server is down, and serves again within 10 s of it being ready', async () => {
    cluster = await startThrowawayPostgres(quietLogger, 'sovi-fault-pg-');
    const { home } = cluster;
    const admin = new pg.Client({ connectionString: cluster.server.urlFor('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE sovi_restart');
    await admin.end();
    const url = cluster.server.urlFor('sovi_restart');
    busy = await startBusySovi({
      url,
      host: 'restart',
      devices: 2,
      accountsPerDevice: 15,
      distributions: 40,
      env: { SOVI_DB_CONNECT_TIMEOUT_MS: '2000', SOVI_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
    });
    const { sovi, token } = busy;
    checks = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 });
    checks.on('error', () => undefined); // Its idle connections die with the server.
    const completedSince = async (since: Date) =>
      (
        await checks!.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM warming_progress WHERE completed_at > $1`,
          [since],
        )
      ).rows[0]!.n;

    const started = new Date();
    await vi.waitFor(async () => expect(await completedSince(started)).toBeGreaterThan(0), {
      timeout: 30_000,
      interval: 250,
    });

    const load = startLoad({
      baseUrl: sovi.url,
      token,
      paths: [...LOAD_PATHS, '/readyz'],
      concurrency: 6,
      timeoutMs: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const stopping = load.now();
    expect(await stopEmbeddedPostgres(home, 'postgres')).toBe('stopped');
    const down = load.now();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    const starting = load.now();
    const restarted = await useEmbeddedPostgres({
      home,
      osUser: 'postgres',
      database: 'postgres',
      logger: quietLogger,
    });
    expect(restarted.port).toBe(cluster.server.port);
    const ready = load.now();
    const readyAt = new Date();

    if (busy.exited()) {
      const { stdout, stderr } = sovi.output();
      throw new Error(
        `sovi up exited while PostgreSQL was down (${JSON.stringify(busy.exited())}):\n${stdout.slice(-3_000)}\n${stderr.slice(-5_000)}`,
      );
    }
    await vi.waitFor(
      async () => expect(await failingPaths(sovi.url, token, [...LOAD_PATHS, '/readyz'])).toEqual([]),
      { timeout: 30_000, interval: 100 },
    );
    const apiRecoveryMs = Math.round(load.now() - ready);
    await vi.waitFor(async () => expect(await completedSince(readyAt)).toBeGreaterThan(0), {
      timeout: 60_000,
      interval: 250,
    });
    const sessionRecoveryMs = Math.round(load.now() - ready);
    const records = await load.stop();

    const whileDown = records.filter((r) => r.startedAt >= down && r.startedAt < starting);
    const summary = summarize(records);
    console.log(
      `sovi fault test: PostgreSQL stopped in ${Math.round(down - stopping)} ms, down ${Math.round(starting - down)} ms, ` +
        `started in ${Math.round(ready - starting)} ms; ${summary.requests} requests (${whileDown.length} while down), ` +
        `${summary.ok} ok, ${summary.unavailable} 503, ${summary.bad.length} other failures, ` +
        `max latency ${summary.maxLatencyMs} ms (${Math.round(Math.max(0, ...whileDown.map((r) => r.latencyMs)))} ms while down); ` +
        `API back ${apiRecoveryMs} ms after the server was ready, sessions completing again after ${sessionRecoveryMs} ms`,
    );

    expect(busy.exited()).toBeUndefined();
    expect(summary.bad.slice(0, 5)).toEqual([]);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(whileDown.every((r) => r.status === 503 && r.retryAfter)).toBe(true);
    expect(summary.maxLatencyMs).toBeLessThan(MAX_LATENCY_MS);
    expect(apiRecoveryMs).toBeLessThan(RECOVERY_MS);
    expect(sessionRecoveryMs).toBeLessThan(SESSION_RECOVERY_MS);

    expect((await sovi.stop('SIGTERM')).code).toBe(0);
    const integrity = await checkIntegrity(checks);
    expectNothingTwice(integrity);
  }, 170_000);
});
