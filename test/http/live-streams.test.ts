// Live streams at scale, over real sockets: many open streams share one read per notification (events) and
// one poller (warming sessions); open streams are capped per token, per address and in all with a 429; and a
// client that stops reading is dropped while the others keep receiving.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens-service.ts';
import { recordEvent } from '../../src/events/events-service.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();

interface OpenStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  text(): string;
  until(predicate: (text: string) => boolean, what: string): Promise<void>;
  close(): void;
}

/** A stream over node:http, so that a test can pick the client's address (any of 127.0.0.0/8). */
function openStream(
  base: string,
  path: string,
  secret: string,
  localAddress = '127.0.0.1',
): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${base}${path}`,
      { headers: { authorization: `Bearer ${secret}` }, localAddress, agent: false },
      (response) => {
        let text = '';
        let ended = false;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('close', () => (ended = true));
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: () => text,
          until: (predicate, what) =>
            until(
              what,
              async () => {
                if (predicate(text)) return true;
                if (ended) throw new Error(`stream ended waiting for ${what}; got:\n${text.slice(-2000)}`);
                return undefined;
              },
              { intervalMs: 20 },
            ).then(() => undefined),
          close: () => request.destroy(),
        });
      },
    );
    request.on('error', reject);
  });
}

async function metric(api: TestApp, name: string, labels: string): Promise<number> {
  const body = (await api.call('GET', '/metrics')).body;
  const line = body.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('event streams', () => {
  let api: TestApp;
  let base: string;
  beforeAll(async () => {
    api = await startTestApp(t, { api: { streamsPerToken: 100, streamsPerAddress: 100, streamsTotal: 100 } });
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => api.close());

  it('share one read of the log per notification, however many are open, each with its own filter', async () => {
    const n = 20;
    const streams = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        openStream(base, `/api/v1/events/stream${i % 2 ? '?severity=critical' : ''}`, api.admin.secret),
      ),
    );
    await Promise.all(streams.map((s) => s.until((text) => text.includes(': connected'), 'connected')));
    // Every follower has joined the shared reader once a first event reaches them all.
    const first = await recordEvent(t.db, {
      category: 'system',
      severity: 'critical',
      eventType: 'fanout_warmup',
      message: 'warm-up',
    });
    await Promise.all(streams.map((s) => s.until((text) => text.includes(`id: ${first.id}\n`), 'warm-up')));

    const readsBefore = await metric(api, 'sovi_stream_shared_reads', 'kind="events"');
    const started = Date.now();
    const events = [];
    for (const severity of ['warning', 'critical', 'info'] as const) {
      events.push(
        await recordEvent(t.db, {
          category: 'system',
          severity,
          eventType: 'fanout_probe',
          message: severity,
        }),
      );
    }
    const [warning, critical, info] = events as [(typeof events)[0], (typeof events)[0], (typeof events)[0]];
    await Promise.all(
      streams.map((s, i) =>
        s.until((text) => text.includes(`id: ${i % 2 ? critical.id : info.id}\n`), 'the probes'),
      ),
    );
    const reads = (await metric(api, 'sovi_stream_shared_reads', 'kind="events"')) - readsBefore;
    // One read per notification (3), plus the 2 s re-read of each elapsed period; a read per stream would be
    // at least n per notification.
    const polls = Math.ceil((Date.now() - started) / 2_000) + 1;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(3 + polls);
    expect(reads).toBeLessThan(n);
    // Filtered in memory: the critical-only streams got no warning.
    for (const [i, s] of streams.entries()) {
      expect(s.text().includes(`id: ${warning.id}\n`)).toBe(i % 2 === 0);
    }
    for (const s of streams) s.close();
    await until('the streams closed', async () =>
      (await metric(api, 'sovi_streams_open', 'kind="events"')) === 0 ? true : undefined,
    );
  });

  it('drop a client that stops reading while the others keep receiving', async () => {
    const slowApi = await startTestApp(t, { api: { streamMaxBufferBytes: 262_144 } });
    const slowBase = await slowApi.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = new URL(slowBase);
      // A client that sends its request and then never reads a byte.
      const slow = net.connect({ host: url.hostname, port: Number(url.port) });
      slow.on('error', () => undefined);
      await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
      slow.write(
        `GET /api/v1/events/stream HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${slowApi.admin.secret}\r\n\r\n`,
      );
      slow.pause();
      const fast = await openStream(slowBase, '/api/v1/events/stream', slowApi.admin.secret);
      await fast.until((text) => text.includes(': connected'), 'connected');
      await until('both streams open', async () =>
        (await metric(slowApi, 'sovi_streams_open', 'kind="events"')) === 2 ? true : undefined,
      );

      // 1 MB of events a round (500 of 2 kB, one page of the shared reader), until the slow one is dropped:
      // the kernel's socket buffers take the first few MB.
      let lastId = 0;
      for (let round = 0; round < 60; round++) {
        const { rows } = await t.pool.query<{ id: string }>(
          `INSERT INTO system_events (category, severity, event_type, message, context, resolved, resolved_by, resolved_at)
           SELECT 'system', 'info', 'flood', 'flood ' || g, jsonb_build_object('pad', repeat('x', 2000)), true, 'auto', now()
           FROM generate_series(1, 500) g RETURNING id`,
        );
        lastId = Math.max(...rows.map((r) => Number(r.id)));
        await fast.until((text) => text.includes(`id: ${lastId}\n`), `event ${lastId} on the reading stream`);
        if ((await metric(slowApi, 'sovi_streams_dropped_total', 'kind="events"')) >= 1) break;
      }
      await until('the slow client dropped', async () =>
        (await metric(slowApi, 'sovi_streams_dropped_total', 'kind="events"')) >= 1 ? true : undefined,
      );
      await until('only the reading stream open', async () =>
        (await metric(slowApi, 'sovi_streams_open', 'kind="events"')) === 1 ? true : undefined,
      );
      expect(slowApi.log()).toContain('client is not reading; dropped');

      // The reading one goes on.
      const after = await recordEvent(t.db, {
        category: 'system',
        severity: 'info',
        eventType: 'after_drop',
        message: 'still here',
      });
      await fast.until((text) => text.includes(`id: ${after.id}\n`), 'an event after the drop');
      fast.close();
      slow.destroy();
    } finally {
      await slowApi.close();
    }
  }, 120_000);
});

describe('warming session streams', () => {
  let api: TestApp;
  let base: string;
  beforeAll(async () => {
    api = await startTestApp(t, { api: { streamsPerToken: 100, streamsPerAddress: 100, streamsTotal: 100 } });
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => api.close());

  it('share one poller, and it stops when the last stream closes', async () => {
    const account = await factories.account(t.pool, { username: 'shared_poller' });
    const n = 12;
    const streams = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        openStream(
          base,
          `/api/v1/warming/sessions/stream${i % 2 ? '?account=shared_poller' : ''}`,
          api.admin.secret,
        ),
      ),
    );
    await Promise.all(streams.map((s) => s.until((text) => text.includes(': connected'), 'connected')));
    const readsBefore = await metric(api, 'sovi_stream_shared_reads', 'kind="warming_sessions"');
    const started = Date.now();
    const session = await factories.warmingSession(t.pool, {
      account_id: account.id,
      started_at: new Date(),
    });
    await Promise.all(
      streams.map((s) => s.until((text) => text.includes(String(session.id)), 'the session')),
    );
    // Let a few polls pass (1.5 s each): one poller makes one read each, not one per stream.
    await until('three poll periods', async () => (Date.now() - started > 4_500 ? true : undefined), {
      intervalMs: 100,
    });
    const reads = (await metric(api, 'sovi_stream_shared_reads', 'kind="warming_sessions"')) - readsBefore;
    const periods = Math.ceil((Date.now() - started) / 1_500) + 2;
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(periods);
    expect(reads).toBeLessThan(n);

    for (const s of streams) s.close();
    await until('the streams closed', async () =>
      (await metric(api, 'sovi_streams_open', 'kind="warming_sessions"')) === 0 ? true : undefined,
    );
    const stopped = await metric(api, 'sovi_stream_shared_reads', 'kind="warming_sessions"');
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(await metric(api, 'sovi_stream_shared_reads', 'kind="warming_sessions"')).toBeLessThanOrEqual(
      stopped + 1,
    );
  }, 60_000);
});

describe('open streams are capped', () => {
  let api: TestApp;
  let base: string;
  beforeAll(async () => {
    api = await startTestApp(t, { api: { streamsPerToken: 2, streamsPerAddress: 3, streamsTotal: 4 } });
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => api.close());

  const refusal = (s: OpenStream) => JSON.parse(s.text()) as { error: { code: string; message: string } };
  const ended = (s: OpenStream) => s.until(() => s.text().endsWith('}'), 'the refusal body');

  it('per token, per address and in all, with a 429 naming the cap and Retry-After', async () => {
    const third = await createToken(t.db, { name: `third-${process.pid}-${Date.now()}` }, 'test');
    const open: OpenStream[] = [];
    const openOk = async (path: string, secret: string, address?: string) => {
      const s = await openStream(base, path, secret, address);
      expect(s.status).toBe(200);
      open.push(s);
      return s;
    };
    await openOk('/api/v1/events/stream', api.admin.secret);
    await openOk('/api/v1/warming/sessions/stream', api.admin.secret);

    // A third stream for the same token, of either kind.
    const perToken = await openStream(base, '/api/v1/events/stream', api.admin.secret);
    await ended(perToken);
    expect(perToken.status).toBe(429);
    expect(perToken.headers['retry-after']).toMatch(/^\d+$/);
    expect(refusal(perToken).error.code).toBe('rate_limited');
    expect(refusal(perToken).error.message).toMatch(/for this token \(2, SOVI_STREAMS_PER_TOKEN\)/);

    // Another token from the same address: the address's third is allowed, its fourth is not.
    await openOk('/api/v1/events/stream', api.reader.secret);
    const perAddress = await openStream(base, '/api/v1/events/stream', third.secret);
    await ended(perAddress);
    expect(perAddress.status).toBe(429);
    expect(perAddress.headers['retry-after']).toMatch(/^\d+$/);
    expect(refusal(perAddress).error.message).toMatch(/from this address \(3, SOVI_STREAMS_PER_ADDRESS\)/);

    // From another address: the fourth in all is allowed, the fifth is not.
    await openOk('/api/v1/events/stream', third.secret, '127.0.0.2');
    const total = await openStream(base, '/api/v1/events/stream', third.secret, '127.0.0.3');
    await ended(total);
    expect(total.status).toBe(429);
    expect(refusal(total).error.message).toMatch(/on this server \(4, SOVI_STREAMS_MAX\)/);
    expect(api.log()).not.toContain('"level":50');

    // A closed stream frees its place.
    open.shift()!.close();
    await until('a place freed', async () => {
      const s = await openStream(base, '/api/v1/events/stream', api.admin.secret);
      if (s.status === 200) return s;
      await ended(s);
      return undefined;
    }).then((s) => open.push(s));
    for (const s of open) s.close();
  });
});
