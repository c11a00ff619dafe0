// The analytics page in Chromium: the date range (a preset or custom days, in the URL) changes what every
// chart draws, today is drawn as partial with a note, the per-post table sorts on a header's click, two
// accounts share one chart, and a table's CSV download is the rows it shows. At phone width nothing scrolls
// sideways and the tables are cards. A viewer reads and downloads the same.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRollups } from '../../src/metrics/rollup-refresh.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import {
  atBothWidths,
  hasChromium,
  openDashboard,
  screenshot,
  signIn,
  signInWithRole,
  visit,
  type Dashboard,
} from './browser.ts';
import { seedFleet } from './seed.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dayAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

const figure = (title: string) => dashboard.page.locator(`figure[data-chart="${title}"]`);
const NICHE = 'Personal Finance: views and engagement per day';
const points = async (title: string) => Number(await figure(title).getAttribute('data-points'));

describe.skipIf(!hasChromium)('dashboard: analytics', () => {
  beforeAll(async () => {
    const { accounts, content } = await seedFleet(t.pool);
    // A second post in the niche, two days old, so that the posts table has something to sort.
    const post = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: accounts.warming.id,
      platform: 'instagram',
      status: 'posted',
      posted_at: new Date(Date.now() - 2 * DAY - HOUR),
    });
    for (const [ago, views] of [
      [2 * DAY, 5000],
      [DAY, 9000],
    ] as const) {
      await t.pool.query(
        `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, comments, shares)
         VALUES ($1, $2, $3, $4, 300, 20, 5)`,
        [new Date(Date.now() - ago), post.id, accounts.warming.id, views],
      );
    }
    await backfillRollups(t.pool, new Date(Date.now() - 3 * DAY), new Date(Date.now() + HOUR));
    dashboard = await openDashboard(t);
    await signIn(dashboard);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('marks today as partial, with axis titles, and the date range changes every chart', async () => {
    const { page } = dashboard;
    // Daily: whether this hour has data yet depends on the clock, whether today has does not.
    await visit(dashboard, '/analytics?niche=personal_finance&account=tiktok:finance_daily&grain=daily');
    await figure(NICHE).locator('canvas').waitFor();
    expect(await points(NICHE)).toBeGreaterThanOrEqual(10);
    // Today is still counting: drawn dashed, said so under the chart, never a fall.
    expect(await figure(NICHE).getAttribute('data-partial')).toBe('1');
    await figure(NICHE).locator('[data-partial-note]').getByText('Dashed: today so far').waitFor();
    expect(await figure(NICHE).locator('[data-axes]').textContent()).toBe(
      'x axis: day (UTC); y axis: gained per day (count); right axis: engagement rate (%)',
    );
    const account = 'tiktok:finance_daily: views and engagement, daily';
    await figure(account).locator('canvas').waitFor();
    expect(await figure(account).getAttribute('data-partial')).toBe('1');
    const days = await points(account);
    await screenshot(page, 'analytics-partial-admin-1280');

    await page.locator('select[name=range]').selectOption('7');
    await expect.poll(() => points(NICHE)).toBeLessThanOrEqual(7);
    await expect.poll(() => points(account)).toBeLessThan(days);
    expect(new URL(page.url()).searchParams.get('days')).toBe('7');

    // Custom days in the past: nothing there is partial.
    await page.locator('select[name=range]').selectOption('custom');
    await page.locator('input[name=from]').fill(dayAgo(11));
    await page.locator('input[name=to]').fill(dayAgo(9));
    await expect.poll(() => new URL(page.url()).searchParams.get('to')).toBe(dayAgo(9));
    expect(new URL(page.url()).searchParams.get('from')).toBe(dayAgo(11));
    await expect.poll(() => points(NICHE)).toBe(3);
    expect(await figure(NICHE).getAttribute('data-partial')).toBe('0');
    expect(await figure(NICHE).locator('[data-partial-note]').count()).toBe(0);
    await page.getByRole('heading', { name: `Posts, ${dayAgo(11)} to ${dayAgo(9)}` }).waitFor();
    await screenshot(page, 'analytics-range-admin-1280');
  });

  it('sorts the per-post table by a click on a column header', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/analytics?niche=personal_finance&days=30');
    const accounts = () =>
      page.locator('table[aria-label="Posts"] tbody td[data-col="account"]').allTextContents();
    // Newest first.
    await expect.poll(accounts).toEqual(['instagram:money_maya', 'tiktok:finance_daily']);
    const header = page.locator('table[aria-label="Posts"] thead');
    await header.getByRole('button', { name: 'Total views' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('sort')).toBe('views');
    await expect.poll(accounts).toEqual(['tiktok:finance_daily', 'instagram:money_maya']);
    expect(await header.locator('th[aria-sort=descending]').textContent()).toContain('Total views');
    await header.getByRole('button', { name: /Total views/ }).click();
    await expect.poll(accounts).toEqual(['instagram:money_maya', 'tiktok:finance_daily']);
    expect(await header.locator('th[aria-sort=ascending]').textContent()).toContain('Total views');
    await screenshot(page, 'analytics-posts-admin-1280');
  });

  it('compares two accounts on one chart', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/analytics?niche=personal_finance&days=30');
    const form = page.getByRole('form', { name: 'Compare' });
    await form
      .locator('select[name=compare-a] option', { hasText: 'tiktok:finance_daily' })
      .waitFor({ state: 'attached' });
    await form.locator('select[name=compare-a]').selectOption('tiktok:finance_daily');
    await form.locator('select[name=compare-b]').selectOption('instagram:money_maya');
    const chart = figure('tiktok:finance_daily and instagram:money_maya: views gained per day');
    await chart.locator('canvas').waitFor();
    expect(await points('tiktok:finance_daily and instagram:money_maya: views gained per day')).toBe(30);
    const legend = await chart.locator('.u-legend').textContent();
    expect(legend).toContain('tiktok:finance_daily: views gained');
    expect(legend).toContain('instagram:money_maya: views gained');
    await screenshot(page, 'analytics-compare-admin-1280');
  });

  it('downloads a table as CSV: the header and the rows it shows', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/analytics?niche=personal_finance&days=30&sort=views');
    await page.locator('table[aria-label="Posts"] tbody tr').first().waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV: posts' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^posts-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = fs
      .readFileSync(await download.path(), 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'postedAt,account,niche,topic,views,likes,comments,shares,engagementRate,platform,contentId,distributionId',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^[^,]+,tiktok:finance_daily,personal_finance,compound interest,\d+,/);
  });

  it('fits a phone: charts within the width, tables as cards, no sideways scroll', async () => {
    const { page } = dashboard;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await visit(dashboard, '/analytics?niche=personal_finance&account=tiktok:finance_daily&days=30');
      await figure(NICHE).locator('canvas').waitFor();
      await page.locator('table[aria-label="Posts"] tbody tr').first().waitFor();
      await page.locator('table[aria-label="Top content"] tbody tr').first().waitFor();
      expect(await page.evaluate<number>('document.scrollingElement.scrollWidth')).toBeLessThanOrEqual(390);
      const right = await page.evaluate<number>(
        `document.querySelector('figure[data-chart="${NICHE}"] canvas').getBoundingClientRect().right`,
      );
      expect(right).toBeGreaterThan(200);
      expect(right).toBeLessThanOrEqual(390);
      // A row is a card: each value on its own line after its label.
      const cell = `document.querySelector('table[aria-label="Posts"] tbody td[data-col="views"]')`;
      expect(await page.evaluate<string>(`getComputedStyle(${cell}).display`)).toBe('flex');
      expect(await page.evaluate<string>(`getComputedStyle(${cell}, '::before').content`)).toBe(
        '"Total views"',
      );
      await screenshot(page, 'analytics-page-admin-390');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('lets a viewer read every chart and download its data', async () => {
    const { page } = dashboard;
    await dashboard.context.clearCookies();
    await signIn(dashboard, dashboard.api.reader.secret);
    await visit(dashboard, '/analytics?niche=personal_finance&days=30');
    await figure(NICHE).locator('canvas').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV: Personal Finance per day' }).click(),
    ]);
    const text = fs.readFileSync(await download.path(), 'utf8');
    expect(text.split('\r\n')[0]).toMatch(/^day,partial,viewsGained,likesGained,/);
    expect(text).toContain(`${dayAgo(0)},true,`);
    await screenshot(page, 'analytics-page-viewer-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await visit(dashboard, '/analytics?niche=personal_finance&days=30');
      await figure(NICHE).locator('canvas').waitFor();
      expect(await page.evaluate<number>('document.scrollingElement.scrollWidth')).toBeLessThanOrEqual(390);
      await screenshot(page, 'analytics-page-viewer-390');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('shows a user limited to a niche only that niche, its accounts and its posts', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'reviewer', { niches: ['personal_finance'] });
    await visit(dashboard, '/analytics?days=30');
    await figure(NICHE).locator('canvas').waitFor();
    expect(await page.locator('select[name=niche] option').allTextContents()).toEqual(['Personal Finance']);
    await expect.poll(() => page.locator('select[name=account] option').count()).toBeGreaterThan(1);
    expect(await page.locator('select[name=account] option').allTextContents()).toEqual([
      'choose…',
      'tiktok:finance_daily',
      'instagram:money_maya',
    ]);
    // Another niche named in the URL is not there for them.
    await visit(dashboard, '/analytics?niche=true_crime&days=30');
    await page
      .getByText(/no niche "true_crime"/)
      .first()
      .waitFor();
    await atBothWidths(page, 'analytics-niche-limited', 'reviewer');
  });

  it('logged no script errors', () => {
    expect(dashboard.errors).toEqual([]);
  });
});
