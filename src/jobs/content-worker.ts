// The content worker: the queues and workers of production stages, publishing, and two sweeps (content
// waiting for accounts or stuck in a stage; posts the platform took down), each calling its domain. Any
// worker may run any content, whatever its host.
import { platforms } from '../platforms.ts';
import type { Job, JobResult, PgBoss } from 'pg-boss';
import type { Config } from '../config.ts';
import type { MediaStages } from '../plugins/media-stages.ts';
import type { ContentPolicy } from '../content/content-policy.ts';
import { sweepContent } from '../content/content-sweep.ts';
import { abandonStage, runStage, type PipelineJobSink, type StageJob } from '../content/pipeline.ts';
import { scriptWriterFor, type ScriptWriter } from '../content/script-writers.ts';
import type { Database } from '../db/database.ts';
import { abandonPublish, checkPosts, publishDistribution } from '../distributions/publishing.ts';
import type { Logger } from '../logger.ts';
import { loadPublishers } from '../plugins/load-plugins.ts';
import { openMediaStore, type MediaStore } from '../media/media-store.ts';
import { mediaSigning, signedMediaUrl } from '../media/signed-media-url.ts';
import { createVault } from '../vault/vault.ts';
import type { Publisher } from '../plugins/publisher.ts';
import { ensureCronQueue } from './job-engine.ts';
import { workerStop } from './worker-stop.ts';
import { inTransaction } from '../db/job-engine.ts';

export const contentQueues = {
  stage: 'content-stage',
  publish: 'content-publish',
  sweep: 'content-sweep',
  postStatus: 'content-post-status',
  /** Stage and publish jobs that failed on every attempt land here, to be settled with an event. */
  stageDead: 'content-stage-dead',
  publishDead: 'content-publish-dead',
} as const;

/** Publish jobs taken per fetch by each of the worker's two lanes. */
const PUBLISH_BATCH = 8;
// Batches in flight at once. A batch holds its slot until its slowest post settles, and a post can spend
// minutes waiting on the platform's processing: with two slots, two slow posts due apart held up every
// post due after them. Publishing waits on the network, so four slots cost little.
const PUBLISH_SLOTS = 4;

/**
 * A publish job's singleton key: the post and its slot, so that a rescheduled post's new job is not held
 * back by the old one, which finds the post moved and does nothing.
 */
const publishKey = (distributionId: string, slot: Date | null | undefined) =>
  slot ? `${distributionId}@${slot.toISOString()}` : distributionId;

export function pipelineJobSink(boss: PgBoss): PipelineJobSink {
  return {
    enqueueStage: async (trx, job) => {
      // One queued and one running job per content and stage: a duplicate request is a no-op. The key
      // names the stage because a stage queues the next one while its own job is still active; keyed by
      // content alone, the stately queue would hold the new job back until the next poll instead of
      // waking a worker by NOTIFY. Two stages never both act: each advances only from its own status.
      await boss.send(contentQueues.stage, job, {
        singletonKey: `${job.contentId}:${job.stage}`,
        db: inTransaction(trx),
      });
    },
    enqueuePublish: async (trx, jobs) => {
      if (jobs.length === 0) return;
      // A job per post and slot, due at the slot (startAfter: the engine holds it until then, no poll of
      // the rows).
      await boss.insert(
        contentQueues.publish,
        jobs.map((j) => ({
          data: { distributionId: j.distributionId, slot: j.slot?.toISOString() ?? null },
          singletonKey: publishKey(j.distributionId, j.slot),
          // A slot already due is published at once, woken by NOTIFY like any new job.
          ...(j.slot && j.slot.getTime() > Date.now() ? { startAfter: j.slot } : {}),
        })),
        { db: inTransaction(trx) },
      );
    },
  };
}

/**
 * Heartbeats and dead letters of the stage and publish queues. A job whose worker was killed is retried
 * once its heartbeat goes stale (without one, a killed publish stayed active for its whole 15-minute
 * expiry); one that failed on every attempt goes to a dead-letter queue, whose handler settles it with an
 * event instead of leaving its content or distribution pending for good.
 */
const recovery = (heartbeatSeconds: number) => ({
  stage: { heartbeatSeconds, deadLetter: contentQueues.stageDead },
  publish: { heartbeatSeconds, deadLetter: contentQueues.publishDead },
});

