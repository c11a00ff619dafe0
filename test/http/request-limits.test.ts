// What a client can make the server hold or choke on: a request trickled a byte at a time, a body nested
// thousands of levels deep, a name longer than the router's default parameter limit, a NUL byte, and a
// client hanging up mid-body. Over real sockets against a listening server where timing matters.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
let port: number;
beforeAll(async () => {
  api = await startTestApp(t, { api: { receiveTimeoutMs: 2_000 } });
  const url = new URL(await api.app.listen({ host: '127.0.0.1', port: 0 }));
  port = Number(url.port);
});
afterAll(() => api.close());

/** A socket to the server that resolves once the server closes it, with how long that took. */
function trickle(path: string): { closed: Promise<number>; socket: net.Socket } {
  const started = performance.now();
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
  );
  const drip = setInterval(() => socket.write(' '), 200);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      clearInterval(drip);
      resolve(performance.now() - started);
    }),
  );
  return { closed, socket };
}

describe('a request trickled a byte at a time', () => {
  it('is cut off once the receive timeout is over, on an unknown route and an API route alike', async () => {
    const clients = [
      ...Array.from({ length: 30 }, () => trickle('/no/such/route')),
      ...Array.from({ length: 30 }, () => trickle('/api/v1/devices')),
    ];
    try {
      const times = await Promise.all(clients.map((c) => c.closed));
      // Bounded by the 2 s receive timeout plus Node's 1 s checking interval; generous for a busy machine.
      expect(Math.max(...times)).toBeLessThan(15_000);
    } finally {
      for (const c of clients) c.socket.destroy();
    }
  }, 30_000);
});

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('deeply nested JSON', () => {
  for (const url of ['/api/v1/metrics/snapshots', '/api/v1/trends/import', '/api/v1/devices']) {
    it(`is refused with a 400 naming the problem on ${url}`, async () => {
      for (const payload of [
        `{"snapshots": ${nested(100_000)}}`,
        `{"a": ${'{"a": '.repeat(5_000)}1${'}'.repeat(5_000)}}`,
      ]) {
        const response = await api.app.inject({
          method: 'POST',
          url,
          headers: { ...bearer(api.admin.secret), 'content-type': 'application/json' },
          payload,
        });
        expect(response.statusCode, response.body).toBe(400);
        expect(response.json().error).toMatchObject({ code: 'invalid_input', field: 'body' });
        expect(response.json().error.message).toMatch(/nested more than \d+ levels/);
      }
    });
  }

  it('keeps ordinary bodies, brackets inside strings included, working', async () => {
    const response = await api.call('POST', '/api/v1/devices', {
      name: `brackets-[[[{{{-${Date.now()}`,
      udid: `udid-"\\[[[-${Date.now()}`,
    });
    expect(response.statusCode, response.body).toBe(201);
  });

  it('does not stall the server: /healthz answers quickly while a 7.8 MB nested body is refused', async () => {
    const depth = 3_900_000;
    const body = `{"snapshots": ${nested(depth)}}`;
    const socket = net.connect(port, '127.0.0.1');
    const answer = new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    socket.write(
      `POST /api/v1/metrics/snapshots HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
        `Authorization: Bearer ${api.admin.secret}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    socket.end(body);
    let slowest = 0;
    let done = false;
    void answer.finally(() => (done = true));
    while (!done) {
      const started = performance.now();
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
    }
    expect(await answer).toMatch(/^HTTP\/1\.1 400/);
    // Parsing that body took about 4 s of a blocked event loop before; the depth check takes milliseconds.
    expect(slowest).toBeLessThan(1_500);
  }, 30_000);
});

describe('long names', () => {
  it('a device named with 200 characters is reached by its name and udid', async () => {
    const name = `n${'é'.repeat(150)}${'x'.repeat(43)}-${String(Date.now()).slice(-5)}`;
    const udid = `u${'0'.repeat(193)}${String(Date.now()).slice(-6)}`;
    expect(name).toHaveLength(200);
    expect(udid).toHaveLength(200);
    const created = await api.call('POST', '/api/v1/devices', { name, udid });
    expect(created.statusCode, created.body).toBe(201);
    for (const ref of [name, udid]) {
      const got = await api.call('GET', `/api/v1/devices/${encodeURIComponent(ref)}`);
      expect(got.statusCode, got.body).toBe(200);
      expect(got.json().device).toMatchObject({ name, udid });
    }
    const tooLong = await api.call('GET', `/api/v1/devices/${'x'.repeat(201)}`);
    expect(tooLong.statusCode).toBe(404);
  });
});

describe('a NUL byte', () => {
  it('in a body field is a 400 naming the field, with none of the database’s text', async () => {
    const response = await api.call('POST', '/api/v1/devices', {
      name: `nul\u0000name-${Date.now()}`,
      udid: `nul-udid-${Date.now()}`,
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_input', field: 'body.name' });
    expect(response.json().error.message).toMatch(/NUL byte/);
    expect(response.body).not.toMatch(/0x00|UTF8|byte sequence/);
  });

  it('in a nested field, the query or the path is a 400 naming it', async () => {
    const nestedField = await api.call('POST', '/api/v1/notifications/channels', {
      name: 'nul',
      kind: 'email',
      email: { host: 'smtp\u0000.example' },
    });
    expect(nestedField.statusCode, nestedField.body).toBe(400);
    expect(nestedField.json().error.field).toBe('body.email.host');
    // A batch item is named by its line instead (test/http/metrics-api.test.ts).
    const batchItem = await api.call('POST', '/api/v1/metrics/snapshots', {
      snapshots: [{ platform: 'tiktok\u0000' }],
    });
    expect(batchItem.statusCode, batchItem.body).toBe(400);
    expect(batchItem.json().error.issues[0]).toMatchObject({
      line: 1,
      message: expect.stringMatching(/^item\.platform: contains a NUL byte/),
    });
    const query = await api.call('GET', '/api/v1/devices?host=a%00b');
    expect(query.statusCode, query.body).toBe(400);
    expect(query.json().error.field).toBe('query.host');
    const path = await api.call('GET', '/api/v1/devices/a%00b');
    expect(path.statusCode, path.body).toBe(400);
    expect(path.json().error.field).toBe('params.ref');
  });
});

describe('a client hanging up mid-body', () => {
  it('is not logged as the database being unavailable', async () => {
    const hangUps = 20;
    await Promise.all(
      Array.from(
        { length: hangUps },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(port, '127.0.0.1', () => {
              socket.write(
                `POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.admin.secret}\r\n` +
                  `Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": "half`,
              );
              // Once the server is reading the body (it authenticated first), hang up.
              setTimeout(() => socket.destroy(), 300);
            });
            socket.on('error', () => undefined);
            socket.on('close', () => resolve());
          }),
      ),
    );
    const lines = () => api.log().split('\n').filter(Boolean);
    await until('the server to log the aborted requests', async () =>
      lines().filter((l) => l.includes('aborted by the client')).length >= hangUps ? true : undefined,
    );
    expect(api.log()).not.toMatch(/database unavailable/);
    // And a healthy database keeps answering.
    expect((await api.call('GET', '/api/v1/devices')).statusCode).toBe(200);
  });
});
