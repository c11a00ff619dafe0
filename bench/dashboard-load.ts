// Dashboard readers for the benches that run sovi as processes: autocannon, one instance per route at a fixed
// request rate (what a few people with the dashboard open ask for, not a saturation test), in this process
// so that every response's latency is kept (autocannon's own summary has no p95).
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

interface CannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Cannon = (
  options: {
    url: string;
    connections: number;
    duration: number;
    overallRate?: number;
    headers?: Record<string, string>;
    requests?: { method: 'GET'; path: string }[];
  },
  done: (err: Error | null, result: CannonResult) => void,
) => EventEmitter;
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

export interface DashboardRoute {
  name: string;
  /** Cycled through by each connection. */
  paths: string[];
}

export type Latencies = Map<string, number[]>;

export const newLatencies = (routes: DashboardRoute[]): Latencies =>
  new Map(routes.map((r) => [r.name, [] as number[]]));

/** Loads every route at once for `seconds`, adding each 200's latency (ms) to `into`; non-200s are counted. */
export async function loadDashboard(
  base: string,
  routes: DashboardRoute[],
  options: {
    seconds: number;
    /** Requests per second per route over all its connections; undefined: each connection asks again at once. */
    ratePerRoute?: number;
    connectionsPerRoute: number;
    headers: Record<string, string>;
  },
  into: Latencies,
): Promise<{ failed: number }> {
  let failed = 0;
  await Promise.all(
    routes.map(
      (route) =>
        new Promise<void>((resolve, reject) => {
          const latencies = into.get(route.name)!;
          const instance = autocannon(
            {
              url: base,
              connections: options.connectionsPerRoute,
              duration: options.seconds,
              ...(options.ratePerRoute === undefined ? {} : { overallRate: options.ratePerRoute }),
              headers: options.headers,
              requests: route.paths.map((path) => ({ method: 'GET', path })),
            },
            (err, result) => {
              if (err) return reject(err);
              failed += result.errors + result.timeouts;
              resolve();
            },
          );
          instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
            if (status === 200) latencies.push(ms);
            else failed++;
          });
        }),
    ),
  );
  return { failed };
}
