// A content job whose worker died on every attempt is not left pending in silence: a stage job fails its
// content with an event (`sovi content retry` resumes it), and a publish job gets one last attempt with
// the same idempotency key, which records the post the platform already made, or fails it with an event.
import type { PgBoss } from 'pg-boss';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createContent, retryContent } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import { stubMedia } from '../../src/content/stub-media.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { contentQueues, startContentWorker, type ContentWorker } from '../../src/jobs/content-worker.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { createSimulatorPublisher } from '../../src/plugins/simulator-publisher.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
let database: Database | undefined;
let boss: PgBoss | undefined;
let worker: ContentWorker | undefined;
afterAll(async () => {
  await worker?.stop();
  await boss?.stop({ graceful: false, close: true });
  await database?.close();
});

const policy = {
  ...defaultContentPolicy,
  distribution: { ...defaultContentPolicy.distribution, minGapMinutes: 0, maxPostsPerAccountPerDay: 50 },
};

async function start(): Promise<{ worker: ContentWorker; boss: PgBoss }> {
  const config = loadConfig({ DATABASE_URL: t.url, SOVI_JOB_POOL_MAX: '3', SOVI_DB_POOL_MAX: '4' });
  database = await openDatabase(config, quietLogger, { applicationName: 'dead letters test' });
  await prepareDatabase(database, config, quietLogger);
  boss = createBoss(database.connection, config.scheduler, quietLogger, { migrate: false, background: true });
  await boss.start();
  worker = await startContentWorker({
    config,
    database,
    logger: quietLogger,
    boss,
    media: stubMedia(),
    policy,
    publisher: createSimulatorPublisher(
      { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
      { db: database.db, logger: quietLogger },
    ),
    scheduleSweeps: false,
  });
  return { worker, boss };
}

const eventsOf = async (type: string, key: string, value: string) =>
  (
    await t.pool.query(`SELECT message FROM system_events WHERE event_type = $1 AND context->>$2 = $3`, [
      type,
      key,
      value,
    ])
  ).rows;

describe('content jobs that failed on every attempt', () => {
  it('have their queues heartbeat-bounded and dead-lettered', async () => {
    await start();
    const { rows } = await t.pool.query(
      `SELECT name, heartbeat_seconds, dead_letter FROM pgboss.queue WHERE name = ANY($1) ORDER BY name`,
      [[contentQueues.stage, contentQueues.publish]],
    );
    expect(rows).toEqual([
      { name: contentQueues.publish, heartbeat_seconds: 10, dead_letter: contentQueues.publishDead },
      { name: contentQueues.stage, heartbeat_seconds: 10, dead_letter: contentQueues.stageDead },
    ]);
  });

  it('fail their content at the stage with an event, and a retry resumes it', async () => {
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
    const c = await createContent(t.db, policy, { topic: 'the dead letter stage', niche: 'motivation' });
    // What pg-boss does once the last attempt fails: the job's data goes to the dead-letter queue.
    await boss!.send(contentQueues.stageDead, { contentId: c.id, stage: 'scripting' });
    await vi.waitFor(
      async () => expect(await eventsOf('content_failed', 'contentId', c.id)).toHaveLength(1),
      { timeout: 20_000, interval: 200 },
    );
    const failed = await t.pool.query(
      `SELECT production_status, asset_manifest->'failure'->>'stage' AS stage FROM content WHERE id = $1`,
      [c.id],
    );
    expect(failed.rows[0]).toEqual({ production_status: 'failed', stage: 'scripting' });

    // Resumed from that stage, it completes.
    await factories.account(t.pool, { current_state: 'active', niche_id: niche });
    await retryContent(t.db, worker!.sink, c.id, 'ops');
    await vi.waitFor(
      async () => {
        const { rows } = await t.pool.query(`SELECT production_status FROM content WHERE id = $1`, [c.id]);
        expect(rows[0].production_status).toBe('complete');
      },
      { timeout: 30_000, interval: 200 },
    );
  }, 60_000);

  it('say so when the stage had finished after all', async () => {
    const c = await createContent(t.db, policy, { topic: 'the finished stage', niche: 'motivation' });
    await t.pool.query(`UPDATE content SET production_status = 'assembling' WHERE id = $1`, [c.id]);
    await boss!.send(contentQueues.stageDead, { contentId: c.id, stage: 'generating' });
    await vi.waitFor(
      async () => expect(await eventsOf('content_stage_job_failed', 'contentId', c.id)).toHaveLength(1),
      { timeout: 20_000, interval: 200 },
    );
    const { rows } = await t.pool.query(`SELECT production_status FROM content WHERE id = $1`, [c.id]);
    expect(rows[0].production_status).toBe('assembling');
  });

  it('record a post the platform already made, once, instead of leaving it pending', async () => {
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
    const account = await factories.account(t.pool, { current_state: 'active', niche_id: niche });
    const c = await createContent(t.db, policy, { topic: 'the dead letter post', niche: 'motivation' });
    await t.pool.query(
      `UPDATE content SET production_status = 'distributing', output_path = '/tmp/none.mp4' WHERE id = $1`,
      [c.id],
    );
    const d = await factories.distribution(t.pool, {
      content_id: c.id,
      account_id: account.id,
      status: 'pending',
    });
    // The platform took the post, and the worker died before recording it, on every attempt.
    await t.pool.query(
      `INSERT INTO simulated_posts (idempotency_key, platform, platform_post_id, posted_at)
       VALUES ($1, 'tiktok', 'sim_already_there', now())`,
      [d.id],
    );
    await boss!.send(contentQueues.publishDead, { distributionId: d.id });
    await vi.waitFor(
      async () => expect(await eventsOf('post_published', 'distributionId', String(d.id))).toHaveLength(1),
      { timeout: 20_000, interval: 200 },
    );
    const { rows } = await t.pool.query(
      `SELECT d.status, d.platform_post_id, c.production_status FROM distributions d
       JOIN content c ON c.id = d.content_id WHERE d.id = $1`,
      [d.id],
    );
    expect(rows[0]).toEqual({
      status: 'posted',
      platform_post_id: 'sim_already_there',
      production_status: 'complete',
    });
  });

  it('fail a post that cannot go out on the last attempt, with its event', async () => {
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
    const account = await factories.account(t.pool, { current_state: 'active', niche_id: niche });
    const c = await createContent(t.db, policy, { topic: 'the unrendered post', niche: 'motivation' });
    // No rendered video: the last attempt fails for good instead of leaving the distribution pending.
    await t.pool.query(`UPDATE content SET production_status = 'distributing' WHERE id = $1`, [c.id]);
    const d = await factories.distribution(t.pool, {
      content_id: c.id,
      account_id: account.id,
      status: 'pending',
    });
    await boss!.send(contentQueues.publishDead, { distributionId: d.id });
    await vi.waitFor(
      async () => expect(await eventsOf('post_failed', 'distributionId', String(d.id))).toHaveLength(1),
      { timeout: 20_000, interval: 200 },
    );
    const { rows } = await t.pool.query(`SELECT status FROM distributions WHERE id = $1`, [d.id]);
    expect(rows[0].status).toBe('failed');
  });
});
