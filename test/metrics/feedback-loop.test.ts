// The whole loop, with the simulators: a trend becomes content, the content gets a hook, is rendered and
// posted; metrics come in, the rollups fold them in, the feedback rescores the hooks, and hook choice
// follows: trend → hook → render → post → metrics → scores.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { builtinMedia } from '../../src/content/builtin-media.ts';
import { defaultContentPolicy, type ContentPolicy } from '../../src/content/content-policy.ts';
import { createContent, getContent } from '../../src/content/content-service.ts';
import type { ScriptWriter } from '../../src/content/script-writers.ts';
import { runStage, type StageJob } from '../../src/content/pipeline.ts';
import { publishDistribution } from '../../src/distributions/publishing.ts';
import { seededRandom } from '../../src/random.ts';
import { addHook, pickHook } from '../../src/hooks/hooks-service.ts';
import { recomputeHookScores } from '../../src/metrics/hook-feedback.ts';
import { refreshRollups } from '../../src/metrics/rollup-refresh.ts';
import { defaultIngestSettings, ingestSnapshots } from '../../src/metrics/snapshot-ingest.ts';
import { createSimulatorPublisher } from '../../src/plugins/simulator-publisher.ts';
import { pipelineDeps, RENDER_TEST_TIMEOUT } from '../helpers/content.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const never = new AbortController().signal;
let mediaDir: string;

const policy: ContentPolicy = {
  ...defaultContentPolicy,
  distribution: { ...defaultContentPolicy.distribution, minGapMinutes: 0, maxPostsPerAccountPerDay: 100 },
};

/** About 9 s of narration (the format wants 6 at least), so that the one real render stays quick. */
const shortWriter: ScriptWriter = {
  name: 'short',
  write: async (request) => {
    const hook = request.hook?.line ?? 'Listen.';
    const beats = [
      { onScreenText: 'Start small', narration: 'Two minutes a day is enough to begin.' },
      { onScreenText: 'Stack it', narration: 'Do it right after something you already do.' },
    ];
    const cta = 'Follow for more.';
    return {
      title: request.topic,
      hook,
      beats,
      cta,
      narration: [hook, ...beats.map((b) => b.narration), cta].join(' '),
      hashtags: ['motivation'],
      writer: 'short',
    };
  },
};

beforeAll(async () => {
  mediaDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-loop-media-'));
});
afterAll(() => fs.rm(mediaDir, { recursive: true, force: true }));

describe('the feedback loop', () => {
  it(
    'learns from posted videos’ metrics which hook works, and picks it',
    async () => {
      const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
      for (const platform of ['tiktok', 'tiktok', 'instagram', 'instagram'])
        await factories.account(t.pool, { current_state: 'active', niche_id: niche, platform });
      const strong = await addHook(t.db, {
        category: 'bold_claim',
        template: '{topic} changed everything.',
        niche: 'motivation',
      });
      const weak = await addHook(t.db, {
        category: 'question',
        template: 'Ever wondered about {topic}?',
        niche: 'motivation',
      });
      const trend = (
        await t.pool.query(
          `INSERT INTO trending_topics (niche_id, topic, source, source_url, trend_score, overperformance_ratio)
         VALUES ($1, 'the two minute rule', 'reddit', 'https://www.reddit.com/r/getdisciplined/comments/abc/', 0.9, 4.2)
         RETURNING id`,
          [niche],
        )
      ).rows[0].id;
      const publisher = createSimulatorPublisher(
        { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
        { db: t.db, logger: quietLogger },
      );
      const random = seededRandom(21);
      const media = builtinMedia(loadConfig({ SOVI_HOME: mediaDir }).content, quietLogger);
      const chosen: string[] = [];

      for (let round = 0; round < 16; round++) {
        // Only the first piece is rendered for real (ffmpeg, captions, checks); the rest use the stub media.
        const deps = pipelineDeps(t.db, {
          policy,
          random,
          mediaDir,
          ...(round === 0 ? { media, writers: { primary: shortWriter, fallback: null } } : {}),
        });
        const content = await createContent(t.db, policy, { trendId: trend });
        let job: StageJob | undefined = { contentId: content.id, stage: 'scripting' };
        while (job) {
          const result = await runStage(deps, job, never);
          if (result.status !== 'advanced') throw new Error(JSON.stringify(result));
          job = deps.sink.stages.shift();
        }
        const produced = await getContent(t.db, content.id);
        chosen.push(produced.hookId!);
        if (round === 0) {
          expect(produced.topic).toBe('the two minute rule');
          await expect(fs.stat(produced.outputPath!)).resolves.toMatchObject({ size: expect.any(Number) });
        }
        for (const id of deps.sink.publishes) {
          expect(
            await publishDistribution(
              { db: t.db, publisher, logger: quietLogger, maxAttempts: 3 },
              id,
              never,
            ),
          ).toMatchObject({ status: 'posted' });
        }
        // The platform reports back: the strong hook's posts engage four times as well.
        const { rows: posted } = await t.pool.query(
          `SELECT d.id, d.account_id, c.hook_id FROM distributions d JOIN content c ON c.id = d.content_id
         WHERE d.content_id = $1 AND d.status = 'posted'`,
          [content.id],
        );
        expect(posted.length).toBeGreaterThan(0);
        const report = await ingestSnapshots(
          t.pool,
          posted.map((p, i) => ({
            time: new Date(Date.now() - 60_000 * (i + 1)).toISOString(),
            distribution_id: p.id,
            views: 1000,
            likes: p.hook_id === strong.id ? 100 + round : 20 + round,
          })),
          defaultIngestSettings,
        );
        expect(report.inserted).toBe(posted.length);
        await refreshRollups(t.pool, { lateWindowHours: 72 });
        await recomputeHookScores(t.db, { windowDays: 30 });
      }

      const { rows } = await t.pool.query('SELECT id, effectiveness_score, platform_scores FROM hooks');
      const scores = Object.fromEntries(rows.map((r) => [r.id, r]));
      // Outcomes are ranks among all posts, so the scores say which hook beats the other, not by how much.
      expect(scores[strong.id].effectiveness_score).toBeGreaterThan(0.5);
      expect(scores[weak.id].effectiveness_score).toBeLessThan(0.4);
      expect(scores[strong.id].effectiveness_score - scores[weak.id].effectiveness_score).toBeGreaterThan(
        0.2,
      );
      expect(scores[strong.id].platform_scores.tiktok.samples).toBeGreaterThan(0);
      // Both were tried; the strong one is chosen more and more.
      expect(new Set(chosen)).toEqual(new Set([strong.id, weak.id]));
      let strongPicks = 0;
      for (let i = 0; i < 200; i++)
        if ((await pickHook(t.db, { nicheId: niche, platform: 'tiktok' }, random))?.id === strong.id)
          strongPicks++;
      expect(strongPicks).toBeGreaterThan(150);
    },
    RENDER_TEST_TIMEOUT,
  );
});
