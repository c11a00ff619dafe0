// The dashboard's five reads over HTTP, each against the bare app running the same SQL (bare-dashboard.ts),
// with 10 clients at once, quiet and under load; and what the request log costs (info against silent).
//   node bench/dashboard-reads.ts [--before DIR] [--cookie]
// --before DIR also builds the app of another checkout of sovi (its node_modules installed), e.g. main's, and
// measures it in the same alternating windows: a change's before and after from one run, on one machine.
// --cookie calls as the dashboard does, with the session cookie of a password sign-in, not a bearer token.
// Both apps run in this process on one pool of 10 connections; autocannon runs in this process too (its
// per-response latencies give the p95). Each route is measured in alternating windows, sovi then bare, so
// that both meet the same machine.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { startSession } from '../src/auth/sessions-service.ts';
import { createToken } from '../src/auth/tokens-service.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool, type Db } from '../src/db/pool.ts';
import { buildApp } from '../src/http/app.ts';
import { SESSION_COOKIE } from '../src/http/auth.ts';
import type { Logger } from '../src/logger.ts';
import { loadPolicies } from '../src/policies.ts';
import { addUser } from '../src/users/users-service.ts';
import { createVault } from '../src/vault/vault.ts';
import { bareDashboardApp, listen } from './bare-dashboard.ts';
import { loadDashboard, newLatencies, type DashboardRoute } from './dashboard-load.ts';
import { ACCOUNTS, DAYS_STORED, seedDashboardData } from './api.ts';
import { logger, percentile, type BenchServer, type Row, type Section } from './harness.ts';

const CONTENT = 2_000;
const CLIENTS = 10;
/** Each route's rate: 10 clients, each asking 10 times a second (a dashboard's polling is far slower). */
const RATE = 100;
const WINDOW_S = 4;
const ROUNDS = 2;
const GOAL_MS = 10;
const GOAL_RATIO = 1.2;
/** Connections running a sequential scan back to back during the loaded windows. */
const LOADERS = 2;

async function seed(pool: pg.Pool): Promise<void> {
  await seedDashboardData(pool, ['created', 'warming_p1', 'active']);
  await pool.query(
    `INSERT INTO content (topic, niche_id, production_status)
     SELECT 'topic ' || i, (SELECT id FROM niches ORDER BY slug OFFSET i % 5 LIMIT 1), 'complete'
     FROM generate_series(1, $1::int) i`,
    [CONTENT],
  );
  // The trailing week, as the rollup leaves it: starting six UTC days before today.
  await pool.query(
    `INSERT INTO content_metrics_week (content_id, niche_id, week_start, views_gained, likes_gained, views)
     SELECT id, niche_id, (now() AT TIME ZONE 'UTC')::date - 6, (hashtext(id::text) & 65535), 10, 100000
     FROM content`,
  );
  await pool.query('ANALYZE');
}

/** What each request carries: a bearer token, or (cookie) an admin's session signed in with a password. */
async function credentials(db: Db, cookie: boolean): Promise<Record<string, string>> {
  if (!cookie) {
    const { secret } = await createToken(db, { name: 'bench' }, 'bench');
    return { authorization: `Bearer ${secret}` };
  }
  const password = randomBytes(24).toString('base64url');
  const user = await addUser(db, { name: 'bench', role: 'admin', password }, 'bench');
  const session = await startSession(db, {
    userId: user.id,
    tokenId: null,
    ttlMs: 3_600_000,
    address: null,
    userAgent: null,
  });
  return { cookie: `${SESSION_COOKIE}=${session.secret}` };
}

/** Connections scanning the accounts table back to back until stopped: load that both apps meet alike. */
function backgroundLoad(url: string) {
  let on = true;
  const loops = Array.from({ length: LOADERS }, async () => {
    const client = new pg.Client({ connectionString: url, application_name: 'bench load' });
    await client.connect();
    try {
      while (on) await client.query('SELECT sum(followers + length(bio)) FROM accounts');
    } finally {
      await client.end();
    }
  });
  return async () => {
    on = false;
    await Promise.all(loops);
  };
}

interface Measured {
  sovi: number[];
  bare: number[];
  before: number[];
  failed: number;
}

/**
 * Alternating windows of one route on sovi, on the bare app (and on the other checkout's app, when there is
 * one), each latency (ms) of every 200 kept.
 */
async function measureRoute(
  route: DashboardRoute,
  base: { sovi: string; bare: string; before?: string },
  headers: Record<string, string>,
): Promise<Measured> {
  const m: Measured = { sovi: [], bare: [], before: [], failed: 0 };
  const apps =
    base.before === undefined ? (['sovi', 'bare'] as const) : (['before', 'sovi', 'bare'] as const);
  for (let round = 0; round < ROUNDS; round++) {
    for (const app of apps) {
      const into = newLatencies([route]);
      const { failed } = await loadDashboard(
        base[app]!,
        [route],
        { seconds: WINDOW_S, ratePerRoute: RATE, connectionsPerRoute: CLIENTS, headers },
        into,
      );
      m[app].push(...into.get(route.name)!);
      m.failed += failed;
    }
  }
  return m;
}

