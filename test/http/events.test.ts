// The event log over HTTP: filters and keyset pages, resolving, and the live stream (Server-Sent Events)
// that new events reach through LISTEN/NOTIFY.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordEvent } from '../../src/events/events-service.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { bearer, fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const get = (url: string) => api.call('GET', url);

describe('events', () => {
  it('are listed newest first with the CLI’s filters, in keyset pages', async () => {
    const device = await factories.device(t.pool, { name: 'events-phone', udid: 'events-udid' });
    const ids: number[] = [];
    for (const severity of ['info', 'warning', 'error', 'warning', 'critical'] as const) {
      // Info events are recorded resolved, the others open.
      const event = await recordEvent(t.db, {
        category: 'device',
        eventType: 'http_probe',
        severity,
        deviceId: String(device.id),
        message: `a ${severity} probe`,
      });
      ids.push(event.id);
    }
    const seen: number[] = [];
    let after: string | null = null;
    do {
      const page = await get(`/api/v1/events?type=http_probe&limit=2${after ? `&after=${after}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().events.map((e: { id: number }) => e.id));
      after = page.json().nextCursor;
    } while (after);
    expect(seen).toEqual([...ids].reverse());

    const warnings = await get('/api/v1/events?type=http_probe&severity=warning,critical&unresolved=true');
    expect(warnings.json().events.map((e: { id: number }) => e.id)).toEqual([ids[4], ids[3], ids[1]]);
    const byDevice = await get('/api/v1/events?device=events-phone&category=device&since=1h');
    expect(byDevice.json().events).toHaveLength(5);
    const future = await get(
      `/api/v1/events?type=http_probe&since=${new Date(Date.now() + 3_600_000).toISOString()}`,
    );
    expect(future.json().events).toEqual([]);

    const shown = await get(`/api/v1/events/${ids[2]}`);
    expect(shown.json()).toMatchObject({
      id: ids[2],
      severity: 'error',
      resolved: false,
      deviceId: device.id,
    });
  });

  it('are resolved with by and a note, once', async () => {
    const event = await factories.event(t.pool, { severity: 'error', event_type: 'to_resolve' });
    const resolve = (payload: object) =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/events/${String(event.id)}/resolve`,
        headers: bearer(api.admin.secret),
        payload,
      });
    const done = await resolve({ by: 'llm_agent', note: 'restarted WDA' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({
      resolved: true,
      resolvedBy: 'llm_agent',
      resolvedAt: expect.any(String),
    });
    const { rows } = await t.pool.query('SELECT context FROM system_events WHERE id = $1', [event.id]);
    expect(JSON.stringify(rows[0].context)).toMatch(/restarted WDA/);
    const again = await resolve({ by: 'human' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/already resolved by llm_agent/);
    const wrong = await resolve({ by: 'robot', why: 'x' });
    expect(fieldsOf(wrong).sort()).toEqual(['body.by', 'body.why']);
  });

  it('mistakes: a bad id or filter is a 400 naming it, a missing event a 404', async () => {
    expect(fieldsOf(await get('/api/v1/events/abc'))).toEqual(['params.id']);
    expect(fieldsOf(await get('/api/v1/events?since=yesterday&severity=loud&unresolved=yes'))).toEqual([
      'querystring.unresolved',
      'querystring.severity.0',
      'querystring.since',
    ]);
    expect((await get('/api/v1/events/999999999')).statusCode).toBe(404);
    expect((await get('/api/v1/events?account=nobody_at_all')).statusCode).toBe(404);
    expect((await get('/api/v1/events?after=garbage')).json().error.field).toBe('after');
  });
});

describe('the event stream', () => {
  let base: string;
  beforeAll(async () => {
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });

  async function openStream(query = '', headers: Record<string, string> = {}) {
    const controller = new AbortController();
    const response = await fetch(`${base}/api/v1/events/stream${query}`, {
      headers: { ...bearer(api.admin.secret), ...headers },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    return {
      response,
      text: () => text,
      async until(predicate: (text: string) => boolean) {
        while (!predicate(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended; got:\n${text}`);
          text += decoder.decode(value, { stream: true });
        }
      },
      close: () => controller.abort(),
    };
  }

  const listeners = async () =>
    (
      await t.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN sovi_events'`,
      )
    ).rows[0]!.n;

  it('sends each newly recorded event that matches its filters, over one shared LISTEN connection', async () => {
    const all = await openStream();
    const critical = await openStream('?severity=critical');
    expect(all.response.status).toBe(200);
    expect(all.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await all.until((text) => text.includes(': connected'));
    await critical.until((text) => text.includes(': connected'));
    expect(await listeners()).toBe(1);

    const warning = await recordEvent(t.db, {
      category: 'system',
      severity: 'warning',
      eventType: 'stream_probe',
      message: 'a warning',
    });
    const alarm = await recordEvent(t.db, {
      category: 'system',
      severity: 'critical',
      eventType: 'stream_probe',
      message: 'a critical one',
    });
    await all.until((text) => text.includes(`id: ${alarm.id}\n`));
    await critical.until((text) => text.includes(`id: ${alarm.id}\n`));
    const message = all
      .text()
      .split('\n\n')
      .find((m) => m.startsWith(`id: ${warning.id}\n`));
    expect(JSON.parse(message!.split('\ndata: ')[1]!)).toMatchObject({
      id: warning.id,
      eventType: 'stream_probe',
      severity: 'warning',
      message: 'a warning',
    });
    expect(critical.text()).not.toContain(`id: ${warning.id}\n`);

    all.close();
    critical.close();
    await vi.waitFor(async () => expect(await listeners()).toBe(0), { timeout: 10_000 });
  });

  it('resumes after Last-Event-ID', async () => {
    const first = await recordEvent(t.db, {
      category: 'system',
      severity: 'info',
      eventType: 'resume_a',
      message: 'a',
    });
    const second = await recordEvent(t.db, {
      category: 'system',
      severity: 'info',
      eventType: 'resume_b',
      message: 'b',
    });
    const stream = await openStream('?category=system', { 'last-event-id': String(first.id - 1) });
    await stream.until((text) => text.includes(`id: ${second.id}\n`));
    expect(stream.text()).toContain(`id: ${first.id}\n`);
    stream.close();
  });

  it('wants a token like every other route', async () => {
    const response = await fetch(`${base}/api/v1/events/stream`);
    expect(response.status).toBe(401);
  });
});
