// Warming sessions live over HTTP: the Server-Sent Events stream sends each session as it starts and again
// as it completes, filters by account, resumes after Last-Event-ID, and wants a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
let base: string;
beforeAll(async () => {
  api = await startTestApp(t);
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => api.close());

interface Message {
  id: string;
  data: { id: string; username: string; completedAt: string | null; outcome: string | null };
}

async function openStream(query = '', headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/v1/warming/sessions/stream${query}`, {
    headers: { ...bearer(api.admin.secret), ...headers },
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const messages = (): Message[] =>
    text
      .split('\n\n')
      .filter((m) => m.startsWith('id: '))
      .map((m) => {
        const [idLine, dataLine] = m.split('\n');
        return { id: idLine!.slice(4), data: JSON.parse(dataLine!.slice(6)) as Message['data'] };
      });
  return {
    response,
    text: () => text,
    messages,
    async until(predicate: (messages: Message[], text: string) => boolean) {
      while (!predicate(messages(), text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; got:\n${text}`);
        text += decoder.decode(value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}

const completeSession = (id: string, outcome: string) =>
  t.pool.query(`UPDATE warming_progress SET completed_at = now(), session_data = $2 WHERE id = $1`, [
    id,
    JSON.stringify({ outcome }),
  ]);

describe('the warming session stream', () => {
  it('sends a session when it starts and again when it completes, with only the filtered account', async () => {
    const phone = await factories.device(t.pool, { name: 'stream-phone' });
    const watched = await factories.account(t.pool, { username: 'stream_watched' });
    const other = await factories.account(t.pool, { username: 'stream_other' });
    // Finished before the stream opened: not sent.
    await factories.warmingSession(t.pool, {
      account_id: watched.id,
      started_at: new Date(Date.now() - 600_000),
      completed_at: new Date(Date.now() - 500_000),
    });
    const all = await openStream();
    const mine = await openStream('?account=stream_watched');
    expect(all.response.status).toBe(200);
    expect(all.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await all.until((_, text) => text.includes(': connected'));
    await mine.until((_, text) => text.includes(': connected'));

    const session = await factories.warmingSession(t.pool, {
      account_id: watched.id,
      device_id: phone.id,
      started_at: new Date(),
    });
    const elsewhere = await factories.warmingSession(t.pool, {
      account_id: other.id,
      started_at: new Date(),
    });
    await all.until((ms) => ms.some((m) => m.data.id === elsewhere.id));
    await mine.until((ms) => ms.some((m) => m.data.id === session.id));
    expect(mine.messages().find((m) => m.data.id === session.id)!.data).toMatchObject({
      username: 'stream_watched',
      completedAt: null,
      outcome: null,
    });

    await completeSession(String(session.id), 'success');
    await mine.until((ms) => ms.some((m) => m.data.id === session.id && m.data.completedAt !== null));
    const sent = mine.messages().filter((m) => m.data.id === session.id);
    expect(sent.map((m) => m.data.outcome)).toEqual([null, 'success']);
    expect(sent[1]!.id > sent[0]!.id).toBe(true);
    expect(mine.messages().some((m) => m.data.id === elsewhere.id)).toBe(false);
    // The overlap each poll re-reads is not sent twice.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(mine.messages().filter((m) => m.data.id === session.id)).toHaveLength(2);
    all.close();
    mine.close();
  });

  it('resumes after Last-Event-ID', async () => {
    const account = await factories.account(t.pool, { username: 'stream_resume' });
    const first = await openStream('?account=stream_resume');
    await first.until((_, text) => text.includes(': connected'));
    const a = await factories.warmingSession(t.pool, { account_id: account.id, started_at: new Date() });
    await first.until((ms) => ms.some((m) => m.data.id === a.id));
    const lastId = first.messages().at(-1)!.id;
    first.close();

    // Completed, and another started, while no one was listening.
    await completeSession(String(a.id), 'timeout');
    const b = await factories.warmingSession(t.pool, { account_id: account.id, started_at: new Date() });
    const again = await openStream('?account=stream_resume', { 'last-event-id': lastId });
    await again.until((ms) => ms.some((m) => m.data.id === b.id) && ms.some((m) => m.data.id === a.id));
    expect(again.messages().find((m) => m.data.id === a.id)!.data.outcome).toBe('timeout');
    again.close();
  });

  it('wants a token, a known account and a valid Last-Event-ID', async () => {
    expect((await fetch(`${base}/api/v1/warming/sessions/stream`)).status).toBe(401);
    const get = (url: string, headers: Record<string, string> = {}) =>
      api.app.inject({ url, headers: { ...bearer(api.admin.secret), ...headers } });
    expect((await get('/api/v1/warming/sessions/stream?account=nobody_at_all')).statusCode).toBe(404);
    expect((await get('/api/v1/warming/sessions/stream?bogus=1')).statusCode).toBe(400);
    expect((await get('/api/v1/warming/sessions/stream', { 'last-event-id': 'yesterday' })).statusCode).toBe(
      400,
    );
  });
});