export async function ensureContentQueues(
  boss: PgBoss,
  policy: ContentPolicy,
  heartbeatSeconds = 10,
): Promise<void> {
  const settle = { retryLimit: 3, retryDelay: 5, retryBackoff: true, heartbeatSeconds };
  await boss.createQueue(contentQueues.stageDead, settle);
  await boss.createQueue(contentQueues.publishDead, settle);
  // notify: a stage's next job wakes a worker at once (NOTIFY), instead of after its next poll.
  await boss.createQueue(contentQueues.stage, {
    policy: 'stately',
    notify: true,
    expireInSeconds: 3_600,
    retryLimit: 3,
    retryDelay: 10,
    retryBackoff: true,
    ...recovery(heartbeatSeconds).stage,
  });
  await boss.createQueue(contentQueues.publish, {
    policy: 'stately',
    notify: true,
    // Publishing counts its own attempts (policy.distribution.publishAttempts); the engine just retries.
    retryLimit: policy.distribution.publishAttempts + 2,
    retryDelay: 30,
    retryBackoff: true,
    retryDelayMax: 3_600,
    expireInSeconds: 900,
    ...recovery(heartbeatSeconds).publish,
  });
  await ensureCronQueue(boss, contentQueues.sweep, { heartbeatSeconds });
  await ensureCronQueue(boss, contentQueues.postStatus, { heartbeatSeconds });
}

export interface ContentWorkerOptions {
  config: Config;
  database: Database;
  logger: Logger;
  boss: PgBoss;
  media: MediaStages;
  policy: ContentPolicy;
  writers?: { primary: ScriptWriter; fallback: ScriptWriter | null };
  publisher?: Publisher;
  /** Default: the one config.media.store names. */
  store?: MediaStore;
  /** A URL a platform can fetch a stored video from. Default: sovi's signed media URL, when SOVI_PUBLIC_URL is set. */
  mediaUrlFor?: (videoKey: string) => Promise<string>;
  /** false: no cron sweeps (tests). Default true. */
  scheduleSweeps?: boolean;
  random?: () => number;
}

