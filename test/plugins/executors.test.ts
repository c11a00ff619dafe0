// @no-database
// The executor contract: the deterministic simulator, and plug-ins loaded by module path.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionRequest } from '../../src/plugins/executor.ts';
import { loadExecutor } from '../../src/plugins/load-plugins.ts';
import { createSimulatorExecutor } from '../../src/plugins/simulator-executor.ts';

const request = (sessionKey: string, signal = new AbortController().signal): SessionRequest => ({
  sessionKey,
  account: { id: 'a', platform: 'tiktok', username: 'u', state: 'warming_p2' },
  device: { id: 'd', name: 'iPhone-1', udid: 'x', host: 'h', wdaPort: 8100 },
  phase: 2,
  day: 5,
  signal,
});

describe('the simulator executor', () => {
  it('gives the same facts for the same seed and session, whatever the order', async () => {
    const one = createSimulatorExecutor({
      seed: 42,
      minDurationMs: 0,
      maxDurationMs: 0,
      deviceDropRate: 0.3,
    });
    const two = createSimulatorExecutor({
      seed: 42,
      minDurationMs: 0,
      maxDurationMs: 0,
      deviceDropRate: 0.3,
    });
    const keys = Array.from({ length: 20 }, (_, i) => `session-${i}`);
    const forward = await Promise.all(keys.map((k) => one.runSession(request(k))));
    const backward = (
      await Promise.all([...keys].reverse().map((k) => two.runSession(request(k))))
    ).reverse();
    expect(forward).toEqual(backward);
    const other = createSimulatorExecutor({
      seed: 43,
      minDurationMs: 0,
      maxDurationMs: 0,
      deviceDropRate: 0.3,
    });
    expect(await Promise.all(keys.map((k) => other.runSession(request(k))))).not.toEqual(forward);
  });

  it('produces each outcome at about its configured rate', async () => {
    const sim = createSimulatorExecutor({
      minDurationMs: 0,
      maxDurationMs: 0,
      deviceDropRate: 0.1,
      loginFailureRate: 0.05,
      challengeRate: 0.05,
      errorRate: 0.1,
    });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const { outcome } = await sim.runSession(request(`rate-${i}`));
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    expect(counts.success! / 4000).toBeCloseTo(0.7, 1);
    expect(counts.device_lost! / 4000).toBeCloseTo(0.1, 1);
    expect(counts.login_failed! / 4000).toBeCloseTo(0.05, 1);
    expect(counts.challenge! / 4000).toBeCloseTo(0.05, 1);
    expect(counts.error! / 4000).toBeCloseTo(0.1, 1);
  });

  it('stops when its signal aborts', async () => {
    const sim = createSimulatorExecutor({ minDurationMs: 60_000, maxDurationMs: 60_000 });
    const controller = new AbortController();
    const running = sim.runSession(request('abort-me', controller.signal));
    controller.abort(new Error('worker stopping'));
    await expect(running).rejects.toThrow('worker stopping');
  });

  it.each([
    [{ deviceDropRate: 2 }, /deviceDropRate/],
    [{ minDurationMs: 10, maxDurationMs: 5 }, /maxDurationMs must be ≥ minDurationMs/],
    [{ deviceDropRate: 0.6, loginFailureRate: 0.6 }, /add up to more than 1/],
    [{ speed: 'fast' }, /Unrecognized key/i],
  ])('refuses options %o, naming SOVI_EXECUTOR_OPTIONS', (options, message) => {
    expect(() => createSimulatorExecutor(options)).toThrow(message);
    expect(() => createSimulatorExecutor(options)).toThrow(/SOVI_EXECUTOR_OPTIONS/);
  });
});

describe('plug-ins by module path', () => {
  it('loads createExecutor(options) from a module and passes it the options', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-plugin-'));
    await fs.writeFile(
      path.join(dir, 'fake-driver.mjs'),
      `export function createExecutor(options) {
         return { name: 'fake-driver', runSession: async () => ({ outcome: 'success', videosWatched: options.videos,
           likes: 0, follows: 0, durationSeconds: 1 }) };
       }`,
    );
    const executor = await loadExecutor('fake-driver.mjs', { videos: 9 }, dir);
    expect(executor.name).toBe('fake-driver');
    expect((await executor.runSession(request('k'))).videosWatched).toBe(9);
  });

  it('says what is wrong with a plug-in that cannot be used', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-plugin-'));
    await fs.writeFile(path.join(dir, 'empty.mjs'), 'export const nothing = 1;');
    await fs.writeFile(path.join(dir, 'broken.mjs'), 'export function createExecutor() { return {}; }');
    await expect(loadExecutor('missing.mjs', {}, dir)).rejects.toThrow(
      /SOVI_EXECUTOR: cannot load .*missing\.mjs/,
    );
    await expect(loadExecutor('empty.mjs', {}, dir)).rejects.toThrow(
      /exports no createExecutor\(options\) function/,
    );
    await expect(loadExecutor('broken.mjs', {}, dir)).rejects.toThrow(
      /did not return an executor with runSession/,
    );
  });
});
