// Content pipeline figures, with rendering stubbed out so that the numbers are sovi's own bookkeeping:
//  - production: create → script → generate → assemble → check → plan distributions, per piece, against
//    the bare SQL writes that leave the same rows behind;
//  - publishing: publishDistribution through the simulator publisher, against bare UPDATEs marking the
//    same distributions posted;
//  - hook choice: Thompson sampling over a niche's hooks, against the bare read of the same hooks.
// Rendering itself is measured in bench/render.ts.
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { createContent } from '../src/content/content-service.ts';
import { defaultContentPolicy, type ContentPolicy } from '../src/content/content-policy.ts';
import { runStage, type PipelineDeps, type StageJob } from '../src/content/pipeline.ts';
import { templateWriter } from '../src/content/script-writers.ts';
import { stubMedia } from '../src/content/stub-media.ts';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool, type Db } from '../src/db/pool.ts';
import { publishDistribution } from '../src/distributions/publishing.ts';
import { seededRandom } from '../src/random.ts';
import { pickHook } from '../src/hooks/hooks-service.ts';
import { createSimulatorPublisher } from '../src/plugins/simulator-publisher.ts';
import { logger, median, timeIt, type BenchServer, type Section } from './harness.ts';

const PIECES = 400;
const LANES = 8;
const ACCOUNTS = 120;
const HOOKS = 200;
const PICKS = 2_000;

// Cadence limits off: the bench measures the work, not the policy's pacing.
const policy: ContentPolicy = {
  ...defaultContentPolicy,
  distribution: {
    ...defaultContentPolicy.distribution,
    maxPostsPerAccountPerDay: 1_000,
    minGapMinutes: 0,
    platformDailyQuota: { tiktok: 1_000_000, instagram: 1_000_000 },
  },
};

