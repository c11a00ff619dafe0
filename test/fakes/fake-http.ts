// What both platform fakes share: a real HTTP server on 127.0.0.1, request bodies read whole, and the fault
// modes every test can switch on (slow answers, 5xx, dropped connections) per path.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Faults {
  /** Milliseconds every answer waits. */
  slowMs: number;
  /** Path prefix → how many next requests get a 5xx. */
  serverErrors: Map<string, number>;
  /** Path prefix → how many next requests have their connection dropped without an answer. */
  drops: Map<string, number>;
  /** Drops the connection of a request this answers true for (read whole first, as a proxy that dies would). */
  dropWhen: ((req: FakeRequest) => boolean) | undefined;
  /**
   * Milliseconds a request waits before it is answered (on top of slowMs): a platform slower than sovi's
   * deadline on one endpoint, or a request held while a test kills the process that made it.
   */
  delayWhen: ((req: FakeRequest) => number) | undefined;
}

export interface FakeServer {
  readonly url: string;
  readonly faults: Faults;
  /** Requests seen, by "METHOD path". */
  readonly calls: Map<string, number>;
  count(method: string, path: string): number;
  close(): Promise<void>;
}

function take(map: Map<string, number>, path: string): boolean {
  for (const [prefix, n] of map) {
    if (path.startsWith(prefix) && n > 0) {
      map.set(prefix, n - 1);
      return true;
    }
  }
  return false;
}

export async function startFakeServer(
  handle: (req: FakeRequest, base: string) => Promise<FakeAnswer> | FakeAnswer,
  serverError: (path: string) => FakeAnswer,
): Promise<FakeServer> {
  const faults: Faults = {
    slowMs: 0,
    serverErrors: new Map(),
    drops: new Map(),
    dropWhen: undefined,
    delayWhen: undefined,
  };
  const calls = new Map<string, number>();
  let base = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const key = `${req.method} ${url.pathname}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      void (async () => {
        const request: FakeRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        const wait = faults.slowMs + (faults.delayWhen?.(request) ?? 0);
        // The wait ends early when the caller hangs up, so that a held request keeps no timer behind.
        if (wait > 0)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            req.socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        if (req.socket.destroyed) return; // The caller gave up (its deadline) or died while it waited.
        if (take(faults.drops, url.pathname) || faults.dropWhen?.(request)) {
          req.socket.destroy();
          return;
        }
        let answer: FakeAnswer;
        if (take(faults.serverErrors, url.pathname)) answer = serverError(url.pathname);
        else {
          try {
            answer = await handle(request, base);
          } catch (err) {
            answer = serverError(url.pathname);
            console.error('fake server handler failed', err);
          }
        }
        const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
        res.writeHead(answer.status, {
          'content-type': 'application/json; charset=utf-8',
          ...answer.headers,
        });
        res.end(payload);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    faults,
    calls,
    count: (method, path) => calls.get(`${method} ${path}`) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const formOf = (body: Buffer): URLSearchParams => new URLSearchParams(body.toString('utf8'));

export function jsonOf(body: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
