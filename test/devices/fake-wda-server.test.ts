// @no-database
// The fake WebDriverAgent answers like the real one in each mode the monitor must survive; the demo fleet of
// `sovi up --demo` relies on it too.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeWda, type FakeWda } from '../../src/devices/fake-wda-server.ts';

const fakes: FakeWda[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(options: Parameters<typeof startFakeWda>[0] = {}): Promise<FakeWda> {
  const server = await startFakeWda(options);
  fakes.push(server);
  return server;
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: await response.json() };
}

describe('the fake WebDriverAgent', () => {
  it("answers /status and the session's battery in WDA's shapes", async () => {
    const wda = await fake({ sessionId: 'S1', battery: 0.75, iosVersion: '17.5.1' });
    expect(wda.url).toBe(`http://127.0.0.1:${wda.port}`);
    expect(await get(`${wda.url}/status`)).toEqual({
      status: 200,
      body: {
        value: expect.objectContaining({
          message: 'WebDriverAgent is ready to accept commands',
          state: 'success',
          os: { name: 'iOS', version: '17.5.1', sdkVersion: '17.5' },
          ready: true,
        }),
        sessionId: 'S1',
      },
    });
    expect(await get(`${wda.url}/session/S1/wda/batteryInfo`)).toEqual({
      status: 200,
      body: { value: { level: 0.75, state: 2 }, sessionId: 'S1' },
    });
    wda.setSessionId(null);
    expect((await get(`${wda.url}/session/S1/wda/batteryInfo`)).status).toBe(404);
  });

  it('speaks the old JSON Wire Protocol on request: HTTP 200 always, with a numeric status', async () => {
    const wda = await fake({ protocol: 'jsonwp', sessionId: 'S1', battery: 0.5 });
    expect(await get(`${wda.url}/status`)).toMatchObject({
      status: 200,
      body: { status: 0, sessionId: 'S1' },
    });
    expect(await get(`${wda.url}/session/S2/wda/batteryInfo`)).toMatchObject({
      status: 200,
      body: { status: 6, value: 'Session does not exist: S2' },
    });
    await wda.setMode('error');
    expect(await get(`${wda.url}/status`)).toMatchObject({ status: 200, body: { status: 13 } });
  });

  it('answers any other route with a WDA-shaped 404', async () => {
    const wda = await fake();
    expect(await get(`${wda.url}/session`)).toEqual({
      status: 404,
      body: { value: expect.objectContaining({ error: 'unknown command' }), sessionId: null },
    });
  });

  it('answers HTTP 500 with WDA error JSON in error mode', async () => {
    const wda = await fake({ mode: 'error' });
    const { status, body } = await get(`${wda.url}/status`);
    expect(status).toBe(500);
    expect(body).toEqual({
      value: { error: 'unknown error', message: expect.any(String), traceback: '' },
      sessionId: null,
    });
  });

  it('refuses connections when vanished, and listens on the same port when reopened', async () => {
    const wda = await fake();
    await wda.setMode('vanished');
    await expect(fetch(`${wda.url}/status`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await wda.reopen();
    expect((await get(`${wda.url}/status`)).status).toBe(200);
    await wda.setMode('vanished');
    await wda.setMode('error');
    expect((await fetch(`${wda.url}/status`)).status).toBe(500);
  });

  it('hangs without keeping the process alive once closed', async () => {
    const module = path.resolve(import.meta.dirname, '../../src/devices/fake-wda-server.ts');
    const script = `
      const { startFakeWda } = await import(${JSON.stringify(module)});
      const wda = await startFakeWda({ mode: 'hang' });
      const pending = fetch(wda.url + '/status').then(() => 'answered', () => 'dropped');
      while (wda.requests().length === 0) await new Promise((r) => setTimeout(r, 10));
      await wda.close();
      console.log(await pending);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('dropped');
  });
});
