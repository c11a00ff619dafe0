// A GET that gets no answer within SOVI_HTTP_REQUEST_TIMEOUT_MS (a database that stopped answering, say)
// is answered 503 with a retry hint at the deadline; writes and answered requests are left alone.
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerRequestDeadline } from '../../src/http/request-deadline.ts';

const app = Fastify();
registerRequestDeadline(app, 200);
const never = () => new Promise<never>(() => undefined);
app.get('/slow', async () => never());
app.get('/late', async () => {
  await new Promise((resolve) => setTimeout(resolve, 400));
  return { late: true };
});
app.get('/fast', async () => ({ ok: true }));
app.post('/slow-write', async () => {
  await new Promise((resolve) => setTimeout(resolve, 400));
  return { written: true };
});
afterAll(() => app.close());

describe('the request deadline', () => {
  it('answers a read still waiting at the deadline with 503, a retry hint and a JSON error', async () => {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/slow' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ error: { code: 'unavailable' } });
  });

  it('lets a handler that answers after the deadline finish without harm', async () => {
    expect((await app.inject({ method: 'GET', url: '/late' })).statusCode).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await app.inject({ method: 'GET', url: '/fast' })).statusCode).toBe(200);
  });

  it('leaves answered reads and slow writes alone', async () => {
    expect((await app.inject({ method: 'GET', url: '/fast' })).json()).toEqual({ ok: true });
    const write = await app.inject({ method: 'POST', url: '/slow-write' });
    expect(write.statusCode).toBe(200);
    expect(write.json()).toEqual({ written: true });
  });
});
