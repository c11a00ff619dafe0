// The review page shows what a video is made of before it is posted: the loudness, true peak, caption
// timing and overflow, music licence and visual-source checks with their measured values, and who spoke,
// the music and each beat's visual with their licences. Shot at 1280 and 390 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import {
  atBothWidths,
  hasChromium,
  openDashboard,
  signInWithRole,
  visit,
  type Dashboard,
} from './browser.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
let contentId: string;

const script = {
  title: 'One money habit',
  hook: 'One habit that makes you richer.',
  beats: [
    { onScreenText: 'Pay yourself first', narration: 'Move ten percent the day you are paid.' },
    { onScreenText: 'Automate it', narration: 'Let the bank do it, so you never decide.' },
  ],
  cta: 'Follow for more.',
  narration: 'One habit that makes you richer. Move ten percent the day you are paid. Let the bank do it.',
  hashtags: ['money'],
  writer: 'openai',
};

/** A production record as the built-in media stages leave it (figures from a real render). */
const check = (name: string, passed: boolean, value: number | string, expected: string, weight: number) => ({
  name,
  passed,
  value,
  expected,
  weight,
});
const manifest = {
  stages: {
    generating: {
      media: 'builtin',
      voice: {
        kind: 'openai',
        voice: 'alloy',
        model: 'kokoro',
        durationSeconds: 8.6,
        fellBack: [{ engine: 'openai', voice: 'echo', reason: 'the speech endpoint answered HTTP 500' }],
      },
      background: {
        kind: 'beats',
        durationSeconds: 8.6,
        visuals: [
          {
            start: 0,
            end: 4.1,
            source: 'library',
            id: 'payday.mp4',
            licence: 'own footage',
            url: null,
            keywords: [],
          },
          {
            start: 4.1,
            end: 8.6,
            source: 'pexels',
            id: '3571264',
            licence: 'Pexels License (video by Anna Tarazevich)',
            url: 'https://www.pexels.com/video/bank-3571264/',
            keywords: [],
          },
        ],
      },
    },
    assembling: {
      captionTiming: 'speech',
      music: {
        id: 'calm-keys.wav',
        title: 'Calm Keys',
        mood: 'calm',
        tempo: 72,
        licence: 'CC-BY-4.0',
        attribution: 'Calm Keys by Test Composer (CC BY 4.0)',
      },
      quality: {
        score: 0.96,
        checks: [
          check('duration', true, 8.634, '6–90 s', 0.15),
          check('integrated_loudness', true, -14.05, '-14 ± 1 LUFS', 0.1),
          check('true_peak', true, -4.49, '≤ -1 dBTP (+0.5 for the encoder)', 0.05),
          check('caption_overflow', false, 1, 'no caption beyond the safe area', 0.05),
          check('speech_coverage', true, 1, '≥ 0.95 of the speaking time under a caption', 0.05),
          check('music_under_voice', true, 0.21, 'the voice within 3 dB of its level alone', 0.05),
          check('music_licence', true, 'CC-BY-4.0', 'the track names its licence', 0.02),
          check('duplicate_clips', true, 0, 'no clip shown twice', 0.05),
          check(
            'visual_sources',
            true,
            'library:payday.mp4, pexels:3571264',
            'every clip names its source and licence',
            0.02,
          ),
        ],
      },
    },
  },
};

describe.skipIf(!hasChromium)('dashboard: the review page’s media checks', () => {
  beforeAll(async () => {
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id;
    const content = await factories.content(t.pool, {
      topic: 'one money habit, voiced',
      niche_id: niche,
      production_status: 'distributing',
      review_state: 'awaiting',
      review_requested_at: new Date(Date.now() - 3_600_000),
      script_json: JSON.stringify(script),
      asset_manifest: JSON.stringify(manifest),
      quality_score: 0.96,
    });
    contentId = content.id as string;
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('lists the loudness, caption and source checks with their values, and the credits', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'reviewer');
    await visit(dashboard, '/review');
    const card = page.locator(`section.review-item[data-content="${contentId}"]`);
    await card.waitFor();
    const checks = card.getByRole('table', { name: 'Quality checks' });
    const row = (name: string) => checks.getByRole('row').filter({ hasText: name });
    await row('integrated loudness').waitFor();
    expect(await row('integrated loudness').innerText()).toMatch(
      /✓ integrated loudness\s+-14\.05\s+-14 ± 1 LUFS/,
    );
    expect(await row('true peak').innerText()).toContain('-4.49');
    expect(await row('speech coverage').innerText()).toContain('✓');
    // A failed check is marked.
    expect(await row('caption overflow').innerText()).toMatch(/✗ caption overflow\s+1/);
    expect(await row('caption overflow').getAttribute('class')).toContain('failed');
    expect(await row('music licence').innerText()).toContain('CC-BY-4.0');
    expect(await row('duplicate clips').innerText()).toMatch(/✓ duplicate clips\s+0/);
    expect(await row('visual sources').innerText()).toContain('pexels:3571264');

    const credits = card.getByLabel('Sound and visuals');
    await credits.getByText('openai alloy (kokoro) — after openai:echo failed').waitFor();
    await credits
      .getByText('Calm Keys (calm) · CC-BY-4.0 · Calm Keys by Test Composer (CC BY 4.0)')
      .waitFor();
    await credits.getByText('from the voice').waitFor();
    const visuals = credits.getByRole('table', { name: 'Visual sources' });
    expect(await visuals.getByRole('row').count()).toBe(3);
    const pexelsLink = visuals.getByRole('link', { name: 'pexels 3571264' });
    expect(await pexelsLink.getAttribute('href')).toBe('https://www.pexels.com/video/bank-3571264/');
    await visuals.getByText('Pexels License (video by Anna Tarazevich)').waitFor();
    await visuals.getByText('library payday.mp4').waitFor();
    await atBothWidths(page, 'review-media', 'reviewer');

    // The content's own page shows the same.
    await visit(dashboard, `/content/${contentId}`);
    await page.getByLabel('Sound and visuals').getByText('Calm Keys', { exact: false }).waitFor();
    await page.getByRole('table', { name: 'Quality checks' }).getByText('integrated loudness').waitFor();
  });
});
