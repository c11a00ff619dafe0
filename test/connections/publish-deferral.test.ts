// A post a rate limit defers, on the real job engine: it waits for the platform's window in a new job due
// then, and spends none of the publish job's retries. Before, the deferral failed the job, which the engine
// retried on its own backoff (30 s doubling): an Instagram account at its 24-hour limit spent every retry
// within half an hour and its post went to the dead-letter queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import type { ContentWorker } from '../../src/jobs/content-worker.ts';
import { startTestContentWorker } from '../helpers/content-worker.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import {
  connectAccount,
  distribution,
  eventsOf,
  pendingPost,
  publish,
  startHarness,
  videoFile,
  type Harness,
} from './connector-harness.ts';

const t = useTestDatabase();
let h: Harness;
let worker: ContentWorker;
let stopWorker: (() => Promise<void>) | undefined;

beforeAll(async () => {
  h = await startHarness(t);
  const started = await startTestContentWorker(t, {
    policy: defaultContentPolicy,
    name: 'test publish deferral',
    seed: 16,
    publisher: () => h.publisher,
  });
  worker = started.worker;
  stopWorker = started.stop;
});
afterAll(async () => {
  await stopWorker?.();
  await h?.close();
});

interface JobRow {
  state: string;
  retry_count: number;
  start_after: Date;
  output: { status?: string } | null;
}
const jobsOf = async (queue: string, distributionId: string) =>
  (
    await t.pool.query<JobRow>(
      `SELECT state, retry_count, start_after, output FROM pgboss.job
       WHERE name = $1 AND data->>'distributionId' = $2 ORDER BY created_on`,
      [queue, distributionId],
    )
  ).rows;

/** Queues the post's publish job, as the planner does for a post due now, and waits for its deferral. */
async function deferredThroughTheEngine(id: string, accountId: string) {
  await worker.sink.enqueuePublish(t.db, [{ distributionId: id, slot: null }]);
  return until('the post deferred and its first job settled', async () => {
    const jobs = await jobsOf('content-publish', id);
    const deferred = await eventsOf(t, 'post_deferred', accountId);
    const settled = ['completed', 'retry', 'failed'].includes(jobs[0]?.state ?? '');
    return deferred.length > 0 && settled ? { jobs, deferred } : undefined;
  });
}

describe('a rate-limited post on the job engine', () => {
  it('TikTok’s own 429 defers the post to the end of its window: the job completes, no attempt spent', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    // TikTok's window is tighter than sovi's count (6 a minute): its own 429 is what bites.
    h.tiktok.options.initsPerMinute = 1;
    try {
      const first = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 64 * 1024));
      expect((await publish(h, t, first)).status).toBe('posted');
      const inits = h.tiktok.count('POST', '/v2/post/publish/video/init/');
      const puts = [...h.tiktok.calls].filter(([k]) => k.startsWith('PUT ')).length;
      const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 64 * 1024));
      const before = Date.now();
      const { jobs, deferred } = await deferredThroughTheEngine(id, accountId);

      // TikTok refused one initialisation; nothing was uploaded.
      expect(h.tiktok.count('POST', '/v2/post/publish/video/init/')).toBe(inits + 1);
      expect([...h.tiktok.calls].filter(([k]) => k.startsWith('PUT ')).length).toBe(puts);
      expect(deferred[0]!.context).toMatchObject({ platformCode: 'rate_limit_exceeded', deferMs: 60_000 });
      expect(await distribution(t, id)).toMatchObject({ status: 'pending', attempts: 0 });
      // The job completed as deferred; the next one is due after TikTok's Retry-After (60 s), a fresh job.
      expect(jobs[0]).toMatchObject({ state: 'completed', output: { status: 'deferred' } });
      const next = jobs.filter((j) => j.state === 'created');
      expect(next).toHaveLength(1);
      expect(next[0]!.retry_count).toBe(0);
      expect(next[0]!.start_after.getTime()).toBeGreaterThanOrEqual(before + 59_000);
    } finally {
      h.tiktok.options.initsPerMinute = 6;
    }
  });

  it('an Instagram account at its 24-hour publishing limit: re-checked in an hour, never dead-lettered', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'instagram');
    h.instagram.options.quotaTotal = 0;
    try {
      const containers = h.instagram.count('POST', `/v23.0/${platformUserId}/media`);
      const id = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 64 * 1024));
      const before = Date.now();
      const { jobs, deferred } = await deferredThroughTheEngine(id, accountId);

      expect(deferred[0]!.context).toMatchObject({ platformCode: 'content_publishing_limit' });
      expect(h.instagram.count('POST', `/v23.0/${platformUserId}/media`)).toBe(containers);
      expect(await distribution(t, id)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(jobs[0]).toMatchObject({ state: 'completed', output: { status: 'deferred' } });
      const next = jobs.filter((j) => j.state === 'created');
      expect(next).toHaveLength(1);
      expect(next[0]!.start_after.getTime()).toBeGreaterThanOrEqual(before + 59 * 60_000);
      expect(next[0]!.start_after.getTime()).toBeLessThanOrEqual(Date.now() + 61 * 60_000);
      expect(await jobsOf('content-publish-dead', id)).toEqual([]);
    } finally {
      h.instagram.options.quotaTotal = 100;
    }
  });
});
