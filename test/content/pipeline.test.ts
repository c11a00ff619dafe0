// The production pipeline with a media stand-in: every stage in order, failures recorded and retried from
// the stage that failed, interrupted stages resumed (never restarted from the beginning).
import { beforeEach, describe, expect, it } from 'vitest';
import { createContent, getContent, retryContent } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import { runStage, type StageJob } from '../../src/content/pipeline.ts';
import { stubMedia } from '../../src/content/stub-media.ts';
import type { ScriptWriter } from '../../src/content/script-writers.ts';
import { addHook } from '../../src/hooks/hooks-service.ts';
import { pipelineDeps } from '../helpers/content.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const never = new AbortController().signal;

beforeEach(async () => {
  await t.pool.query(
    'DELETE FROM distributions; DELETE FROM content; DELETE FROM hooks; DELETE FROM system_events; DELETE FROM activity_log; DELETE FROM accounts',
  );
});

async function newContent(topic = 'compound interest') {
  return createContent(t.db, defaultContentPolicy, { topic, niche: 'personal_finance' });
}

/** Runs stage jobs as the worker would, until none is left. */
async function drain(deps: ReturnType<typeof pipelineDeps>, first: StageJob) {
  const results = [];
  let job: StageJob | undefined = first;
  while (job) {
    results.push({ stage: job.stage, ...(await runStage(deps, job, never)) });
    job = deps.sink.stages.shift();
  }
  return results;
}

