// Hook scores from their posts' metrics: ranked per platform, shrunk toward the average when posts are few.
import { beforeEach, describe, expect, it } from 'vitest';
import { PRIOR_POSTS, recomputeHookScores } from '../../src/metrics/hook-feedback.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const now = new Date('2026-05-10T12:00:00Z');

beforeEach(async () => {
  await t.pool.query(
    'TRUNCATE metrics_daily; DELETE FROM distributions; DELETE FROM content; DELETE FROM hooks',
  );
});

/** A post of `hook` on `platform` whose latest day had `rate` engagement. */
async function post(hook: string | null, platform: 'tiktok' | 'instagram', rate: number) {
  const content = await factories.content(t.pool, { hook_id: hook });
  const account = await factories.account(t.pool, { platform });
  const d = await factories.distribution(t.pool, {
    content_id: content.id,
    account_id: account.id,
    platform,
    status: 'posted',
    posted_at: new Date('2026-05-05T00:00:00Z'),
  });
  // An older day with the opposite figure: only the latest day counts.
  for (const [day, r] of [
    ['2026-05-06', 1 - rate],
    ['2026-05-07', rate],
  ] as const) {
    await t.pool.query(
      `INSERT INTO metrics_daily (bucket, distribution_id, account_id, samples, views, engagement_rate)
       VALUES ($1, $2, $3, 1, 100, $4)`,
      [day, d.id, account.id, r],
    );
  }
}

describe('the hook feedback', () => {
  it('ranks posts per platform and shrinks each hook toward the average', async () => {
    const good = String((await factories.hook(t.pool, { effectiveness_score: 0.2 })).id);
    const bad = String((await factories.hook(t.pool, { effectiveness_score: 0.9 })).id);
    const untouched = String((await factories.hook(t.pool, { effectiveness_score: 0.7 })).id);
    // TikTok: good's 3 posts beat bad's 3; Instagram rates are ten times smaller and only good posts there.
    for (const rate of [0.3, 0.4, 0.5]) await post(good, 'tiktok', rate);
    for (const rate of [0.1, 0.15, 0.2]) await post(bad, 'tiktok', rate);
    await post(good, 'instagram', 0.05);
    await post(null, 'instagram', 0.01); // no hook: ranks, but scores nobody

    const report = await recomputeHookScores(t.db, { windowDays: 30, now });
    expect(report).toEqual({ hooks: 2, posts: 7 });
    const { rows } = await t.pool.query('SELECT id, effectiveness_score, platform_scores FROM hooks');
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));

    // Mid-rank percentiles: TikTok posts rank 0..5 of 6 → (r + 0.5) / 6; Instagram 1 of 2 → 0.75.
    const K = PRIOR_POSTS;
    const goodTiktok = [3, 4, 5].map((r) => (r + 0.5) / 6);
    const goodEff = (K * 0.5 + goodTiktok.reduce((a, b) => a + b) + 0.75) / (K + 4);
    expect(byId[good].effectiveness_score).toBeCloseTo(goodEff, 4);
    expect(byId[good].platform_scores).toEqual({
      tiktok: {
        score: expect.closeTo((K * goodEff + goodTiktok.reduce((a, b) => a + b)) / (K + 3), 4),
        samples: 3,
      },
      instagram: { score: expect.closeTo((K * goodEff + 0.75) / (K + 1), 4), samples: 1 },
    });
    const badTiktok = [0, 1, 2].map((r) => (r + 0.5) / 6);
    expect(byId[bad].effectiveness_score).toBeCloseTo(
      (K * 0.5 + badTiktok.reduce((a, b) => a + b)) / (K + 3),
      4,
    );
    expect(byId[good].effectiveness_score).toBeGreaterThan(byId[bad].effectiveness_score);
    // Few posts: still near the average, not at the extremes the raw ranks would give.
    expect(byId[bad].effectiveness_score).toBeGreaterThan(0.25);
    expect(byId[untouched]).toMatchObject({ effectiveness_score: 0.7, platform_scores: {} });
  });

  it('leaves out posts older than the window', async () => {
    const hook = String((await factories.hook(t.pool)).id);
    await post(hook, 'tiktok', 0.3);
    expect(await recomputeHookScores(t.db, { windowDays: 2, now })).toEqual({ hooks: 0, posts: 0 });
  });
});
