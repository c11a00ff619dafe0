// The review queue and the calendar in Chromium. A reviewer approves a piece for two of its three accounts,
// with one caption edited (the third is rejected and its publish job never queued); a viewer reads the
// queue without a control. An operator reschedules a post on the calendar, cancels one, and retries a
// failed one for its account only. Each flow is shot at 1280 and 390 px.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listPipelineSink } from '../helpers/content.ts';
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

// The app gets a job sink for publishing, as `sovi up` has one (the queue itself is tested elsewhere).
const extra = vi.hoisted(() => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('../http/domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
const sink = listPipelineSink();
let dashboard: Dashboard;
const HOUR = 3_600_000;
/** Today at a whole hour, local time (the browser's zone is this process's). */
const at = (days: number, hour: number) => {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days, hour, 0, 0);
};
const dayKey = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

const script = {
  title: 'Three money habits',
  hook: 'Nobody tells you this about saving.',
  beats: [
    { onScreenText: 'Pay yourself first', narration: 'Move savings out on payday.' },
    { onScreenText: 'Automate it', narration: 'Let the bank do it for you.' },
  ],
  cta: 'Follow for more.',
  narration: 'Nobody tells you this about saving. Move savings out on payday. Let the bank do it for you.',
  hashtags: ['money', 'saving'],
  writer: 'openai',
};

let review: { content: string; posts: { id: string; username: string }[] };
let calendar: { scheduled: string; other: string; failed: string };

describe.skipIf(!hasChromium)('dashboard: review before posting and the calendar', () => {
  beforeAll(async () => {
    extra.deps = { contentSink: sink };
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id;
    const content = await factories.content(t.pool, {
      topic: 'three money habits',
      niche_id: niche,
      production_status: 'distributing',
      review_state: 'awaiting',
      review_requested_at: new Date(Date.now() - HOUR),
      script_json: JSON.stringify(script),
      quality_score: 0.92,
    });
    const posts = [];
    for (const [i, [platform, username]] of [
      ['tiktok', 'habits_one'],
      ['instagram', 'habits_two'],
      ['tiktok', 'habits_three'],
    ].entries()) {
      const account = await factories.account(t.pool, {
        niche_id: niche,
        platform,
        username,
        current_state: 'active',
      });
      const post = await factories.distribution(t.pool, {
        content_id: content.id,
        account_id: account.id,
        platform,
        review: 'awaiting',
        scheduled_at: at(1, 9 + i),
        caption: 'Three money habits that work',
        hashtags: ['money'],
      });
      posts.push({ id: post.id as string, username: username! });
    }
    review = { content: content.id as string, posts };

    // On the calendar: two posts scheduled tomorrow and a failed one today.
    const done = await factories.content(t.pool, {
      topic: 'an index fund in a minute',
      niche_id: niche,
      production_status: 'complete',
    });
    // One post per account (a piece goes to an account once).
    let n = 0;
    const post = async (values: Record<string, unknown>) => {
      const account = await factories.account(t.pool, {
        niche_id: niche,
        username: `cal_acct_${++n}`,
        current_state: 'active',
      });
      return factories.distribution(t.pool, {
        content_id: done.id,
        account_id: account.id,
        caption: 'index funds',
        ...values,
      });
    };
    calendar = {
      scheduled: (await post({ scheduled_at: at(1, 15) })).id as string,
      other: (await post({ scheduled_at: at(1, 18) })).id as string,
      failed: (await post({ scheduled_at: at(0, 1), status: 'failed', attempts: 4 })).id as string,
    };
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  const card = () => dashboard.page.locator(`section.review-item[data-content="${review.content}"]`);

  it('a viewer reads the queue: the script, the checks and each post, with no control', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'viewer');
    await visit(dashboard, '/review');
    await card().waitFor();
    await card().getByText('Pay yourself first').waitFor();
    for (const { username } of review.posts) await card().getByText(username).first().waitFor();
    expect(await card().getByRole('button').count()).toBe(0);
    expect(await card().locator('textarea, input').count()).toBe(0);
    await atBothWidths(page, 'review', 'viewer');
    // The content's own page says it awaits review.
    await visit(dashboard, `/content/${review.content}`);
    await page.getByRole('heading', { level: 1 }).getByText('awaiting review').waitFor();
  });

  it('a reviewer approves two of three accounts, editing one caption; the third never gets it', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'reviewer');
    await visit(dashboard, '/review');
    await card().waitFor();
    const [first, , third] = review.posts;
    await card().getByLabel(`Caption for tiktok:${first!.username}`).fill('Three habits, edited by a person');
    await card().getByLabel(`Post to tiktok:${third!.username}`).uncheck();
    await atBothWidths(page, 'review', 'reviewer');
    await card().getByRole('button', { name: 'Approve for 2 of 3 accounts' }).click();
    await page.getByRole('status').filter({ hasText: 'for 2 account(s), not for 1' }).waitFor();
    await expect.poll(() => card().count()).toBe(0);

    const rows = (
      await t.pool.query<{ id: string; review: string; caption: string }>(
        'SELECT id, review, caption FROM distributions WHERE content_id = $1',
        [review.content],
      )
    ).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(first!.id)).toMatchObject({
      review: 'approved',
      caption: 'Three habits, edited by a person',
    });
    expect(byId.get(review.posts[1]!.id)).toMatchObject({
      review: 'approved',
      caption: 'Three money habits that work',
    });
    expect(byId.get(third!.id)).toMatchObject({ review: 'rejected' });
    // Publish jobs for the two approved posts only, each due at its slot.
    const queued = sink.publishJobs.map((j) => j.distributionId);
    expect(queued).toEqual(expect.arrayContaining([first!.id, review.posts[1]!.id]));
    expect(queued).not.toContain(third!.id);
    const audit = await t.pool.query(`SELECT action FROM audit_log WHERE target_id = $1`, [review.content]);
    expect(audit.rows.map((r) => r.action)).toContain('content.approve');
  });

  it('an operator reschedules, cancels and retries posts on the calendar', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'operator');
    await visit(dashboard, `/calendar?view=week&start=${dayKey(at(1, 0))}`);
    const entry = (id: string) => page.locator(`button.cal-entry[data-post="${id}"]`);
    await entry(calendar.scheduled).waitFor();
    await atBothWidths(page, 'calendar-week', 'operator');

    // Reschedule to the day after, at 16:30.
    await entry(calendar.scheduled).click();
    const target = new Date(at(2, 16).getTime() + 30 * 60_000);
    await page.locator('input[name=at]').fill(`${dayKey(target)}T16:30`);
    await page.locator('input[name=force]').check();
    await page.getByRole('button', { name: 'Reschedule' }).click();
    await page.getByRole('status').filter({ hasText: 'Moved to' }).waitFor();
    const moved = await t.pool.query('SELECT scheduled_at FROM distributions WHERE id = $1', [
      calendar.scheduled,
    ]);
    expect(new Date(moved.rows[0].scheduled_at).getTime()).toBe(target.getTime());

    // Cancel the other, asked first.
    await entry(calendar.other).click();
    await page.getByRole('button', { name: 'Cancel post' }).click();
    await page
      .getByRole('group', { name: 'Confirm: Cancel post' })
      .getByRole('button', { name: 'Cancel post' })
      .click();
    await page.getByRole('status').filter({ hasText: 'Post cancelled.' }).waitFor();
    const cancelled = await t.pool.query('SELECT cancelled_at, status FROM distributions WHERE id = $1', [
      calendar.other,
    ]);
    expect(cancelled.rows[0].cancelled_at).not.toBeNull();
    expect(cancelled.rows[0].status).toBe('pending');

    // Retry the failed one, for its account only.
    await visit(dashboard, `/calendar?view=month&start=${dayKey(new Date())}`);
    await entry(calendar.failed).click();
    const before = sink.publishJobs.length;
    await page.getByRole('button', { name: 'Retry for this account' }).click();
    await page.getByRole('status').filter({ hasText: 'only' }).waitFor();
    await expect
      .poll(() => sink.publishJobs.slice(before).map((j) => j.distributionId))
      .toEqual([calendar.failed]);
    await atBothWidths(page, 'calendar-month', 'operator');
    expect(dashboard.errors).toEqual([]);
  });

  it('a reviewer sees the calendar without the operator controls', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'reviewer');
    await visit(dashboard, `/calendar?view=week&start=${dayKey(at(2, 0))}`);
    await page.locator(`button.cal-entry[data-post="${calendar.scheduled}"]`).click();
    await page.getByRole('heading', { name: 'Post' }).waitFor();
    expect(await page.getByRole('button', { name: /Reschedule|Cancel post|Retry/ }).count()).toBe(0);
  });
});