describe('the production pipeline', () => {
  it('goes scripting → generating → assembling → distributing, recording each stage', async () => {
    await addHook(t.db, {
      category: 'curiosity_gap',
      template: 'Nobody tells you this about {topic}.',
      niche: 'personal_finance',
    });
    for (let i = 0; i < 3; i++)
      await factories.account(t.pool, {
        current_state: 'active',
        niche_id: (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id,
      });
    const c = await newContent();
    const deps = pipelineDeps(t.db);
    const results = await drain(deps, { contentId: c.id, stage: 'scripting' });
    expect(results.map((r) => [r.stage, r.status])).toEqual([
      ['scripting', 'advanced'],
      ['generating', 'advanced'],
      ['assembling', 'advanced'],
      ['distributing', 'advanced'],
    ]);
    const done = await getContent(t.db, c.id);
    expect(done.status).toBe('distributing');
    expect(done.script).toMatchObject({
      hook: 'Nobody tells you this about compound interest.',
      writer: 'template',
    });
    expect(done.script!.beats.length).toBeGreaterThanOrEqual(3);
    expect(done.script!.narration.startsWith(done.script!.hook)).toBe(true);
    expect(done.hookId).not.toBeNull();
    expect(done.outputPath).toMatch(new RegExp(`${c.id}/video\\.mp4$`));
    expect(done.qualityScore).toBe(1);
    expect(Object.keys(done.assetManifest.stages as object).sort()).toEqual([
      'assembling',
      'generating',
      'scripting',
    ]);
    expect(deps.sink.publishes).toHaveLength(3);
    const { rows } = await t.pool.query(
      'SELECT status, caption, hashtags FROM distributions WHERE content_id = $1',
      [c.id],
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'pending' && r.caption.length > 0 && r.hashtags.length > 0)).toBe(
      true,
    );
    const hook = (await t.pool.query('SELECT usage_count FROM hooks')).rows[0];
    expect(hook.usage_count).toBe(1);
  });

  it('ignores a job for a stage the content has left', async () => {
    const c = await newContent();
    const deps = pipelineDeps(t.db);
    await runStage(deps, { contentId: c.id, stage: 'scripting' }, never);
    expect(await runStage(deps, { contentId: c.id, stage: 'scripting' }, never)).toEqual({ status: 'stale' });
  });

  it.each(['generate', 'assemble', 'check'] as const)(
    'records a failure in %s with its reason and an event, and retries from that stage',
    async (failAt) => {
      const c = await newContent();
      const broken = pipelineDeps(t.db, { media: stubMedia({ failAt }) });
      const results = await drain(broken, { contentId: c.id, stage: 'scripting' });
      const failedStage = failAt === 'generate' ? 'generating' : 'assembling';
      expect(results.at(-1)).toMatchObject({
        stage: failedStage,
        status: 'failed',
        reason: `stub media: ${failAt} failed on purpose`,
      });
      const failed = await getContent(t.db, c.id);
      expect(failed.status).toBe('failed');
      expect(failed.assetManifest.failure).toMatchObject({
        stage: failedStage,
        reason: `stub media: ${failAt} failed on purpose`,
      });
      const event = (
        await t.pool.query(`SELECT severity, context FROM system_events WHERE event_type = 'content_failed'`)
      ).rows[0];
      expect(event).toMatchObject({ severity: 'error', context: { contentId: c.id, stage: failedStage } });

      const fixed = pipelineDeps(t.db);
      expect(await retryContent(t.db, fixed.sink, c.id, 'tester')).toBe(failedStage);
      const after = await drain(fixed, fixed.sink.stages.shift()!);
      expect(after[0]!.stage).toBe(failedStage); // Not from the beginning.
      const retried = await getContent(t.db, c.id);
      expect(retried.status).toBe('distributing');
      expect(retried.assetManifest.failures).toEqual([expect.objectContaining({ stage: failedStage })]);
    },
  );

  it('fails a video below the quality bar, listing the failed checks', async () => {
    const c = await newContent();
    const deps = pipelineDeps(t.db, { media: stubMedia({ score: 0.3 }) });
    const results = await drain(deps, { contentId: c.id, stage: 'scripting' });
    expect(results.at(-1)).toMatchObject({
      stage: 'assembling',
      status: 'failed',
      reason: expect.stringMatching(/^quality 0\.30 is below 0\.7: stub/),
    });
    expect((await getContent(t.db, c.id)).qualityScore).toBe(0.3);
  });

  it.each(['scripting', 'generating', 'assembling'] as const)(
    'resumes an interrupted %s stage where it was, never from the beginning',
    async (stage) => {
      const c = await newContent();
      const deps = pipelineDeps(t.db);
      // Run up to the stage under test.
      let job: StageJob | undefined = { contentId: c.id, stage: 'scripting' };
      while (job && job.stage !== stage) {
        await runStage(deps, job, never);
        job = deps.sink.stages.shift();
      }
      const before = await getContent(t.db, c.id);
      // The worker dies mid-stage: its signal is aborted while the stage's plug-in works.
      const dying = new AbortController();
      const hanging = pipelineDeps(t.db, {
        media: {
          ...stubMedia(),
          generate: (i) => abortMidway(i.signal, dying),
          assemble: (i) => abortMidway(i.signal, dying),
        },
        writers: { primary: { name: 'slow', write: (r) => abortMidway(r.signal!, dying) }, fallback: null },
      });
      expect(await runStage(hanging, { contentId: c.id, stage }, dying.signal)).toEqual({
        status: 'interrupted',
      });
      const interrupted = await getContent(t.db, c.id);
      expect(interrupted.status).toBe(stage);
      expect(interrupted.assetManifest).toEqual(before.assetManifest);
      // The retried job does the same stage and goes on.
      expect(await runStage(deps, { contentId: c.id, stage }, never)).toMatchObject({ status: 'advanced' });
      if (stage !== 'scripting') expect((await getContent(t.db, c.id)).script).toEqual(before.script);
    },
  );

  it('falls back to the template writer when the configured writer fails, with an event', async () => {
    const c = await newContent();
    const failing: ScriptWriter = {
      name: 'openai',
      write: async () => Promise.reject(new Error('the endpoint answered HTTP 500')),
    };
    const deps = pipelineDeps(t.db);
    deps.writers = { primary: failing, fallback: deps.writers.primary };
    expect(await runStage(deps, { contentId: c.id, stage: 'scripting' }, never)).toMatchObject({
      status: 'advanced',
    });
    expect((await getContent(t.db, c.id)).script?.writer).toBe('template');
    const event = (
      await t.pool.query(
        `SELECT severity, message FROM system_events WHERE event_type = 'script_writer_fallback'`,
      )
    ).rows[0];
    expect(event.severity).toBe('warning');
    expect(event.message).toMatch(/the openai script writer failed .*HTTP 500.*used the template writer/);
  });

  it('waits, with one event, when no account can take the content yet', async () => {
    const c = await newContent();
    const deps = pipelineDeps(t.db);
    const results = await drain(deps, { contentId: c.id, stage: 'scripting' });
    expect(results.at(-1)).toEqual({ stage: 'distributing', status: 'waiting' });
    expect(await runStage(deps, { contentId: c.id, stage: 'distributing' }, never)).toEqual({
      status: 'waiting',
    });
    const events = (
      await t.pool.query(
        `SELECT count(*)::int AS n FROM system_events WHERE event_type = 'no_distribution_targets'`,
      )
    ).rows[0];
    expect(events.n).toBe(1);
  });
});

/** Resolves never: rejects once the signal aborts, after aborting it from the outside a moment later. */
function abortMidway<T>(signal: AbortSignal, controller: AbortController): Promise<T> {
  return new Promise<T>((_, reject) => {
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    setImmediate(() => controller.abort());
  });
}
