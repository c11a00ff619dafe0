// Real `sovi worker` processes publishing through the official connectors, SIGKILLed in the middle of three
// posts at once: a TikTok post held in its upload (TikTok has its first chunk; the second is never answered),
// a TikTok post TikTok is processing (the worker polls its status), and an Instagram Reel whose container is
// processing (the worker polls the container). The next worker resumes all three from what platform_publishes
// saved: the upload from the bytes TikTok has, the others by polling again. Each post is made exactly once,
// counted at the fakes. Two worker starts: the victim and the one that resumes.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { openDatabase } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { contentQueues } from '../../src/jobs/content-worker.ts';
import { registerCanary } from '../helpers/canary.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import {
  MB,
  connectAccount,
  distribution,
  eventsOf,
  pendingPost,
  startHarness,
  videoFile,
  type Harness,
} from '../connections/connector-harness.ts';
import { workerFleet, type WorkerFleet } from './worker-processes.ts';

const t = useTestDatabase();
let h: Harness | undefined;
let fleet: WorkerFleet | undefined;
let boss: PgBoss | undefined;
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-connector-kills-'));
});
afterAll(async () => {
  await fleet?.killAll();
  await boss?.stop({ graceful: false, close: true });
  await h?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const HELD_MS = 10 * 60_000;

describe('a sovi worker killed mid-post with the official connectors', () => {
  it('is resumed by the next worker: a TikTok upload, TikTok status polls and Instagram container polls, each post made once', async () => {
    const config = loadConfig({ DATABASE_URL: t.url });
    const setup = await openDatabase(config, quietLogger, { applicationName: 'connector kills test' });
    await prepareDatabase(setup, config, quietLogger);
    await setup.close();
    const harness = await startHarness(t);
    h = harness;
    const tiktok = harness.tiktok;
    const { accountId, platformUserId } = await connectAccount(harness, t, 'tiktok');
    const uploading = await pendingPost(t, accountId, 'tiktok', videoFile(harness.mediaDir, 16 * MB));
    const polling = await pendingPost(t, accountId, 'tiktok', videoFile(harness.mediaDir, 1 * MB));
    const instagram = harness.instagram;
    const ig = await connectAccount(harness, t, 'instagram');
    const reel = await pendingPost(t, ig.accountId, 'instagram', videoFile(harness.mediaDir, 1 * MB));
    const containers = () => [...instagram.containers.values()].filter((c) => c.userId === ig.platformUserId);
    const containerPolls = () =>
      containers().reduce((n, c) => n + instagram.count('GET', `/v23.0/${c.id}`), 0);

    // The 16 MB post's second chunk (of three) is never answered while the first worker lives; the 1 MB
    // post, fully uploaded, stays in processing at TikTok.
    tiktok.faults.delayWhen = (req) =>
      req.method === 'PUT' && String(req.headers['content-range']).startsWith(`bytes ${5 * MB}-`)
        ? HELD_MS
        : 0;
    tiktok.options.processingMs = HELD_MS;
    instagram.options.processingMs = HELD_MS;
    const atTikTok = () => [...tiktok.publishes.values()].filter((p) => p.openId === platformUserId);
    const bySize = (size: number) => atTikTok().find((p) => p.videoSize === size);
    const uploads = (id: string | undefined) => (id ? tiktok.count('PUT', `/upload/${id}`) : 0);
    const statusPolls = () => tiktok.count('POST', '/v2/post/publish/status/fetch/');

    fleet = workerFleet('connector-kills', {
      ...harness.env,
      DATABASE_URL: t.url,
      SOVI_HOME: tmp,
      SOVI_LOG_LEVEL: 'warn',
      // Status polls at most every 2.5 s: TikTok allows 30 a minute per token (the fake enforces it), and a
      // 429 would defer the post to a new job instead of leaving it polling when the worker is killed.
      SOVI_PUBLISHER_OPTIONS: JSON.stringify({ pollFirstMs: 100, pollMaxMs: 2_500 }),
      SOVI_CONTENT_CONCURRENCY: '0',
      SOVI_JOB_HEARTBEAT_SECONDS: '10',
      SOVI_JOB_SUPERVISE_SECONDS: '2',
      SOVI_TRENDS_PULL_CRON: 'off',
      SOVI_METRICS_PULL_CRON: 'off',
    });
    const victim = fleet.start();
    await victim.running;
    // A killed job is retried a second after its heartbeat goes stale, not after the production backoff.
    await t.pool.query(`UPDATE pgboss.queue SET retry_delay = 1, retry_backoff = false WHERE name = $1`, [
      contentQueues.publish,
    ]);
    boss = createBoss({ url: t.url }, config.scheduler, quietLogger, { migrate: false, background: false });
    await boss.start();
    // One insert, so one fetch takes all three into one batch and the kill finds them all started: sent one
    // by one on a busy machine, each of the worker's slots could fetch a batch of its own.
    await boss.insert(
      contentQueues.publish,
      [uploading, polling, reel].map((id) => ({
        data: { distributionId: id, slot: null },
        singletonKey: id,
      })),
    );

    // Kill once the first worker is inside all three: waiting on the held chunk, and polling the other two.
    await until(
      'the worker to be mid-upload of one post and polling the others',
      async () => {
        const big = bySize(16 * MB);
        const small = bySize(1 * MB);
        const ready =
          big?.received.size === 1 &&
          uploads(big.id) === 2 &&
          small?.received.size === 1 &&
          small.readyAt !== undefined &&
          containers()[0]?.bytes !== undefined;
        if (!ready) return undefined;
        return statusPolls() > 0 && containerPolls() > 0 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 50 },
    );
    const pollsBefore = [statusPolls(), containerPolls()];
    await until(
      'one more poll of each platform',
      async () => (statusPolls() > pollsBefore[0]! && containerPolls() > pollsBefore[1]! ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    const stages = await t.pool.query<{ distribution_id: string; stage: string }>(
      'SELECT distribution_id, stage FROM platform_publishes WHERE distribution_id = ANY($1)',
      [[uploading, polling, reel]],
    );
    expect(Object.fromEntries(stages.rows.map((r) => [r.distribution_id, r.stage]))).toEqual({
      [uploading]: 'uploading',
      [polling]: 'processing',
      [reel]: 'processing',
    });
    expect(await distribution(t, uploading)).toMatchObject({ status: 'pending' });
    expect(await distribution(t, polling)).toMatchObject({ status: 'pending' });
    expect(await distribution(t, reel)).toMatchObject({ status: 'pending' });

    // TikTok answers again and finishes the processing it was doing; a new worker takes the jobs over.
    tiktok.faults.delayWhen = undefined;
    tiktok.options.processingMs = 200;
    bySize(1 * MB)!.readyAt = Date.now();
    containers()[0]!.status = 'FINISHED';
    const inits = tiktok.count('POST', '/v2/post/publish/video/init/');
    const successor = fleet.start();
    await successor.running;
    await until(
      'the three posts to be posted by the next worker',
      async () => {
        const both = await Promise.all([uploading, polling, reel].map((id) => distribution(t, id)));
        if (both.some((d) => d.status === 'failed'))
          throw new Error(`a post failed: ${JSON.stringify(both)}`);
        return both.every((d) => d.status === 'posted') ? both : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );

    // Each post made once at TikTok, and recorded with TikTok's id.
    const made = atTikTok();
    expect(made.map((p) => p.status).sort()).toEqual(['PUBLISH_COMPLETE', 'PUBLISH_COMPLETE']);
    expect(tiktok.count('POST', '/v2/post/publish/video/init/')).toBe(inits); // No new initialisation.
    const big = bySize(16 * MB)!;
    const small = bySize(1 * MB)!;
    // The upload went on from the bytes TikTok had: chunk 1, the held chunk 2 (lost with the worker), then
    // chunks 2 and 3 from the next worker. The processed post was never uploaded again.
    expect(uploads(big.id)).toBe(4);
    expect(uploads(small.id)).toBe(1);
    expect((await distribution(t, uploading)).platform_post_id).toBe(big.postId);
    expect((await distribution(t, polling)).platform_post_id).toBe(small.postId);
    expect(await eventsOf(t, 'post_published', accountId)).toHaveLength(2);
    // One container, published once, its media id recorded.
    expect(containers()).toHaveLength(1);
    const published = instagram.published.filter((p) => p.userId === ig.platformUserId);
    expect(published).toHaveLength(1);
    expect((await distribution(t, reel)).platform_post_id).toBe(published[0]!.mediaId);
    expect(await eventsOf(t, 'post_published', ig.accountId)).toHaveLength(1);
    // The three jobs were interrupted by the kill and finished on their retry.
    const jobs = await t.pool.query<{ state: string; retry_count: number }>(
      `SELECT state, retry_count FROM pgboss.job WHERE name = $1 AND data->>'distributionId' = ANY($2)`,
      [contentQueues.publish, [uploading, polling, reel]],
    );
    expect(jobs.rows.map((j) => j.state)).toEqual(['completed', 'completed', 'completed']);
    expect(jobs.rows.every((j) => j.retry_count >= 1)).toBe(true);

    for (const secret of [...tiktok.issuedSecrets(), ...instagram.issuedSecrets()]) registerCanary(secret);
    expect(fleet.crashed()).toEqual([]);
    expect(fleet.leakedSecrets()).toEqual([]);
  }, 300_000);
});
