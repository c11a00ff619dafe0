// HTTP API figures: sovi's app (buildApp: helmet, bearer-token auth, zod validation and serialization, the
// services) against a bare Fastify() route running the same SQL through pool.query and returning the rows
// as JSON, both on 127.0.0.1, loaded by autocannon (10 connections) in one run, alternating sovi and bare:
//  - GET /api/v1/accounts?limit=50 over 20,000 live accounts;
//  - GET /api/v1/metrics/niches/{slug}/daily?days=90 over two years of niche_metrics_daily.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createToken } from '../src/auth/tokens-service.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool } from '../src/db/pool.ts';
import { buildApp } from '../src/http/app.ts';
import { createVault } from '../src/vault/vault.ts';
import { bareDashboardApp, listen } from './bare-dashboard.ts';
import { logger, type BenchServer, type Row, type Section } from './harness.ts';
import { loadPolicies } from '../src/policies.ts';

export const ACCOUNTS = 20_000;
export const DAYS_STORED = 730;
const CONNECTIONS = 10;
const DURATION_S = 8;
const WARMUP_S = 3;

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface CannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Cannon = (options: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  workers?: number;
}) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

const openPool = (url: string) =>
  createPool(
    { url },
    { min: 1, max: CONNECTIONS, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );

/**
 * What the dashboard reads: ACCOUNTS accounts created a second apart, their states taken round robin from
 * `states`, and DAYS_STORED days of niche rollups.
 */
export async function seedDashboardData(pool: pg.Pool, states: readonly string[] = ['active']) {
  // Created a second apart, so that the list's ORDER BY created_at, id is not decided by id alone.
  await pool.query(
    `INSERT INTO accounts (platform, username, current_state, niche_id, followers, bio, created_at)
     SELECT (ARRAY['tiktok', 'instagram'])[1 + i % 2], 'bench_' || i,
            ($2::text[])[1 + i % cardinality($2::text[])],
            (SELECT id FROM niches ORDER BY slug OFFSET i % 5 LIMIT 1), i * 7, 'bench account ' || i,
            now() - make_interval(secs => $1::int - i)
     FROM generate_series(1, $1::int) i`,
    [ACCOUNTS, states],
  );
  await pool.query(
    `INSERT INTO niche_metrics_daily (niche_id, day, views_gained, likes_gained, comments_gained, shares_gained,
                                      saves_gained, engagement_rate, accounts, followers, follower_delta, posts,
                                      warming_sessions)
     SELECT n.id, current_date - k, 1000 + k * 13, 100 + k, 10 + k % 7, k % 5, k % 3, 0.05 + (k % 10) / 100.0,
            800, 1000000 + k * 100, k * 3, 40 + k % 9, 120 + k % 11
     FROM niches n, generate_series(0, $1::int - 1) k`,
    [DAYS_STORED],
  );
  await pool.query('ANALYZE');
}

interface Load {
  p50: number;
  p99: number;
  rps: number;
}

/** One autocannon run, in a worker thread of its own so that the client does not share the server's loop. */
async function load(url: string, headers: Record<string, string>, duration: number): Promise<Load> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration, headers, workers: 1 });
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(`bench: ${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
  }
  return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average };
}

export async function apiBench(server: BenchServer): Promise<Section> {
  const { url } = await server.createDatabase();
  const pool = openPool(url);
  const apps: FastifyInstance[] = [];
  try {
    await migrate({ url }, { logger });
    await seedDashboardData(pool);
    const db = createDb(pool);
    const loaded = loadConfig({ SOVI_HOST_NAME: 'bench-host' });
    const config = loaded;
    const vault = createVault({ keys: `k1:${randomBytes(32).toString('base64')}`, keyFile: undefined });
    const sovi = await buildApp({ db, pool, logger, vault, config, policies: loadPolicies(config) });
    apps.push(sovi);
    const bare = bareDashboardApp(pool);
    apps.push(bare);
    const { secret } = await createToken(db, { name: 'bench' }, 'bench');
    const auth = { authorization: `Bearer ${secret}` };
    const base = { sovi: await listen(sovi), bare: await listen(bare) };
    const slug = (await pool.query<{ slug: string }>('SELECT slug FROM niches ORDER BY slug LIMIT 1'))
      .rows[0]!.slug;

    const endpoints = [
      {
        what: `GET /api/v1/accounts?limit=50 (${ACCOUNTS.toLocaleString('en')} accounts)`,
        path: '/api/v1/accounts?limit=50',
        check: (body: unknown) => (body as { accounts: unknown[] }).accounts.length === 50,
      },
      {
        what: `GET /api/v1/metrics/niches/{slug}/daily?days=90 (${DAYS_STORED} days stored)`,
        path: `/api/v1/metrics/niches/${slug}/daily?days=90`,
        // 90 UTC days, today included (src/metrics/analytics-reads.ts: dayRange).
        check: (body: unknown) => (body as { days: unknown[] }).days.length === 90,
      },
    ];
    const rows: Row[] = [];
    for (const e of endpoints) {
      // Both answer 200 with the same rows before anything is measured.
      for (const [name, at] of Object.entries(base)) {
        const response = await fetch(`${at}${e.path}`, { headers: auth });
        const body: unknown = await response.json();
        if (response.status !== 200 || !e.check(body)) {
          throw new Error(
            `bench: ${name} ${e.path}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`,
          );
        }
      }
      await load(`${base.sovi}${e.path}`, auth, WARMUP_S);
      await load(`${base.bare}${e.path}`, auth, WARMUP_S);
      const s1 = await load(`${base.sovi}${e.path}`, auth, DURATION_S);
      const b1 = await load(`${base.bare}${e.path}`, auth, DURATION_S);
      rows.push(
        {
          what: `${e.what}: requests/s`,
          sovi: s1.rps.toFixed(0),
          baseline: `${b1.rps.toFixed(0)} (bare Fastify route, same SQL)`,
          ratio: `${(s1.rps / b1.rps).toFixed(2)}×`,
        },
        {
          what: `${e.what}: p50 / p99 latency, ms`,
          sovi: `${s1.p50} / ${s1.p99}`,
          baseline: `${b1.p50} / ${b1.p99}`,
          ratio: `${(s1.p99 / b1.p99).toFixed(2)}× (p99)`,
        },
      );
    }
    return {
      title: 'HTTP API',
      notes: [
        `autocannon ${CONNECTIONS} connections for ${DURATION_S} s per figure (after a ${WARMUP_S} s warm-up of each),`,
        "in a worker thread of the bench process; sovi's app (buildApp, with a bearer token on every request) and",
        'the bare Fastify() app share one process and one pool of 10 connections, and are measured one after the',
        "other. The bare route runs the same SELECTs as sovi's services (for the niche read: the slug lookup, then",
        'the rollup read) and returns the rows as JSON; sovi also authenticates the token (one SELECT), validates',
        'the query, maps the rows and serializes them through its zod schemas, and adds its security headers.',
      ],
      rows,
    };
  } finally {
    for (const app of apps) await app.close();
    await pool.end();
  }
}