/** Runs `work` over items with `lanes` concurrent workers, as the job engine's team would. */
async function inLanes<T>(items: T[], lanes: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function seed(pool: pg.Pool) {
  await pool.query(
    `INSERT INTO accounts (platform, username, current_state, niche_id)
     SELECT (ARRAY['tiktok', 'instagram'])[1 + i % 2], 'bench_' || i, 'active', n.id
     FROM generate_series(1, $1::int) i, niches n WHERE n.slug = 'personal_finance'`,
    [ACCOUNTS],
  );
  await pool.query(
    `INSERT INTO hooks (category, template, niche_id, usage_count, effectiveness_score, platform_scores)
     SELECT 'bench_' || (i % 7), 'Hook ' || i || ' about {topic}.',
            CASE WHEN i % 3 = 0 THEN NULL ELSE n.id END, i % 50, (i % 100) / 100.0,
            jsonb_build_object('tiktok', jsonb_build_object('score', (i % 97) / 97.0, 'samples', i % 40))
     FROM generate_series(1, $1::int) i, niches n WHERE n.slug = 'personal_finance'`,
    [HOOKS],
  );
}

async function soviProduction(db: Db, mediaDir: string) {
  const published: string[] = [];
  const deps: PipelineDeps = {
    db,
    logger,
    policy,
    mediaDir,
    writers: { primary: templateWriter(), fallback: null },
    media: stubMedia(),
    random: seededRandom(7),
    sink: {
      enqueueStage: async () => undefined,
      enqueuePublish: async (_trx, jobs) => {
        published.push(...jobs.map((j) => j.distributionId));
      },
    },
  };
  const signal = new AbortController().signal;
  const topics = Array.from({ length: PIECES }, (_, i) => `bench topic number ${i}`);
  const produceMs = await timeIt(() =>
    inLanes(topics, LANES, async (topic) => {
      const c = await createContent(db, policy, { topic, niche: 'personal_finance' });
      // Each stage job is run by the lane that finished the one before, as a worker would pick it up next.
      for (const stage of ['scripting', 'generating', 'assembling', 'distributing'] as StageJob['stage'][]) {
        const result = await runStage(deps, { contentId: c.id, stage }, signal);
        if (result.status !== 'advanced') throw new Error(`bench: ${stage} ended ${result.status}`);
      }
    }),
  );
  const publisher = createSimulatorPublisher(
    { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
    { db, logger },
  );
  const publishMs = await timeIt(() =>
    inLanes(published, LANES, async (id) => {
      const outcome = await publishDistribution({ db, publisher, logger, maxAttempts: 4 }, id, signal);
      if (outcome.status !== 'posted') throw new Error(`bench: publish ended ${outcome.status}`);
    }),
  );
  return { produceMs, publishMs, distributions: published.length };
}

/** The same rows written with bare statements: no rules, no events, no manifest, no files. */
async function rawProduction(pool: pg.Pool) {
  const distributions: string[] = [];
  const script = JSON.stringify({ title: 't', hook: 'h', beats: [], cta: 'c', narration: 'n', hashtags: [] });
  const topics = Array.from({ length: PIECES }, (_, i) => `raw topic number ${i}`);
  let cursor = 0;
  const produceMs = await timeIt(() =>
    inLanes(topics, LANES, async (topic) => {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO content (topic, niche_id, content_format, production_status)
         SELECT $1, id, 'faceless', 'scripting' FROM niches WHERE slug = 'personal_finance' RETURNING id`,
        [topic],
      );
      const id = rows[0]!.id;
      await pool.query(
        `UPDATE content SET production_status = 'generating', script_json = $2 WHERE id = $1`,
        [id, script],
      );
      await pool.query(
        `UPDATE content SET production_status = 'assembling', asset_manifest = $2 WHERE id = $1`,
        [id, '{"stages":{}}'],
      );
      await pool.query(
        `UPDATE content SET production_status = 'distributing', output_path = $2, quality_score = 1 WHERE id = $1`,
        [id, `/tmp/${id}.mp4`],
      );
      const start = (cursor += 3);
      const inserted = await pool.query<{ id: string }>(
        `INSERT INTO distributions (content_id, account_id, platform, status, caption, hashtags)
         SELECT $1, a.id, a.platform, 'pending', 'caption', ARRAY['tag']
         FROM accounts a ORDER BY a.username OFFSET $2 % ${ACCOUNTS} LIMIT 3 RETURNING id`,
        [id, start],
      );
      distributions.push(...inserted.rows.map((r) => r.id));
    }),
  );
  const publishMs = await timeIt(() =>
    inLanes(distributions, LANES, async (id) => {
      await pool.query(
        `UPDATE distributions SET status = 'posted', posted_at = now(), platform_post_id = 'raw_' || id WHERE id = $1`,
        [id],
      );
    }),
  );
  return { produceMs, publishMs, distributions: distributions.length };
}

async function hookPicks(db: Db, pool: pg.Pool) {
  const nicheId = (await pool.query<{ id: string }>(`SELECT id FROM niches WHERE slug = 'personal_finance'`))
    .rows[0]!.id;
  const random = seededRandom(3);
  const rounds = { sovi: [] as number[], raw: [] as number[] };
  for (let round = 0; round < 3; round++) {
    rounds.raw.push(
      await timeIt(async () => {
        for (let i = 0; i < PICKS; i++) {
          await pool.query(`SELECT * FROM hooks WHERE niche_id = $1 OR niche_id IS NULL ORDER BY id`, [
            nicheId,
          ]);
        }
      }),
    );
    rounds.sovi.push(
      await timeIt(async () => {
        for (let i = 0; i < PICKS; i++) await pickHook(db, { nicheId, platform: 'tiktok' }, random);
      }),
    );
  }
  return { sovi: median(rounds.sovi) / PICKS, raw: median(rounds.raw) / PICKS };
}

export async function contentBench(server: BenchServer): Promise<Section> {
  const { url, name } = await server.createDatabase();
  const pool = createPool(
    { url },
    { min: 1, max: LANES + 2, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );
  const db = createDb(pool);
  try {
    await migrate({ url }, { logger });
    await seed(pool);
    const mediaDir = path.join(os.tmpdir(), `sovi-bench-media-${process.pid}`);
    // Raw first, so that neither path profits from the other's warm caches more than the other.
    const raw = await rawProduction(pool);
    await pool.query('DELETE FROM distributions; DELETE FROM content');
    const sovi = await soviProduction(db, mediaDir);
    const picks = await hookPicks(db, pool);
    const rate = (n: number, ms: number) => n / (ms / 1000);
    const produce = { sovi: rate(PIECES, sovi.produceMs), raw: rate(PIECES, raw.produceMs) };
    const publish = {
      sovi: rate(sovi.distributions, sovi.publishMs),
      raw: rate(raw.distributions, raw.publishMs),
    };
    return {
      title: 'Content pipeline (rendering stubbed out)',
      notes: [
        `${PIECES} pieces of content through every stage with ${LANES} concurrent lanes, then their ` +
          `${sovi.distributions} distributions published through the simulator publisher; ${HOOKS} hooks, ` +
          `${PICKS} hook choices. The baseline writes the same rows with bare statements: no stage rules, ` +
          'hook choice, cadence planning, events, activity log or idempotency records.',
      ],
      rows: [
        {
          what: 'production, pieces/s (all stages + distribution planning)',
          sovi: produce.sovi.toFixed(0),
          baseline: produce.raw.toFixed(0),
          ratio: `${(produce.sovi / produce.raw).toFixed(2)}×`,
        },
        {
          what: 'publishing, distributions/s',
          sovi: publish.sovi.toFixed(0),
          baseline: publish.raw.toFixed(0),
          ratio: `${(publish.sovi / publish.raw).toFixed(2)}×`,
        },
        {
          what: `hook choice, ms each (${HOOKS} hooks)`,
          sovi: picks.sovi.toFixed(3),
          baseline: picks.raw.toFixed(3),
          ratio: `${(picks.sovi / picks.raw).toFixed(2)}× the time`,
        },
      ],
    };
  } finally {
    await pool.end();
    await server.dropDatabase(name);
  }
}