/** Requests per second of `route` with 10 connections asking as fast as they are answered. */
async function throughput(base: string, route: DashboardRoute, headers: Record<string, string>) {
  const into = newLatencies([route]);
  const { failed } = await loadDashboard(
    base,
    [route],
    { seconds: WINDOW_S, connectionsPerRoute: CLIENTS, headers },
    into,
  );
  if (failed > 0) throw new Error(`bench: ${route.name}: ${failed} failed requests`);
  return into.get(route.name)!.length / WINDOW_S;
}

const fmt = (n: number) => n.toFixed(1);

/** The app factory of another checkout of sovi, with what it needs built by that checkout's own code. */
async function appOfCheckout(dir: string) {
  // Typed as this checkout's modules: the other's must have the same shape for the bench to mean anything.
  const load = <T>(file: string) => import(pathToFileURL(join(resolve(dir), file)).href) as Promise<T>;
  const [app, config, policies, vault] = await Promise.all([
    load<{ buildApp: typeof buildApp }>('src/http/app.ts'),
    load<{ loadConfig: typeof loadConfig }>('src/config.ts'),
    load<{ loadPolicies: typeof loadPolicies }>('src/policies.ts'),
    load<{ createVault: typeof createVault }>('src/vault/vault.ts'),
  ]);
  return { ...app, ...config, ...policies, ...vault };
}

