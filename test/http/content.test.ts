// Content over HTTP: created from a topic or a trend, produced through the job sink and shown with its
// script, quality checks and distributions, retried after a failure, listed in keyset pages, and its video
// streamed with Range requests from inside the media folder only. A server without a job sink says so (503)
// and writes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runStage, type StageJob } from '../../src/content/pipeline.ts';
import { listPipelineSink, pipelineDeps } from '../helpers/content.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { configWithHome } from './domain-app.ts';
import { bearer, fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const extra = vi.hoisted(() => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('./domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
const sink = listPipelineSink();
let api: TestApp;
/** The same app built without a job sink or configuration. */
let bare: TestApp;
let home: string;
let mediaDir: string;
beforeAll(async () => {
  const configured = await configWithHome();
  home = configured.home;
  mediaDir = configured.mediaDir;
  extra.deps = { config: configured.config, contentSink: sink };
  api = await startTestApp(t);
  extra.deps = {};
  bare = await startTestApp(t);
});
afterAll(async () => {
  await api.close();
  await bare.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const never = new AbortController().signal;

/** Runs the queued stage jobs as a content worker would, until none is left. */
async function drain(first: StageJob[]): Promise<void> {
  const deps = pipelineDeps(t.db, { mediaDir });
  const jobs = [...first];
  for (let job = jobs.shift(); job; job = jobs.shift() ?? deps.sink.stages.shift()) {
    await runStage(deps, job, never);
  }
}

const nicheId = async (slug: string) =>
  (await t.pool.query<{ id: string }>('SELECT id FROM niches WHERE slug = $1', [slug])).rows[0]!.id;

describe('content', () => {
  it('is created, produced through the sink, and shown with its script, checks, distributions and video', async () => {
    const finance = await nicheId('personal_finance');
    for (let i = 0; i < 3; i++)
      await factories.account(t.pool, { current_state: 'active', niche_id: finance });
    await factories.hook(t.pool, { template: 'Nobody tells you this about {topic}.', niche_id: finance });

    const created = await api.call('POST', '/api/v1/content', {
      topic: 'compound interest',
      niche: 'personal_finance',
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({
      topic: 'compound interest',
      nicheSlug: 'personal_finance',
      format: 'faceless',
      status: 'scripting',
      hasVideo: false,
      trendId: null,
    });

    const queued = await api.call('POST', `/api/v1/content/${id}/produce`);
    expect(queued.statusCode, queued.body).toBe(202);
    expect(queued.json()).toMatchObject({ queued: 'scripting', content: { id, status: 'scripting' } });
    expect(sink.stages.splice(0)).toEqual([{ contentId: id, stage: 'scripting' }]);
    await drain([{ contentId: id, stage: 'scripting' }]);

    const shown = await api.call('GET', `/api/v1/content/${id}`);
    expect(shown.statusCode, shown.body).toBe(200);
    const body = shown.json();
    expect(body).toMatchObject({
      id,
      status: 'distributing',
      hasVideo: true,
      outputPath: path.join(mediaDir, id, 'video.mp4'),
      qualityScore: 1,
      failure: null,
      previousFailures: [],
      quality: { score: 1, checks: [{ name: 'stub', passed: true }] },
      script: { hook: 'Nobody tells you this about compound interest.', writer: 'template' },
    });
    expect(body.script.beats.length).toBeGreaterThanOrEqual(3);
    expect(body.distributions).toHaveLength(3);
    expect(body.distributions[0]).toMatchObject({ contentId: id, status: 'pending', platform: 'tiktok' });
    expect(body).not.toHaveProperty('assetManifest');

    const video = await api.call('GET', `/api/v1/content/${id}/video`);
    expect(video.statusCode).toBe(200);
    expect(video.body).toBe('stub video');
    expect(video.headers).toMatchObject({
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      'content-length': '10',
    });

    const counts = await api.call('GET', '/api/v1/content/status');
    expect(counts.json()).toMatchObject({ distributing: 1, scripting: 0, complete: 0 });
  });

  it('streams its video by byte ranges, for seeking', async () => {
    const content = await factories.content(t.pool, { topic: 'ranged video' });
    const file = path.join(mediaDir, String(content.id), 'video.mp4');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    fs.writeFileSync(file, bytes);
    await t.pool.query('UPDATE content SET output_path = $1 WHERE id = $2', [file, content.id]);
    const url = `/api/v1/content/${String(content.id)}/video`;
    const ranged = (range: string) =>
      api.app.inject({ url, headers: { ...bearer(api.admin.secret), range } });

    const middle = await ranged('bytes=100-199');
    expect(middle.statusCode).toBe(206);
    expect(middle.headers['content-range']).toBe('bytes 100-199/1000');
    expect(middle.headers['content-length']).toBe('100');
    expect(middle.rawPayload.equals(bytes.subarray(100, 200))).toBe(true);

    const open = await ranged('bytes=990-');
    expect(open.headers['content-range']).toBe('bytes 990-999/1000');
    expect(open.rawPayload.equals(bytes.subarray(990))).toBe(true);
    const suffix = await ranged('bytes=-16');
    expect(suffix.headers['content-range']).toBe('bytes 984-999/1000');
    const pastEnd = await ranged('bytes=900-5000');
    expect(pastEnd.headers['content-range']).toBe('bytes 900-999/1000');
    expect(pastEnd.rawPayload.length).toBe(100);

    const unsatisfiable = await ranged('bytes=1000-');
    expect(unsatisfiable.statusCode).toBe(416);
    expect(unsatisfiable.headers['content-range']).toBe('bytes */1000');
    expect(unsatisfiable.json().error).toMatchObject({ code: 'range_not_satisfiable', field: 'range' });
    // Several ranges, another unit or nonsense: the whole file.
    for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=5-2', 'nonsense']) {
      const whole = await ranged(range);
      expect(whole.statusCode, range).toBe(200);
      expect(whole.rawPayload.equals(bytes), range).toBe(true);
    }
  });

  it('is created from a trending topic, taking its topic and niche', async () => {
    const trend = (
      await t.pool.query<{ id: string }>(
        `INSERT INTO trending_topics (topic, source, niche_id) VALUES ('Loud budgeting', 'tiktok', $1) RETURNING id`,
        [await nicheId('personal_finance')],
      )
    ).rows[0]!;
    const created = await api.call('POST', '/api/v1/content', {
      fromTrend: trend.id,
      format: 'reddit_story',
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      topic: 'Loud budgeting',
      nicheSlug: 'personal_finance',
      trendId: trend.id,
      format: 'reddit_story',
    });
    const own = await api.call('POST', '/api/v1/content', {
      fromTrend: trend.id,
      topic: 'My own take',
      produce: true,
    });
    expect(own.json()).toMatchObject({ topic: 'My own take', trendId: trend.id });
    // Queued with it, in the same transaction.
    expect(sink.stages.splice(0)).toEqual([{ contentId: own.json().id, stage: 'scripting' }]);
  });

  it('is listed newest first in keyset pages, by status and niche', async () => {
    const motivation = await nicheId('motivation');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await factories.content(t.pool, {
        topic: `listed ${i}`,
        niche_id: motivation,
        created_at: new Date(Date.UTC(2030, 0, 1, i)),
        production_status: i % 2 ? 'complete' : 'scripting',
      });
      ids.push(String(c.id));
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await api.call(
        'GET',
        `/api/v1/content?niche=motivation&limit=2${after ? `&after=${after}` : ''}`,
      );
      expect(page.statusCode, page.body).toBe(200);
      seen.push(...page.json().content.map((c: { id: string }) => c.id));
      after = page.json().nextCursor;
    } while (after);
    expect(seen).toEqual([...ids].reverse());
    const complete = await api.call('GET', '/api/v1/content?niche=motivation&status=complete');
    expect(complete.json().content.map((c: { id: string }) => c.id)).toEqual([ids[3], ids[1]]);
    expect(complete.json().content[0]).not.toHaveProperty('script');
  });

  it('that failed is retried from the stage that failed, and only then', async () => {
    const content = await factories.content(t.pool, {
      topic: 'failed once',
      production_status: 'failed',
      asset_manifest: JSON.stringify({
        failure: { stage: 'generating', reason: 'voice synthesis crashed', at: '2026-01-01T00:00:00.000Z' },
      }),
    });
    const id = String(content.id);
    const shown = await api.call('GET', `/api/v1/content/${id}`);
    expect(shown.json().failure).toEqual({
      stage: 'generating',
      reason: 'voice synthesis crashed',
      at: '2026-01-01T00:00:00.000Z',
    });
    const produce = await api.call('POST', `/api/v1/content/${id}/produce`);
    expect(produce.statusCode).toBe(409);
    expect(produce.json().error.message).toMatch(/failed at generating/);

    const retried = await api.call('POST', `/api/v1/content/${id}/retry`);
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.json()).toMatchObject({ queued: 'generating', content: { id, status: 'generating' } });
    expect(sink.stages.splice(0)).toEqual([{ contentId: id, stage: 'generating' }]);
    const after = (await api.call('GET', `/api/v1/content/${id}`)).json();
    expect(after).toMatchObject({ failure: null, previousFailures: [{ stage: 'generating' }] });
    const { rows } = await t.pool.query(
      `SELECT message FROM system_events WHERE event_type = 'content_retried' AND context->>'contentId' = $1`,
      [id],
    );
    expect(rows[0].message).toContain(`token:${api.admin.name}`);

    const again = await api.call('POST', `/api/v1/content/${id}/retry`);
    expect(again.statusCode).toBe(409);
    const complete = await factories.content(t.pool, { production_status: 'complete' });
    expect((await api.call('POST', `/api/v1/content/${String(complete.id)}/produce`)).statusCode).toBe(409);
  });
});

describe('content mistakes', () => {
  it('bad bodies are a 400 naming the field, with the CLI’s checks', async () => {
    const types = await api.call('POST', '/api/v1/content', { topic: 42, produce: 'yes', colour: 'red' });
    expect(fieldsOf(types).sort()).toEqual(['body.colour', 'body.produce', 'body.topic']);
    for (const [body, field] of [
      [{ niche: 'personal_finance' }, 'topic'],
      [{ topic: 'ab', niche: 'personal_finance' }, 'topic'],
      [{ topic: 'a fine topic' }, 'niche'],
      [{ topic: 'a fine topic', niche: 'personal_finance', format: 'hologram' }, 'format'],
    ] as const) {
      const response = await api.call('POST', '/api/v1/content', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.field, JSON.stringify(body)).toBe(field);
    }
    const body = await api.call('POST', `/api/v1/content/00000000-0000-4000-8000-000000000000/produce`, {
      now: true,
    });
    expect(fieldsOf(body)).toEqual(['body.now']);
    expect((await api.call('GET', '/api/v1/content?status=baking')).statusCode).toBe(400);
    expect((await api.call('GET', '/api/v1/content?after=xyz')).json().error.field).toBe('after');
  });

  it('unknown content, niches and trends are a 404', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [method, url] of [
      ['GET', `/api/v1/content/${missing}`],
      ['GET', '/api/v1/content/not-an-id'],
      ['GET', `/api/v1/content/${missing}/video`],
      ['GET', '/api/v1/content?niche=nowhere'],
      ['POST', `/api/v1/content/${missing}/produce`],
      ['POST', `/api/v1/content/${missing}/retry`],
    ] as const) {
      expect((await api.call(method, url)).statusCode, `${method} ${url}`).toBe(404);
    }
    const niche = await api.call('POST', '/api/v1/content', { topic: 'a fine topic', niche: 'nowhere' });
    expect(niche.statusCode).toBe(404);
    const trend = await api.call('POST', '/api/v1/content', { fromTrend: missing });
    expect(trend.statusCode).toBe(404);
    expect(trend.json().error.field).toBe('fromTrend');
  });

  it('a video is served only from inside the media folder, and only when it is there', async () => {
    const outside = path.join(home, 'outside.mp4');
    fs.writeFileSync(outside, 'not for you');
    const linked = path.join(mediaDir, 'link.mp4');
    fs.symlinkSync(outside, linked);
    for (const [outputPath, why] of [
      [null, /not been rendered/],
      [outside, /outside the media folder/],
      [path.join(mediaDir, '..', 'outside.mp4'), /outside the media folder/],
      [linked, /outside the media folder/],
      [path.join(mediaDir, 'gone', 'video.mp4'), /gone/],
      [mediaDir, /outside|gone/],
    ] as const) {
      const c = await factories.content(t.pool, { output_path: outputPath });
      const response = await api.call('GET', `/api/v1/content/${String(c.id)}/video`);
      expect(response.statusCode, String(outputPath)).toBe(404);
      expect(response.json().error.message, String(outputPath)).toMatch(why);
      expect(response.body).not.toContain('not for you');
    }
  });

  it('a server without a job sink answers the routes that queue with 503, and writes nothing', async () => {
    const content = await factories.content(t.pool, { topic: 'no worker here' });
    for (const url of [
      `/api/v1/content/${String(content.id)}/produce`,
      `/api/v1/content/${String(content.id)}/retry`,
    ]) {
      const response = await bare.call('POST', url);
      expect(response.statusCode, url).toBe(503);
      expect(response.json().error).toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/cannot queue/),
      });
    }
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM content')).rows[0].n;
    const create = await bare.call('POST', '/api/v1/content', {
      topic: 'queued at once',
      niche: 'personal_finance',
      produce: true,
    });
    expect(create.statusCode).toBe(503);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM content')).rows[0].n).toBe(before);
    // Creating without producing needs no sink; a video needs a media folder.
    const plain = await bare.call('POST', '/api/v1/content', {
      topic: 'made anyway',
      niche: 'personal_finance',
    });
    expect(plain.statusCode).toBe(201);
    const withVideo = await factories.content(t.pool, { output_path: path.join(mediaDir, 'x.mp4') });
    const video = await bare.call('GET', `/api/v1/content/${String(withVideo.id)}/video`);
    expect(video.statusCode).toBe(404);
    expect(video.json().error.message).toMatch(/has no video/);
  });

  it('a read-only token reads content but may not create, produce or retry it; no token, nothing', async () => {
    const content = await factories.content(t.pool);
    const reader = api.reader.secret;
    expect((await api.call('GET', '/api/v1/content', undefined, reader)).statusCode).toBe(200);
    expect(
      (await api.call('GET', `/api/v1/content/${String(content.id)}`, undefined, reader)).statusCode,
    ).toBe(200);
    for (const [url, body] of [
      ['/api/v1/content', { topic: 'read only', niche: 'motivation' }],
      [`/api/v1/content/${String(content.id)}/produce`, undefined],
      [`/api/v1/content/${String(content.id)}/retry`, undefined],
    ] as const) {
      const response = await api.call('POST', url, body, reader);
      expect(response.statusCode, url).toBe(403);
      expect((await api.app.inject({ method: 'POST', url })).statusCode, url).toBe(401);
    }
    expect(sink.stages).toEqual([]);
    expect((await api.app.inject({ url: `/api/v1/content/${String(content.id)}/video` })).statusCode).toBe(
      401,
    );
  });
});
