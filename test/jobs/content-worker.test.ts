// The content worker on the job engine: queued production runs every stage and publishes each planned
// distribution once, retries through the engine, and the sweep picks up content whose job was lost.
import { afterEach, describe, expect, it } from 'vitest';
import { createContent, getContent, produce } from '../../src/content/content-service.ts';
import { defaultContentPolicy, type ContentPolicy } from '../../src/content/content-policy.ts';
import { addHook } from '../../src/hooks/hooks-service.ts';
import type { ContentWorker } from '../../src/jobs/content-worker.ts';
import { startTestContentWorker } from '../helpers/content-worker.ts';
import type { Publisher } from '../../src/plugins/publisher.ts';
import { createSimulatorPublisher } from '../../src/plugins/simulator-publisher.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();
const stops: (() => Promise<void>)[] = [];

const policy: ContentPolicy = {
  ...defaultContentPolicy,
  distribution: {
    ...defaultContentPolicy.distribution,
    minGapMinutes: 0,
    maxPostsPerAccountPerDay: 50,
    // With half of all attempts failing, 4 attempts would give up on one post in 16; which post draws which
    // outcome depends on the order the workers ask in, so the test would fail at random. 20: one in a million.
    publishAttempts: 20,
  },
};

async function startWorker(
  publisherOptions: Record<string, unknown> = {},
  wrap: (real: Publisher) => Publisher = (real) => real,
): Promise<ContentWorker> {
  const { worker, stop } = await startTestContentWorker(t, {
    policy,
    name: 'test content',
    seed: 5,
    publisher: (db) =>
      wrap(
        createSimulatorPublisher(
          { transientFailureRate: 0, rejectionRate: 0, removalRate: 0, ...publisherOptions },
          { db, logger: quietLogger },
        ),
      ),
  });
  stops.push(stop);
  return worker;
}

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await t.pool.query(
    `DELETE FROM distributions; DELETE FROM simulated_posts; DELETE FROM content; DELETE FROM hooks; DELETE FROM system_events; DELETE FROM activity_log; DELETE FROM accounts; DELETE FROM niches WHERE slug LIKE 'held_%'`,
  );
});

async function seedAccounts(n: number) {
  const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
  for (let i = 0; i < n; i++) {
    await factories.account(t.pool, {
      current_state: 'active',
      niche_id: niche,
      platform: i % 2 ? 'instagram' : 'tiktok',
    });
  }
}

describe('the content worker', () => {
  it('produces queued content and posts each distribution exactly once', async () => {
    await seedAccounts(6);
    await addHook(t.db, { category: 'bold_claim', template: '{topic} will change your mornings.' });
    const worker = await startWorker();
    const ids = [];
    for (const topic of ['cold showers', 'the five second rule', 'waking up at five']) {
      const c = await createContent(t.db, policy, { topic, niche: 'motivation' });
      await produce(t.db, worker.sink, c.id);
      ids.push(c.id);
    }
    for (const id of ids) {
      await until(`content ${id} complete`, async () =>
        (await getContent(t.db, id)).status === 'complete' ? true : undefined,
      );
    }
    const { rows } = await t.pool.query(
      `SELECT d.status, d.platform_post_id, s.attempts FROM distributions d
       JOIN simulated_posts s ON s.idempotency_key = d.id::text`,
    );
    expect(rows).toHaveLength(9);
    expect(rows.every((r) => r.status === 'posted' && r.attempts === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.platform_post_id)).size).toBe(9);
    const posted = await t.pool.query(
      `SELECT count(*)::int AS n FROM accounts WHERE last_post_at IS NOT NULL`,
    );
    expect(posted.rows[0].n).toBe(6);
  });

  it('retries transient publish failures through the job engine until the post goes out', async () => {
    await seedAccounts(2);
    // Half of all attempts fail; the engine's retries (with the content policy's attempt budget) get the
    // posts out, and the idempotency key keeps each to one post.
    const worker = await startWorker({ transientFailureRate: 0.5, seed: 11 });
    const c = await createContent(t.db, policy, {
      topic: 'discipline beats motivation',
      niche: 'motivation',
    });
    await t.pool.query(
      `UPDATE pgboss.queue SET retry_delay = 0, retry_backoff = false WHERE name = 'content-publish'`,
    );
    await produce(t.db, worker.sink, c.id);
    const settled = await until('distributions settled', async () => {
      const { rows } = await t.pool.query(
        `SELECT status, attempts FROM distributions WHERE content_id = $1 AND status <> 'pending'`,
        [c.id],
      );
      return rows.length === 2 ? rows : undefined;
    });
    expect(settled.map((r) => r.status)).toEqual(['posted', 'posted']);
    const posts = await t.pool.query(
      `SELECT count(*)::int AS n FROM simulated_posts WHERE platform_post_id IS NOT NULL`,
    );
    expect(posts.rows[0].n).toBe(2);
  });

  it('sweeps content whose stage job was lost back into the queue', async () => {
    await seedAccounts(2);
    const worker = await startWorker();
    const c = await createContent(t.db, policy, { topic: 'the two minute rule', niche: 'motivation' });
    // Never queued, and quiet for an hour: as if its job had been lost.
    await t.pool.query(
      `ALTER TABLE content DISABLE TRIGGER content_set_updated_at;
       UPDATE content SET updated_at = now() - interval '1 hour' WHERE id = '${c.id}';
       ALTER TABLE content ENABLE TRIGGER content_set_updated_at;`,
    );
    expect(await worker.sweep()).toBe(1);
    await until('content complete', async () =>
      (await getContent(t.db, c.id)).status === 'complete' ? true : undefined,
    );
    expect(await worker.sweep()).toBe(0);
  });

  it('posts what is due while earlier posts wait on the platform, each due apart', async () => {
    // Three posts the platform keeps processing, each due (and so fetched) on its own, then a fourth:
    // the fourth goes out while the three still wait. A worker whose slots were all held by slow posts
    // would leave it queued until one of them settled.
    const held = ['held_a', 'held_b', 'held_c'];
    for (const slug of [...held, 'held_free']) {
      const niche = await t.pool.query(
        `INSERT INTO niches (name, slug, tier, status) VALUES ($1, $1, '2', 'active') RETURNING id`,
        [slug],
      );
      await factories.account(t.pool, {
        current_state: 'active',
        niche_id: niche.rows[0].id,
        platform: 'tiktok',
      });
    }
    await addHook(t.db, { category: 'bold_claim', template: '{topic} will change your mornings.' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const waiting = new Set<string>();
    const worker = await startWorker({}, (real) => ({
      name: real.name,
      publish: async (request) => {
        if (waiting.size < 3) {
          waiting.add(request.idempotencyKey);
          await released;
        }
        return real.publish(request);
      },
    }));
    const produced = async (niche: string) => {
      const c = await createContent(t.db, policy, { topic: `a post for ${niche}`, niche });
      await produce(t.db, worker.sink, c.id);
      return c.id;
    };
    const posted = (id: string) =>
      t.pool
        .query<{ status: string }>('SELECT status FROM distributions WHERE content_id = $1', [id])
        .then((r) => r.rows.map((row) => row.status));
    try {
      for (const [i, niche] of held.entries()) {
        await produced(niche);
        await until(`post ${i + 1} to be with the platform`, async () =>
          waiting.size === i + 1 ? true : undefined,
        );
      }
      const free = await produced('held_free');
      await until('the fourth post to go out while three wait', async () =>
        (await posted(free)).join() === 'posted' ? true : undefined,
      );
      expect(waiting.size).toBe(3);
    } finally {
      release();
    }
  });
});
