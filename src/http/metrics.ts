// /metrics in Prometheus's text format: request latency (measured here), and what the database says on
// each scrape: job queue depth, the last hour's warming sessions by outcome, devices by status. Each of
// those reads is served by an index and the whole read runs under a deadline, so a slow or absent database
// costs a scrape only sovi_metrics_database_up 0.
import { sql } from 'kysely';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { promMetrics } from './prom-metrics.ts';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/pool.ts';
import { deviceStatuses } from '../devices/device-model.ts';
import type { Auth } from './auth.ts';

const QUERY_TIMEOUT_MS = 2_000;

// Process metrics (CPU, memory, event loop lag, GC) are the process's, not an app's: one registry for all
// the apps a process builds (tests build many).
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

interface DatabaseFigures {
  queues: { name: string; state: string; n: number }[];
  sessions: { outcome: string; n: number }[];
  devices: { status: string; n: number }[];
}

async function readDatabase(db: Db): Promise<DatabaseFigures> {
  const [queues, sessions, devices] = await Promise.all([
    // Served by pg-boss's job_i14 (name, state, …) WHERE state < 'completed'. The schema exists once
    // `sovi migrate` (or `sovi up`) has installed the job engine.
    (async () => {
      const installed = await sql<{
        ok: boolean;
      }>`SELECT to_regclass('pgboss.job') IS NOT NULL AS ok`.execute(db);
      if (!installed.rows[0]?.ok) return [];
      return (
        await sql<{ name: string; state: string; n: number }>`
          SELECT name, state::text AS state, count(*)::int AS n
          FROM pgboss.job WHERE state < 'completed' GROUP BY 1, 2`.execute(db)
      ).rows;
    })(),
    // Served by warming_progress_completed_idx (014).
    sql<{ outcome: string; n: number }>`
      SELECT coalesce(session_data->>'outcome', 'unknown') AS outcome, count(*)::int AS n
      FROM warming_progress WHERE completed_at >= now() - interval '1 hour' GROUP BY 1`
      .execute(db)
      .then((r) => r.rows),
    sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM devices GROUP BY 1`
      .execute(db)
      .then((r) => r.rows),
  ]);
  return { queues, sessions, devices };
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface MetricsOptions {
  db: Db;
  auth: Auth;
  /** Whether a scrape needs a token (see SOVI_METRICS_TOKEN_REQUIRED). */
  tokenRequired: boolean;
  /** Other parts' figures served with these (the live streams'). */
  registries?: Registry[];
}

/** Adds the latency hook to every route of `app` and serves GET /metrics. Call on the root instance. */
export function registerMetrics(app: FastifyInstance, options: MetricsOptions): void {
  const registry = new Registry();
  const latency = new Histogram({
    name: 'sovi_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const { gauge } = promMetrics(registry);
  const queueDepth = gauge(
    'sovi_job_queue_depth',
    'Jobs waiting or running per pg-boss queue, by state (created, retry, active)',
    ['queue', 'state'],
  );
  const sessions = gauge(
    'sovi_warming_sessions_last_hour',
    'Warming sessions completed in the last hour, by outcome',
    ['outcome'],
  );
  const devices = gauge('sovi_devices', 'Devices by status', ['status']);
  const databaseUp = gauge(
    'sovi_metrics_database_up',
    '1 when the database figures of this scrape could be read, else 0',
  );

  app.addHook('onResponse', (request, reply, done) => {
    latency.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    if (options.tokenRequired) await options.auth.authenticate(request, reply);
    queueDepth.reset();
    sessions.reset();
    devices.reset();
    try {
      const read = await withDeadline(readDatabase(options.db), QUERY_TIMEOUT_MS);
      for (const q of read.queues) queueDepth.set({ queue: q.name, state: q.state }, q.n);
      for (const s of read.sessions) sessions.set({ outcome: s.outcome }, s.n);
      for (const status of deviceStatuses) {
        devices.set({ status }, read.devices.find((d) => d.status === status)?.n ?? 0);
      }
      databaseUp.set(1);
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'metrics: database figures unavailable');
      databaseUp.set(0);
    }
    const merged = Registry.merge([processMetrics(), registry, ...(options.registries ?? [])]);
    return reply.header('content-type', merged.contentType).send(await merged.metrics());
  });
}
