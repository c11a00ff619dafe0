// Content test wiring: a job sink that keeps stage and publish jobs in lists, and pipeline deps with the
// stub media and the template writer.
import os from 'node:os';
import path from 'node:path';
import { defaultContentPolicy, type ContentPolicy } from '../../src/content/content-policy.ts';
import type { MediaStages } from '../../src/plugins/media-stages.ts';
import type { PipelineDeps, PipelineJobSink, StageJob } from '../../src/content/pipeline.ts';
import type { PublishJob } from '../../src/distributions/distribution-model.ts';
import { templateWriter } from '../../src/content/script-writers.ts';
import { stubMedia } from '../../src/content/stub-media.ts';
import type { Db } from '../../src/db/pool.ts';
import { seededRandom } from '../../src/random.ts';
import { quietLogger } from './database.ts';

/**
 * The time limit of a test that renders a real 1080×1920 video with ffmpeg: 15–20 s on a quiet 2-CPU
 * machine, and two to three times that when the rest of the suite (or other work) loads both CPUs.
 */
export const RENDER_TEST_TIMEOUT = 120_000;

export function listPipelineSink(): PipelineJobSink & {
  stages: StageJob[];
  publishes: string[];
  publishJobs: PublishJob[];
} {
  const stages: StageJob[] = [];
  const publishes: string[] = [];
  const publishJobs: PublishJob[] = [];
  return {
    stages,
    publishes,
    publishJobs,
    enqueueStage: async (_trx, job) => {
      stages.push(job);
    },
    enqueuePublish: async (_trx, jobs) => {
      publishes.push(...jobs.map((j) => j.distributionId));
      publishJobs.push(...jobs);
    },
  };
}

export function pipelineDeps(
  db: Db,
  overrides: Partial<PipelineDeps> & { media?: MediaStages; policy?: ContentPolicy } = {},
): PipelineDeps & { sink: ReturnType<typeof listPipelineSink> } {
  return {
    db,
    logger: quietLogger,
    policy: defaultContentPolicy,
    mediaDir: path.join(os.tmpdir(), 'sovi-test-media'),
    writers: { primary: templateWriter(), fallback: null },
    media: stubMedia(),
    random: seededRandom(1),
    ...overrides,
    sink: listPipelineSink(),
  };
}
