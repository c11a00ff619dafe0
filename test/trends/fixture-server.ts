// Reddit listings recorded on RECORDED_AT, replayed on 127.0.0.1 (this machine has no internet). A path is
// answered from fixtures/reddit/<path>, unless a test routes it to another file or to a failure.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');
/** When the listings were recorded: their created_utc are hours before it. */
export const RECORDED_AT = new Date('2026-03-10T12:00:00Z');

export type Route =
  | { file: string }
  | { status: number; body?: string }
  | { raw: string }
  /** Accepts the request and never answers. */
  | 'hang';

export interface FixtureServer {
  readonly url: string;
  /** Answers `pathname` (e.g. /r/personalfinance/top.json) this way from now on. */
  route(pathname: string, route: Route): void;
  requests(): { path: string; query: URLSearchParams; userAgent: string | undefined }[];
  close(): Promise<void>;
}

/**
 * `replayAt`: move every post's created_utc by (replayAt − RECORDED_AT), as if recorded then; for tests that
 * run on the real clock (the CLI).
 */
export async function startFixtureServer(options: { replayAt?: Date } = {}): Promise<FixtureServer> {
  const routes = new Map<string, Route>();
  const seen: { path: string; query: URLSearchParams; userAgent: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  const shiftSeconds = options.replayAt ? (options.replayAt.getTime() - RECORDED_AT.getTime()) / 1000 : 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push({ path: url.pathname, query: url.searchParams, userAgent: req.headers['user-agent'] });
    const route = routes.get(url.pathname) ?? { file: path.join('reddit', url.pathname) };
    if (route === 'hang') return;
    if ('status' in route) {
      res.writeHead(route.status, { 'content-type': 'text/html' }).end(route.body ?? '<html>error</html>');
      return;
    }
    if ('raw' in route) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(route.raw);
      return;
    }
    fs.readFile(path.join(FIXTURES, route.file), 'utf8').then(
      (text) => {
        res
          .writeHead(200, { 'content-type': 'application/json; charset=UTF-8' })
          .end(shift(text, shiftSeconds));
      },
      () => {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"message": "Not Found", "error": 404}');
      },
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    route: (pathname, route) => routes.set(pathname, route),
    requests: () => [...seen],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function shift(text: string, seconds: number): string {
  if (seconds === 0) return text;
  const listing = JSON.parse(text) as {
    data: { children: { data: { created_utc: number; created: number } }[] };
  };
  for (const { data } of listing.data.children) {
    data.created_utc += seconds;
    data.created += seconds;
  }
  return JSON.stringify(listing);
}
