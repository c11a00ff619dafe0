// Creating content: from a topic or a trend, queued at once in the same transaction when asked (and refused
// before anything is written when nothing can queue it), with errors named as the caller names its inputs;
// and the sweep that re-queues content whose stage job was lost.
import { beforeEach, describe, expect, it } from 'vitest';
import { createContent, getContent } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import { sweepContent } from '../../src/content/content-sweep.ts';
import { SoviError } from '../../src/errors.ts';
import { listPipelineSink } from '../helpers/content.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const policy = defaultContentPolicy;

beforeEach(async () => {
  await t.pool.query('DELETE FROM distributions; DELETE FROM content');
});

const count = async () => (await t.pool.query('SELECT count(*)::int AS n FROM content')).rows[0].n as number;

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => {
      if (!(err instanceof SoviError)) throw err;
      return { code: err.code, field: err.details.field, message: err.message };
    },
  );

describe('creating content', () => {
  it('queues its first stage with it when asked', async () => {
    const sink = listPipelineSink();
    const c = await createContent(
      t.db,
      policy,
      { topic: 'compound interest', niche: 'personal_finance', produce: true },
      sink,
    );
    expect(c).toMatchObject({
      topic: 'compound interest',
      nicheSlug: 'personal_finance',
      status: 'scripting',
    });
    expect(sink.stages).toEqual([{ contentId: c.id, stage: 'scripting' }]);
  });

  it('refuses to produce without a job sink, before writing anything', async () => {
    const before = await count();
    const refused = await refusal(
      createContent(t.db, policy, { topic: 'compound interest', niche: 'personal_finance', produce: true }),
    );
    expect(refused).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/cannot queue/) });
    expect(await count()).toBe(before);
  });

  it('takes part in the caller’s transaction: a rollback leaves neither content nor job', async () => {
    const before = await count();
    const sink = listPipelineSink();
    await expect(
      t.db.transaction().execute(async (trx) => {
        const c = await createContent(
          trx,
          policy,
          { topic: 'rolled back', niche: 'personal_finance', produce: true },
          sink,
        );
        expect((await getContent(trx, c.id)).topic).toBe('rolled back');
        throw new Error('the caller changed its mind');
      }),
    ).rejects.toThrow(/changed its mind/);
    expect(await count()).toBe(before);
  });

  it('takes a trending topic’s topic and niche, unless given', async () => {
    const trend = (
      await t.pool.query<{ id: string }>(
        `INSERT INTO trending_topics (topic, source, niche_id)
         VALUES ('Loud budgeting', 'tiktok', (SELECT id FROM niches WHERE slug = 'personal_finance')) RETURNING id`,
      )
    ).rows[0]!;
    expect(await createContent(t.db, policy, { trendId: trend.id })).toMatchObject({
      topic: 'Loud budgeting',
      nicheSlug: 'personal_finance',
      trendId: trend.id,
    });
    expect(
      await createContent(t.db, policy, { trendId: trend.id, topic: 'My take', niche: 'motivation' }),
    ).toMatchObject({ topic: 'My take', nicheSlug: 'motivation', trendId: trend.id });
  });

  it('names the input that is wrong as the caller names it, and writes nothing', async () => {
    const before = await count();
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(await refusal(createContent(t.db, policy, { niche: 'personal_finance' }))).toMatchObject({
      code: 'invalid_input',
      field: 'topic',
      message: expect.stringMatching(/or give fromTrend/),
    });
    expect(await refusal(createContent(t.db, policy, { trendId: missing }))).toMatchObject({
      code: 'not_found',
      field: 'fromTrend',
    });
    const flags = { topic: '--topic', niche: '--niche', format: '--format', trendId: '--from-trend' };
    for (const [input, code, field] of [
      [{ niche: 'personal_finance' }, 'invalid_input', '--topic'],
      [{ trendId: missing }, 'not_found', '--from-trend'],
      [{ topic: 'ab', niche: 'personal_finance' }, 'invalid_input', '--topic'],
      [{ topic: 'a fine topic' }, 'invalid_input', '--niche'],
      [{ topic: 'a fine topic', niche: 'nowhere' }, 'not_found', '--niche'],
      [{ topic: 'a fine topic', niche: 'personal_finance', format: 'hologram' }, 'invalid_input', '--format'],
    ] as const) {
      const refused = await refusal(createContent(t.db, policy, { ...input, names: flags }));
      expect(refused, JSON.stringify(input)).toMatchObject({ code, field });
      expect(refused.message, JSON.stringify(input)).toMatch(new RegExp(`^${field}: `));
    }
    expect(await count()).toBe(before);
  });
});

describe('the content sweep', () => {
  it('re-queues content quiet in a stage for ten minutes, and distributing content without distributions', async () => {
    const now = new Date();
    const old = await factories.content(t.pool, { production_status: 'generating' });
    const waiting = await factories.content(t.pool, { production_status: 'distributing' });
    const posting = await factories.content(t.pool, { production_status: 'distributing' });
    await factories.distribution(t.pool, { content_id: posting.id });
    await factories.content(t.pool, { production_status: 'complete' });
    await factories.content(t.pool, { production_status: 'failed' });
    const sink = listPipelineSink();
    // Nothing is quiet yet.
    expect(await sweepContent(t.db, sink, quietLogger, now)).toBe(0);
    const later = new Date(now.getTime() + 11 * 60_000);
    expect(await sweepContent(t.db, sink, quietLogger, later)).toBe(2);
    expect(sink.stages.sort((a, b) => a.stage.localeCompare(b.stage))).toEqual([
      { contentId: String(waiting.id), stage: 'distributing' },
      { contentId: String(old.id), stage: 'generating' },
    ]);
  });
});
