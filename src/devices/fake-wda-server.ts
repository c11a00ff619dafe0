// A stand-in for a phone's WebDriverAgent on 127.0.0.1, answering the two routes the health monitor reads
// with WDA's JSON shapes. The tests drive it through every failure the monitor must survive, and the demo
// mode of `sovi up` runs a few as its fleet.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { OneOf } from '../errors.ts';

export const fakeWdaModes = ['healthy', 'hang', 'error', 'not_ready', 'vanished'] as const;
/**
 * healthy: answers like a ready WDA. hang: accepts connections and never answers. error: HTTP 500 with
 * WDA's error JSON. not_ready: HTTP 200 with `ready: false`. vanished: not listening (connection refused).
 */
export type FakeWdaMode = OneOf<typeof fakeWdaModes>;

/**
 * w3c (default): today's WDA, errors as HTTP 4xx/5xx with `value.error`. jsonwp: an old WDA speaking the JSON
 * Wire Protocol, which answers everything with HTTP 200 and a numeric `status` (0 success, 6 no such
 * session, 13 unknown error, …).
 */
export type FakeWdaProtocol = 'w3c' | 'jsonwp';

/** The JSON Wire Protocol status of each W3C error this fake sends. */
const jsonwpStatus: Record<string, number> = {
  'invalid session id': 6,
  'unknown command': 9,
  'unknown error': 13,
};

export interface FakeWdaOptions {
  mode?: FakeWdaMode;
  protocol?: FakeWdaProtocol;
  /** 0–1, as WDA reports it. */
  battery?: number;
  /** The session WDA reports on /status; null: no session, so no battery reading. */
  sessionId?: string | null;
  iosVersion?: string;
  /** 0 (default): a free port. */
  port?: number;
}

export interface FakeWda {
  readonly port: number;
  readonly url: string;
  readonly mode: FakeWdaMode;
  /** Switching to vanished closes the server; switching from it listens again on the same port. */
  setMode(mode: FakeWdaMode): Promise<void>;
  setBattery(level: number): void;
  setSessionId(id: string | null): void;
  setProtocol(protocol: FakeWdaProtocol): void;
  /** Runs `fn` before each answer, until set to null: what happens elsewhere while a probe is out. */
  setBeforeAnswer(fn: (() => Promise<void>) | null): void;
  /** Every request received, as "GET /status". */
  requests(): string[];
  /** Listens again on the same port, healthy unless told otherwise. */
  reopen(mode?: Exclude<FakeWdaMode, 'vanished'>): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeWda(options: FakeWdaOptions = {}): Promise<FakeWda> {
  let mode: FakeWdaMode = options.mode ?? 'healthy';
  let battery = options.battery ?? 0.8;
  let sessionId = options.sessionId ?? null;
  let protocol = options.protocol ?? 'w3c';
  const iosVersion = options.iosVersion ?? '17.5.1';
  const received: string[] = [];
  const sockets = new Set<Socket>();
  let beforeAnswer: (() => Promise<void>) | null = null;

  const answer = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (mode === 'hang') return; // Never answers; close() destroys the socket.
    const send = (status: number, body: Record<string, unknown>) => {
      const old = protocol === 'jsonwp';
      response.writeHead(old ? 200 : status, { 'content-type': 'application/json;charset=UTF-8' });
      response.end(JSON.stringify(old && body.status === undefined ? { status: 0, ...body } : body));
    };
    const wdaError = (status: number, error: string, message: string) =>
      protocol === 'jsonwp'
        ? send(200, { status: jsonwpStatus[error] ?? 13, value: message, sessionId })
        : send(status, { value: { error, message, traceback: '' }, sessionId });
    if (mode === 'error') {
      return wdaError(
        500,
        'unknown error',
        'Failed to communicate with the XCTest runner: the test runner crashed',
      );
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const batteryRoute = /^\/session\/([^/]+)\/wda\/batteryInfo$/.exec(url.pathname);
    if (request.method === 'GET' && url.pathname === '/status') {
      return send(200, {
        value: {
          message:
            mode === 'not_ready'
              ? 'WebDriverAgent is not ready yet'
              : 'WebDriverAgent is ready to accept commands',
          state: mode === 'not_ready' ? 'starting' : 'success',
          os: { name: 'iOS', version: iosVersion, sdkVersion: iosVersion.split('.').slice(0, 2).join('.') },
          ios: { ip: '10.0.0.5' },
          ready: mode !== 'not_ready',
          build: {
            time: 'Jan 1 2026 00:00:00',
            productBundleIdentifier: 'com.facebook.WebDriverAgentRunner',
          },
        },
        sessionId,
      });
    }
    if (request.method === 'GET' && batteryRoute) {
      if (sessionId === null || decodeURIComponent(batteryRoute[1] ?? '') !== sessionId) {
        return wdaError(404, 'invalid session id', `Session does not exist: ${batteryRoute[1] ?? ''}`);
      }
      return send(200, { value: { level: battery, state: battery >= 1 ? 3 : 2 }, sessionId });
    }
    return wdaError(404, 'unknown command', `Unhandled endpoint: ${url.pathname} with parameters {}`);
  };
  const server = http.createServer((request, response) => {
    received.push(`${request.method ?? '?'} ${request.url ?? '?'}`);
    if (beforeAnswer === null) return answer(request, response);
    beforeAnswer().then(
      () => answer(request, response),
      (err: unknown) => response.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const shut = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      // Hanging requests and idle keep-alive connections would otherwise hold the server (and the process).
      for (const socket of sockets) socket.destroy();
    });

  const port = await listen(options.port ?? 0);
  if (mode === 'vanished') await shut();

  const fake: FakeWda = {
    port,
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    async setMode(next) {
      if (next === 'vanished') {
        mode = next;
        return shut();
      }
      if (mode === 'vanished') return fake.reopen(next);
      mode = next;
    },
    setBattery(level) {
      battery = level;
    },
    setSessionId(id) {
      sessionId = id;
    },
    setProtocol(next) {
      protocol = next;
    },
    setBeforeAnswer(fn) {
      beforeAnswer = fn;
    },
    requests: () => [...received],
    async reopen(next = 'healthy') {
      mode = next;
      if (!server.listening) await listen(port);
    },
    close: () => {
      mode = 'vanished';
      return shut();
    },
  };
  return fake;
}
