// The publisher contract: the simulator's options, its idempotency, and plug-ins loaded by module path.
import fs from 'node:fs/promises';
import { defaultPostOptions } from '../../src/distributions/distribution-model.ts';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import { loadPublisher } from '../../src/plugins/load-plugins.ts';
import type { PublishRequest } from '../../src/plugins/publisher.ts';
import { createSimulatorPublisher } from '../../src/plugins/simulator-publisher.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const context = () => ({ db: t.db, logger: quietLogger });
const request = (key: string): PublishRequest => ({
  idempotencyKey: key,
  platform: 'tiktok',
  account: { id: 'a', username: 'u' },
  videoPath: '/tmp/v.mp4',
  videoKey: `${key}/video.mp4`,
  caption: 'c',
  hashtags: [],
  options: defaultPostOptions,
  scheduledAt: null,
  signal: new AbortController().signal,
});

function refusal(fn: () => unknown): SoviError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SoviError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the simulator publisher', () => {
  it.each([
    [{ transientFailureRate: 2 }, /transientFailureRate/],
    [{ rejectionRate: -0.1 }, /rejectionRate/],
    [{ delayMs: 'soon' }, /delayMs/],
    [{ removalRat: 0.1 }, /removalRat/],
  ])('refuses options %j, naming SOVI_PUBLISHER_OPTIONS and the field', (options, field) => {
    const err = refusal(() => createSimulatorPublisher(options, context()));
    expect(err.code).toBe('config');
    expect(err.message).toMatch(/^SOVI_PUBLISHER_OPTIONS: /);
    expect(err.message).toMatch(field);
  });

  it('answers a repeated key with the post it made, and counts the attempts', async () => {
    const publisher = createSimulatorPublisher(
      { transientFailureRate: 0, rejectionRate: 0, seed: 3 },
      context(),
    );
    const first = await publisher.publish(request('key-1'));
    const again = await publisher.publish(request('key-1'));
    expect(again).toEqual(first);
    expect(first.platformPostId).toMatch(/^sim_tiktok_[0-9a-f]{16}$/);
    const { rows } = await t.pool.query(
      `SELECT attempts FROM simulated_posts WHERE idempotency_key = 'key-1'`,
    );
    expect(rows).toEqual([{ attempts: 2 }]);
    expect(await publisher.status!({ platform: 'tiktok', platformPostId: first.platformPostId })).toBe(
      'live',
    );
    expect(await publisher.status!({ platform: 'tiktok', platformPostId: 'sim_nope' })).toBe('unknown');
  });

  it('fails at its configured rates, the same way for the same seed', async () => {
    const run = async (seed: number, prefix: string) => {
      const publisher = createSimulatorPublisher(
        { transientFailureRate: 0.3, rejectionRate: 0.1, seed },
        context(),
      );
      const outcomes: string[] = [];
      for (let i = 0; i < 200; i++) {
        outcomes.push(
          await publisher.publish(request(`${prefix}-${i}`)).then(
            () => 'posted',
            (err: Error & { retryable?: boolean }) => (err.retryable ? 'transient' : 'rejected'),
          ),
        );
      }
      return outcomes;
    };
    const a = await run(1, 'a');
    const count = (o: string) => a.filter((x) => x === o).length;
    expect(count('rejected')).toBeGreaterThan(8);
    expect(count('rejected')).toBeLessThan(35);
    expect(count('transient')).toBeGreaterThan(35);
    expect(count('transient')).toBeLessThan(90);
    await t.pool.query('DELETE FROM simulated_posts');
    expect(await run(1, 'a')).toEqual(a);
  });
});

describe('loading a publisher plug-in', () => {
  it('loads a module exporting createPublisher, handing it the options', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-publisher-'));
    const file = path.join(dir, 'publisher.mjs');
    await fs.writeFile(
      file,
      `export function createPublisher(options) {
         return { name: 'echo', publish: async (r) => ({ platformPostId: options.prefix + r.idempotencyKey, postedAt: new Date(0) }) };
       }`,
    );
    const publisher = await loadPublisher(file, { prefix: 'p-' }, context());
    expect(publisher.name).toBe('echo');
    expect((await publisher.publish(request('k'))).platformPostId).toBe('p-k');
  });

  it('names SOVI_PUBLISHER when the module is missing or exports no factory', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-publisher-'));
    await expect(loadPublisher(path.join(dir, 'nope.mjs'), {}, context())).rejects.toMatchObject({
      code: 'config',
      message: expect.stringMatching(/^SOVI_PUBLISHER: cannot load/),
    });
    const file = path.join(dir, 'empty.mjs');
    await fs.writeFile(file, 'export const x = 1;');
    await expect(loadPublisher(file, {}, context())).rejects.toMatchObject({
      code: 'config',
      message: expect.stringMatching(/exports no createPublisher/),
    });
  });
});
