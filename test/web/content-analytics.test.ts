// Content, analytics and trends in Chromium: a video rendered by the built-in media stages plays in the
// content page's player (streamed with Range requests from the media folder), the board shows content by
// production status, new content is made from a topic and from a trend, and the analytics charts read the
// rollups.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { builtinMedia } from '../../src/content/builtin-media.ts';
import { createContent } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import { runStage, type StageJob } from '../../src/content/pipeline.ts';
import type { ScriptWriter } from '../../src/content/script-writers.ts';
import type { ApiDeps } from '../../src/http/api-deps.ts';
import { listPipelineSink, pipelineDeps } from '../helpers/content.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { configWithHome } from '../http/domain-app.ts';
import { bearer } from '../http/helpers.ts';
import { hasChromium, openDashboard, screenshot, signIn, visit, type Dashboard } from './browser.ts';
import { nicheIds, seedFleet } from './seed.ts';

// The content routes get a media folder and a job sink, as `sovi up` gives them.
const extra = vi.hoisted((): { deps: Partial<ApiDeps> } => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('../http/domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
const sink = listPipelineSink();
let dashboard: Dashboard;
let home: string;
let rendered: string;

/** A short script (about 7 s spoken), so the real render stays quick. */
const shortWriter: ScriptWriter = {
  name: 'short',
  write: async (request) => {
    const beats = [
      { onScreenText: 'Pay yourself first', narration: 'Move ten percent the day you are paid.' },
      { onScreenText: 'Automate it', narration: 'Let the bank do it, so you never decide.' },
    ];
    const hook = request.hook?.line ?? 'One habit that makes you richer.';
    const cta = 'Follow for more.';
    return {
      title: 'One money habit',
      hook,
      beats,
      cta,
      narration: [hook, ...beats.map((b) => b.narration), cta].join(' '),
      hashtags: ['money', 'habits'],
      writer: 'short',
    };
  },
};

describe.skipIf(!hasChromium)('dashboard: content, analytics, trends', () => {
  beforeAll(async () => {
    const configured = await configWithHome();
    home = configured.home;
    extra.deps = { config: configured.config, contentSink: sink };
    await seedFleet(t.pool);
    const niche = await nicheIds(t.pool);
    await factories.hook(t.pool, {
      template: 'Nobody tells you this about {topic}.',
      niche_id: niche.personal_finance,
      effectiveness_score: 0.7,
    });
    await factories.hook(t.pool, {
      category: 'list',
      template: '3 things about {topic}',
      effectiveness_score: 0.4,
    });

    // A real render: script, voice, background, captions, one encode, quality checks, distribution plan.
    const deps = pipelineDeps(t.db, {
      media: builtinMedia(configured.config.content, quietLogger),
      writers: { primary: shortWriter, fallback: null },
      mediaDir: configured.mediaDir,
    });
    const content = await createContent(t.db, defaultContentPolicy, {
      topic: 'paying yourself first',
      niche: 'personal_finance',
    });
    rendered = content.id;
    for (
      let job: StageJob | undefined = { contentId: content.id, stage: 'scripting' };
      job;
      job = deps.sink.stages.shift()
    ) {
      await runStage(deps, job, new AbortController().signal);
    }

    dashboard = await openDashboard(t);
    await signIn(dashboard);
  });
  afterAll(async () => {
    await dashboard?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('shows content on the board by production status', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/content');
    const column = (status: string) => page.locator(`section.column[data-status="${status}"]`);
    await column('distributing').getByText('paying yourself first').waitFor();
    await column('complete').getByText('compound interest').waitFor();
    await screenshot(page, 'content-board');
  });

  it('plays the rendered video, with its script, quality checks and planned posts', async () => {
    const { page } = dashboard;
    await page.getByText('paying yourself first').click();
    await page.getByRole('heading', { name: /paying yourself first/, level: 1 }).waitFor();
    const video = page.locator('video.player');
    await video.waitFor();
    // Each step waits on the player's own state (page timeouts, 15 s), never on the clock: playing in real
    // time for half a second is what a busy machine could not promise.
    // Polled through evaluate: a waitForFunction predicate is compiled in the page, which its CSP forbids.
    const playerState = (expression: string) =>
      vi.waitFor(
        async () =>
          expect(
            await page.evaluate<boolean>(`(v => ${expression})(document.querySelector("video.player"))`),
          ).toBe(true),
        { timeout: 15_000, interval: 100 },
      );
    await playerState('v.readyState >= 1'); // metadata
    expect(
      await page.evaluate<number[]>(
        '(v => [v.videoWidth, v.videoHeight])(document.querySelector("video.player"))',
      ),
    ).toEqual([1080, 1920]);
    expect(await page.evaluate<number>('document.querySelector("video.player").duration')).toBeGreaterThan(4);
    // Into the video: the seek fetches that part with a Range request and decodes the frame there.
    await page.evaluate(`(v => new Promise((resolve, reject) => {
      v.addEventListener('seeked', resolve, { once: true });
      v.addEventListener('error', () => reject(new Error('video error ' + v.error?.code)), { once: true });
      v.currentTime = 2;
    }))(document.querySelector("video.player"))`);
    await playerState('v.readyState >= 2'); // that frame
    // play() resolves once playback has begun; then it moves on from where it was put.
    await page.evaluate(
      '(v => { v.muted = true; return v.play(); })(document.querySelector("video.player"))',
    );
    await playerState('v.currentTime > 2');
    expect(await page.evaluate<string | null>('document.querySelector("video.player").error')).toBeNull();

    await expect.poll(() => page.locator('table[aria-label="Quality checks"] tbody tr').count()).toBe(13);
    expect(await page.locator('.script').textContent()).toContain('Pay yourself first');
    expect(await page.locator('table[aria-label="Distributions"] tbody tr').count()).toBe(1);
    await page.evaluate('document.querySelector("video.player").pause()');
    await screenshot(page, 'content');
  });

  it('serves the video to the signed-in page only, in ranges', async () => {
    const { page, url } = dashboard;
    const range = await page.evaluate<{ status: number; range: string | null }>(
      `fetch('/api/v1/content/${rendered}/video', { headers: { range: 'bytes=0-99' } }).then((r) => ({ status: r.status, range: r.headers.get('content-range') }))`,
    );
    expect(range.status).toBe(206);
    expect(range.range).toMatch(/^bytes 0-99\/\d+$/);
    const anonymous = await fetch(`${url}/api/v1/content/${rendered}/video`);
    expect(anonymous.status).toBe(401);
  });

  it('makes new content from a topic and queues its production', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/content');
    const form = page.getByRole('form', { name: 'New content' });
    await form.locator('input[name=topic]').fill('an emergency fund');
    await form.locator('select[name=niche]').selectOption('personal_finance');
    await form.getByRole('button', { name: 'Create and produce' }).click();
    await page.getByRole('heading', { name: /an emergency fund/, level: 1 }).waitFor();
    const id = page.url().split('/').pop()!;
    expect(sink.stages).toContainEqual({ contentId: id, stage: 'scripting' });
  });

  it('lists trending topics by score and makes content from one', async () => {
    const { page } = dashboard;
    const imported = await dashboard.api.app.inject({
      method: 'POST',
      url: '/api/v1/trends/import',
      headers: bearer(dashboard.api.admin.secret),
      payload: [
        {
          topic: 'high-yield savings accounts',
          niche: 'personal_finance',
          source: 'manual',
          source_group: 'r/personalfinance',
          engagement: 5200,
          overperformance_ratio: 6.5,
          published_at: new Date().toISOString(),
        },
        {
          topic: 'index funds for beginners',
          niche: 'personal_finance',
          source: 'manual',
          source_group: 'r/personalfinance',
          engagement: 900,
          overperformance_ratio: 1.2,
          published_at: new Date().toISOString(),
        },
      ],
    });
    expect(imported.statusCode, imported.body).toBe(200);
    await visit(dashboard, '/trends');
    const rows = page.locator('table[aria-label="Trending topics"] tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain('high-yield savings accounts');
    await screenshot(page, 'trends');

    await rows.first().getByRole('button', { name: 'Create content' }).click();
    await rows.first().getByText('production queued').waitFor();
    const { rows: made } = await t.pool.query(
      `SELECT c.id, c.topic FROM content c JOIN trending_topics tt ON tt.id = c.trend_id WHERE tt.topic = 'high-yield savings accounts'`,
    );
    expect(made).toHaveLength(1);
    expect(sink.stages).toContainEqual({ contentId: made[0].id, stage: 'scripting' });
  });

  it('charts a niche day by day and an account hour by hour, with the hook leaderboard and top content', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/analytics?niche=personal_finance');
    const niche = page.locator('figure[data-chart="Personal Finance: views and engagement per day"]');
    await niche.locator('canvas').waitFor();
    expect(Number(await niche.getAttribute('data-points'))).toBeGreaterThanOrEqual(10);

    await page.locator('select[name=account]').selectOption('tiktok:finance_daily');
    const account = page.locator('figure[data-chart="tiktok:finance_daily: views and engagement, hourly"]');
    await account.locator('canvas').waitFor();
    expect(Number(await account.getAttribute('data-points'))).toBe(34);
    await page.locator('select[name=grain]').selectOption('daily');
    const daily = page.locator('figure[data-chart="tiktok:finance_daily: views and engagement, daily"]');
    await daily.locator('canvas').waitFor();
    expect(Number(await daily.getAttribute('data-points'))).toBeLessThanOrEqual(12);

    const hooks = page.locator('table[aria-label="Hook leaderboard"] tbody tr');
    await expect.poll(() => hooks.count()).toBe(2);
    expect(await hooks.first().textContent()).toContain('Nobody tells you this about {topic}.');
    await page.locator('table[aria-label="Top content"]').getByText('compound interest').waitFor();
    await screenshot(page, 'analytics');
  });

  it('logged no script errors', () => {
    expect(dashboard.errors).toEqual([]);
  });
});