export interface ContentWorker {
  readonly policy: ContentPolicy;
  readonly sink: PipelineJobSink;
  /** Re-plans content waiting for accounts and re-queues content whose stage job is gone. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export async function startContentWorker(options: ContentWorkerOptions): Promise<ContentWorker> {
  const { config, database, logger, boss } = options;
  const { policy } = options;
  const store = options.store ?? (await openMediaStore(config.media.store));
  const publisher =
    options.publisher ??
    (await loadPublishers(config.connectors.publishers, config.content.publisherOptions, {
      db: database.db,
      logger,
      media: store,
      vault: createVault(config.vault),
      connectors: config.connectors,
      mediaUrlFor: options.mediaUrlFor ?? signedUrls(config),
    }));
  const stopping = workerStop(boss, contentQueues, {
    name: 'the worker',
    close: async () => {
      await publisher.close?.();
      if (!options.store) store.close?.();
    },
  });
  const heartbeatSeconds = config.scheduler.heartbeatSeconds;
  await ensureContentQueues(boss, policy, heartbeatSeconds);
  // Queues made before these settings existed (or with another heartbeat) get them too.
  await boss.updateQueue(contentQueues.stage, recovery(heartbeatSeconds).stage);
  await boss.updateQueue(contentQueues.publish, recovery(heartbeatSeconds).publish);
  const sink = pipelineJobSink(boss);
  const deps = {
    db: database.db,
    logger,
    policy,
    mediaDir: config.content.mediaDir,
    writers: options.writers ?? scriptWriterFor(config.content.scriptWriter),
    media: options.media,
    store,
    sink,
    random: options.random,
    connectionRequired: platforms.filter((p) => config.connectors.publishers[p] === 'official'),
  };

  // The backstop poll is short, as for sessions: a NOTIFY that lands while a worker is mid-fetch is not
  // acted on, and a job that misses it would otherwise wait a whole poll.
  // A host with SOVI_CONTENT_CONCURRENCY=0 (say, one busy driving phones) leaves production to the others.
  if (config.content.concurrency > 0) {
    await boss.work<StageJob>(
      contentQueues.stage,
      {
        localConcurrency: config.content.concurrency,
        pollingIntervalSeconds: 1,
        notifyPollingIntervalSeconds: 1,
      },
      async ([job]) => {
        if (!job) return;
        const result = await runStage(deps, job.data, AbortSignal.any([job.signal, stopping.signal]));
        if (result.status === 'interrupted')
          throw new Error('stage interrupted: the worker is stopping or lost its claim');
        return result;
      },
    );
  }
  const publishDeps = {
    db: database.db,
    publisher,
    logger,
    maxAttempts: policy.distribution.publishAttempts,
    lateSeconds: config.content.postLateSeconds,
  };
  // A distribution's job: the publish, or the give-up once its retries are spent. A retryable failure
  // (RetryLater) or a stop throws: the job engine retries it, with backoff. A post a rate limit defers is
  // queued again for the end of the window, and this job completes: the wait spends none of the job's
  // retries (an Instagram account at its 24-hour limit would spend them all in half an hour, then fail).
  type DistributionJob = Job<{ distributionId: string; slot?: string | null }>;
  const runJob = async (run: typeof publishDistribution, job: DistributionJob) => {
    const slot = job.data.slot ? new Date(job.data.slot) : null;
    const outcome = await run(
      publishDeps,
      job.data.distributionId,
      AbortSignal.any([job.signal, stopping.signal]),
      slot,
    );
    if (outcome.status === 'deferred') {
      // Same key as this job (stately: one queued beside the one running); one already queued stands.
      await boss.send(contentQueues.publish, job.data, {
        singletonKey: publishKey(job.data.distributionId, slot),
        startAfter: outcome.until,
      });
    }
    return outcome;
  };
  // Posts due at one slot are taken a batch at a time and published side by side, each settled on its
  // own: taken one per poll, 200 posts due in the same minute went out over 50 s (bench/calendar.ts).
  // A full batch fetches the next at once instead of waiting for the poll.
  await boss.work(
    contentQueues.publish,
    {
      batchSize: PUBLISH_BATCH,
      perJobResults: true,
      burstWhenBatchFull: true,
      localConcurrency: PUBLISH_SLOTS,
      pollingIntervalSeconds: 1,
      notifyPollingIntervalSeconds: 1,
    },
    async (jobs: DistributionJob[]) =>
      Promise.all(
        jobs.map(async (job): Promise<JobResult> => {
          try {
            // The outcome is the job's output: what an operator sees of it in pg-boss.
            return { id: job.id, status: 'completed', output: await runJob(publishDistribution, job) };
          } catch (err) {
            return {
              id: job.id,
              status: 'failed',
              output: { message: err instanceof Error ? err.message : String(err) },
            };
          }
        }),
      ),
  );
  await boss.work(
    contentQueues.publishDead,
    { pollingIntervalSeconds: 5 },
    async ([job]: DistributionJob[]) => (job ? runJob(abandonPublish, job) : undefined),
  );
  await boss.work<StageJob>(contentQueues.stageDead, { pollingIntervalSeconds: 5 }, async ([job]) => {
    if (job) await abandonStage(database.db, logger, job.data);
  });
  const sweep = () => sweepContent(database.db, sink, logger);
  await boss.work(contentQueues.sweep, { pollingIntervalSeconds: 5 }, async () => sweep());
  await boss.work(contentQueues.postStatus, { pollingIntervalSeconds: 5 }, async () =>
    checkPosts({ db: database.db, publisher, logger }, new Date(Date.now() - 7 * 86_400_000)),
  );
  if (options.scheduleSweeps !== false) {
    await boss.schedule(contentQueues.sweep, '*/5 * * * *', {}, { tz: 'UTC' });
    await boss.schedule(contentQueues.postStatus, '17 * * * *', {}, { tz: 'UTC' });
  }
  logger.info(
    { publisher: publisher.name, writer: deps.writers.primary.name, media: options.media.name },
    'content worker started',
  );
  return {
    policy,
    sink,
    sweep,
    stop: stopping.stop,
  };
}

/** Signed media URLs for the platforms to fetch stored videos by, when this sovi has a public URL and a key. */
function signedUrls(config: Config): ((videoKey: string) => Promise<string>) | undefined {
  const signing = mediaSigning(config.media, config.vault);
  if (!signing?.publicUrl) return undefined;
  return async (videoKey) => signedMediaUrl(signing, videoKey, config.media.urlTtlSeconds);
}