export async function dashboardReadsBench(
  server: BenchServer,
  options: { before?: string; cookie?: boolean } = {},
): Promise<Section> {
  const { name, url } = await server.createDatabase();
  const pool = createPool(
    { url },
    { min: 1, max: CLIENTS, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );
  const apps: FastifyInstance[] = [];
  try {
    await migrate({ url }, { logger });
    await seed(pool);
    const db = createDb(pool);
    const config = loadConfig({ SOVI_HOST_NAME: 'bench-host' });
    const vault = createVault({ keys: `k1:${randomBytes(32).toString('base64')}`, keyFile: undefined });
    const build = async (log: Logger) => {
      const app = await buildApp({ db, pool, logger: log, vault, config, policies: loadPolicies(config) });
      apps.push(app);
      return listen(app);
    };
    // The app as `sovi up` runs it: the request log at info, written (here to /dev/null).
    const infoLogger = pino({ level: 'info' }, pino.destination('/dev/null'));
    const silentLogger = pino({ level: 'silent' });
    const base: { sovi: string; bare: string; before?: string } = { sovi: await build(infoLogger), bare: '' };
    const bare = bareDashboardApp(pool);
    apps.push(bare);
    base.bare = await listen(bare);
    if (options.before !== undefined) {
      // The same database (migrated by this checkout) and pool; its own code for everything else.
      const other = await appOfCheckout(options.before);
      const otherConfig = other.loadConfig({ SOVI_HOST_NAME: 'bench-host' });
      const app = await other.buildApp({
        db,
        pool,
        logger: infoLogger,
        vault: other.createVault({ keys: `k1:${randomBytes(32).toString('base64')}`, keyFile: undefined }),
        config: otherConfig,
        policies: other.loadPolicies(otherConfig),
      });
      apps.push(app);
      base.before = await listen(app);
    }
    const silent = await build(silentLogger);
    const headers = await credentials(db, options.cookie === true);
    const slug = (await pool.query<{ slug: string }>('SELECT slug FROM niches ORDER BY slug LIMIT 1'))
      .rows[0]!.slug;
    const accountIds = (
      await pool.query<{ id: string }>('SELECT id FROM accounts ORDER BY created_at LIMIT 20')
    ).rows.map((r) => r.id);
    const routes: DashboardRoute[] = [
      { name: 'GET /api/v1/overview', paths: ['/api/v1/overview'] },
      { name: 'GET /api/v1/accounts?limit=100', paths: ['/api/v1/accounts?limit=100'] },
      {
        name: 'GET /api/v1/metrics/niches/{slug}/daily?days=30',
        paths: [`/api/v1/metrics/niches/${slug}/daily?days=30`],
      },
      {
        name: 'GET /api/v1/metrics/accounts/{id}/hourly?days=30',
        paths: accountIds.map((id) => `/api/v1/metrics/accounts/${id}/hourly?days=30`),
      },
      { name: 'GET /api/v1/metrics/top?days=7&limit=10', paths: ['/api/v1/metrics/top?days=7&limit=10'] },
    ];
    // Every route answers 200 on both before anything is measured; then a warm-up of each.
    for (const route of routes) {
      for (const at of [base.sovi, base.bare, silent, ...(base.before ? [base.before] : [])]) {
        const response = await fetch(`${at}${route.paths[0]}`, { headers });
        if (response.status !== 200) {
          throw new Error(`bench: ${at}${route.paths[0]}: ${response.status} ${await response.text()}`);
        }
      }
      for (const at of [base.sovi, base.bare, ...(base.before ? [base.before] : [])]) {
        await loadDashboard(
          at,
          [route],
          { seconds: 1, ratePerRoute: RATE, connectionsPerRoute: CLIENTS, headers },
          newLatencies([route]),
        );
      }
    }

    const rows: Row[] = [];
    for (const loaded of [false, true]) {
      const stopLoad = loaded ? backgroundLoad(url) : undefined;
      try {
        for (const route of routes) {
          const m = await measureRoute(route, base, headers);
          if (m.failed > 0) throw new Error(`bench: ${route.name}: ${m.failed} failed requests`);
          const p = (xs: number[], q: number) => percentile(xs, q);
          const ratio = p(m.sovi, 95) / p(m.bare, 95);
          const met = ratio <= GOAL_RATIO && (loaded || p(m.sovi, 95) <= GOAL_MS);
          rows.push({
            what: `${route.name}, ${loaded ? 'under load' : 'quiet'}: p50 / p95 / p99 ms (${m.sovi.length} requests)`,
            sovi: `${fmt(p(m.sovi, 50))} / ${fmt(p(m.sovi, 95))} / ${fmt(p(m.sovi, 99))}`,
            baseline: `${fmt(p(m.bare, 50))} / ${fmt(p(m.bare, 95))} / ${fmt(p(m.bare, 99))} (bare app, ${m.bare.length} requests)`,
            ratio: `${ratio.toFixed(2)}× (p95)`,
            goal: loaded ? `≤ ${GOAL_RATIO}×` : `p95 ≤ ${GOAL_MS} ms and ≤ ${GOAL_RATIO}×`,
            verdict: met ? 'met' : 'not met',
          });
          if (options.before !== undefined) {
            rows.push({
              what: `${route.name}, ${loaded ? 'under load' : 'quiet'}: the same on ${options.before} (before), p50 / p95 / p99 ms`,
              sovi: `${fmt(p(m.before, 50))} / ${fmt(p(m.before, 95))} / ${fmt(p(m.before, 99))}`,
              baseline: `${fmt(p(m.bare, 95))} (bare app, p95, the same windows)`,
              ratio: `${(p(m.before, 95) / p(m.bare, 95)).toFixed(2)}× (p95)`,
            });
          }
        }
      } finally {
        await stopLoad?.();
      }
    }

    // The request log's cost: the same app with the log at info and silent, alternating windows.
    const logRoute = routes[2]!;
    const rates = { info: [] as number[], silent: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      rates.info.push(await throughput(base.sovi, logRoute, headers));
      rates.silent.push(await throughput(silent, logRoute, headers));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    rows.push({
      what: `${logRoute.name}, 10 clients as fast as answered: requests/s with the log at info`,
      sovi: fmt(mean(rates.info)),
      baseline: `${fmt(mean(rates.silent))} (the same app, log silent)`,
      ratio: `${(mean(rates.info) / mean(rates.silent)).toFixed(2)}×`,
    });

    const caller = options.cookie ? "an admin's session cookie from a password sign-in" : 'a bearer token';
    return {
      title: 'Dashboard reads over HTTP: 10 clients, quiet and under load (bench/dashboard-reads.ts)',
      notes: [
        `${ACCOUNTS.toLocaleString('en')} accounts, ${DAYS_STORED} days of niche rollups, ${CONTENT.toLocaleString('en')} pieces of ` +
          "content in this week's table; the account route cycles over 20 accounts (no hourly rows: the same two " +
          `reads, an empty answer). Each route alone, ${CLIENTS} connections at ${RATE} requests/s in all, ` +
          `${ROUNDS} alternating ${WINDOW_S} s windows on sovi (buildApp, ${caller}, the log at info written to ` +
          '/dev/null) and on the bare app (bench/bare-dashboard.ts: the same SQL through pool.query, no auth, ' +
          'validation, mapping or schemas); both in this process on one pool of 10 connections, with autocannon. ' +
          `Under load: ${LOADERS} more connections scan the accounts table back to back meanwhile. The log's cost: ` +
          `the same route with ${CLIENTS} connections asking as fast as they are answered, on sovi with the log at ` +
          `info and at silent, ${ROUNDS} alternating ${WINDOW_S} s windows each (a request that went well logs at ` +
          'debug, so at info the log writes nothing for them).',
      ],
      rows,
    };
  } finally {
    for (const app of apps) await app.close();
    await pool.end();
    await server.dropDatabase(name);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      cookie: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: node bench/dashboard-reads.ts [--before DIR] [--cookie]\n' +
        '  --before DIR  also measure the app of the sovi checkout at DIR (e.g. /path/to/main, with its\n' +
        '                node_modules), in the same alternating windows as this one and the bare app\n' +
        '  --cookie      call with a dashboard session cookie (a password sign-in), not a bearer token',
    );
    process.exit(0);
  }
  const { openBenchServer } = await import('./harness.ts');
  const { render } = await import('./report.ts');
  const server = await openBenchServer();
  try {
    console.log(
      render(
        [await dashboardReadsBench(server, { before: values.before, cookie: values.cookie })],
        server.label,
      ),
    );
  } finally {
    await server.close();
  }
}
