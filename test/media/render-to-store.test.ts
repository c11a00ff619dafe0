// Rendering writes to the media store and publishing reads from it: a video produced on one host is in the
// (S3-compatible) store for whichever host publishes it, the publisher is handed its key, and a video the
// store lacks fails the post with a reason naming it, never a silent skip.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultContentPolicy, type ContentPolicy } from '../../src/content/content-policy.ts';
import { createContent } from '../../src/content/content-service.ts';
import { runStage, type StageJob } from '../../src/content/pipeline.ts';
import { publishDistribution } from '../../src/distributions/publishing.ts';
import { createFileMediaStore } from '../../src/media/file-media-store.ts';
import { openMediaStore, type MediaStore } from '../../src/media/media-store.ts';
import type { Publisher, PublishRequest } from '../../src/plugins/publisher.ts';
import { defaultPostOptions } from '../../src/distributions/distribution-model.ts';
import { createSimulatorPublisher } from '../../src/plugins/simulator-publisher.ts';
import { pipelineDeps } from '../helpers/content.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startLocalS3, type LocalS3 } from '../helpers/s3-server.ts';

const t = useTestDatabase();
const never = new AbortController().signal;
const policy: ContentPolicy = {
  ...defaultContentPolicy,
  distribution: { ...defaultContentPolicy.distribution, minGapMinutes: 0, maxPostsPerAccountPerDay: 100 },
};
let s3: LocalS3;
let mediaDir: string;

beforeAll(async () => {
  s3 = await startLocalS3();
  mediaDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-render-store-'));
  const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
  await factories.account(t.pool, { current_state: 'active', niche_id: niche, platform: 'tiktok' });
});
afterAll(async () => {
  await s3.close();
  await fs.rm(mediaDir, { recursive: true, force: true });
});

/** Produces a piece of content through every stage; returns its id and the publish jobs it queued. */
async function produce(store: MediaStore) {
  const deps = pipelineDeps(t.db, { policy, mediaDir, store });
  const content = await createContent(t.db, policy, { topic: 'the store test', niche: 'motivation' });
  let job: StageJob | undefined = { contentId: content.id, stage: 'scripting' };
  while (job) {
    const result = await runStage(deps, job, never);
    expect(result.status, JSON.stringify(result)).toBe('advanced');
    job = deps.sink.stages.shift();
  }
  return { contentId: content.id, publishes: deps.sink.publishes };
}

describe('rendered media and the store', () => {
  it('goes to the store when rendered, and the publisher gets its key there', async () => {
    const store = await openMediaStore(s3.settings('renders'));
    const { contentId, publishes } = await produce(store);
    expect(await text(await store.read(`${contentId}/video.mp4`))).toBe('stub video');
    expect(publishes.length).toBeGreaterThan(0);

    const simulator = createSimulatorPublisher(
      { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
      { db: t.db, logger: quietLogger, media: store },
    );
    const read: string[] = [];
    const publisher: Publisher = {
      name: 'store-reader',
      publish: async (request: PublishRequest) => {
        read.push(await text(await store.read(request.videoKey)));
        return simulator.publish(request);
      },
    };
    const outcome = await publishDistribution(
      { db: t.db, publisher, logger: quietLogger, maxAttempts: 3 },
      publishes[0]!,
      never,
    );
    expect(outcome).toMatchObject({ status: 'posted' });
    expect(read).toEqual(['stub video']);
    store.close?.();
  });

  it('fails a post whose video is missing from the store, saying which and where, yet a post already made is found again', async () => {
    const storeDir = path.join(mediaDir, 'shared');
    const store = createFileMediaStore(storeDir);
    const { contentId, publishes } = await produce(store);
    await fs.rm(path.join(storeDir, contentId), { recursive: true });
    const publisher = createSimulatorPublisher(
      { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
      { db: t.db, logger: quietLogger, media: store },
    );
    const outcome = await publishDistribution(
      { db: t.db, publisher, logger: quietLogger, maxAttempts: 3 },
      publishes[0]!,
      never,
    );
    expect(outcome).toEqual({
      status: 'failed',
      reason: `the rendered video is missing: media ${contentId}/video.mp4 is not in the media store (folder ${storeDir})`,
    });
    const posts = await t.pool.query(
      `SELECT platform_post_id FROM simulated_posts WHERE idempotency_key = $1`,
      [publishes[0]],
    );
    expect(posts.rows[0].platform_post_id).toBeNull();
    const events = await t.pool.query(
      `SELECT message FROM system_events WHERE event_type = 'post_failed' AND context->>'distributionId' = $1`,
      [publishes[0]],
    );
    expect(events.rows[0].message).toContain('is not in the media store');

    // A post the platform already made (a worker died before recording it) is handed back on the retry even
    // though its file is gone: idempotency comes before the file check.
    const second = await produce(store);
    const made = await createSimulatorPublisher(
      { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
      { db: t.db, logger: quietLogger, media: store },
    ).publish({
      idempotencyKey: second.publishes[0]!,
      platform: 'tiktok',
      account: { id: 'a', username: 'u' },
      videoPath: '',
      videoKey: `${second.contentId}/video.mp4`,
      caption: '',
      hashtags: [],
      options: defaultPostOptions,
      scheduledAt: null,
      signal: never,
    });
    await fs.rm(path.join(storeDir, second.contentId), { recursive: true });
    expect(
      await publishDistribution(
        { db: t.db, publisher, logger: quietLogger, maxAttempts: 3 },
        second.publishes[0]!,
        never,
      ),
    ).toEqual({ status: 'posted', platformPostId: made.platformPostId });
  });
});
