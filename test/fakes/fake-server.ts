// What the platform fakes share: a real HTTP server on 127.0.0.1, a log of every request (so tests can count
// calls), and the fault modes a platform shows in the wild: answering 5xx, answering slowly, dropping the
// connection. Nothing here contacts a host outside this machine.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'none' }
  /** Every request answers this 5xx status. */
  | { kind: 'down'; status?: number }
  /** Every request waits this long before it is handled. */
  | { kind: 'slow'; ms: number }
  /** Every request's connection is destroyed without an answer. */
  | { kind: 'drop' };

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status it was answered with (undefined: dropped, or not answered yet). */
  status?: number;
}

export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface FakeServer {
  url: string;
  /** Every request that reached the server (faulted ones too), in order. */
  readonly requests: FakeRequest[];
  fault: Fault;
  close(): Promise<void>;
}

export async function startFakeServer(
  handle: (request: FakeRequest) => FakeAnswer,
  /** A 5xx answer's body in the platform's own envelope. */
  outage: (status: number) => unknown,
): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const state: { fault: Fault } = { fault: { kind: 'none' } };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const fault = state.fault;
      const answer = (a: FakeAnswer) => {
        if (res.destroyed) return;
        request.status = a.status;
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(JSON.stringify(a.body));
      };
      if (fault.kind === 'drop') return req.socket.destroy();
      if (fault.kind === 'down') {
        const status = fault.status ?? 503;
        return answer({ status, body: outage(status) });
      }
      if (fault.kind === 'slow') {
        setTimeout(() => answer(handle(request)), fault.ms).unref();
        return;
      }
      answer(handle(request));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get fault() {
      return state.fault;
    },
    set fault(value: Fault) {
      state.fault = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A sliding window of request times: whether one more fits under `limit` per `windowMs`. */
export function slidingWindow(limit: number, windowMs: number): { admit(key: string): boolean } {
  const times = new Map<string, number[]>();
  return {
    admit(key) {
      const now = Date.now();
      const recent = (times.get(key) ?? []).filter((t) => t > now - windowMs);
      if (recent.length >= limit) {
        times.set(key, recent);
        return false;
      }
      recent.push(now);
      times.set(key, recent);
      return true;
    },
  };
}
