// The content library, archiving, bulk event resolve and phone width in Chromium, per role: the library
// searches, filters, sorts and pages; the board's "and N more" opens the library on that column; content is
// created in a chosen format and archived; selected events are resolved at once with a note; a viewer sees
// none of the write controls; and at 390 px no page of content, events, overview, schedule or trends
// scrolls sideways (tables become card lists).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { recordEvent } from '../../src/events/events-service.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import {
  atBothWidths,
  hasChromium,
  openDashboard,
  screenshot,
  signInWithRole,
  visit,
  type Dashboard,
} from './browser.ts';
import { nicheIds, seedFleet } from './seed.ts';

const t = useTestDatabase();
let dashboard: Dashboard;

/** Today a read-only token is a viewer and a read-write one an admin (src/http/auth.ts: tokenRole). */

const libraryRows = (page: Page) => page.locator('table[aria-label="Content library"] tbody tr');
const libraryTopics = (page: Page) =>
  page.locator('table[aria-label="Content library"] tbody tr td:first-child a').allTextContents();

describe.skipIf(!hasChromium)('dashboard: content library, archive, bulk resolve, phone width', () => {
  let openEvents: number[];
  beforeAll(async () => {
    await seedFleet(t.pool);
    const niche = await nicheIds(t.pool);
    // 15 complete pieces: the board's column shows 12 and links to the library for the rest.
    for (let i = 0; i < 15; i++) {
      await factories.content(t.pool, {
        topic: `saving tip ${String(i + 1).padStart(2, '0')}`,
        niche_id: niche.personal_finance,
        content_format: 'faceless',
        production_status: 'complete',
        created_at: new Date(Date.UTC(2026, 10, 1 + i, 12)).toISOString(),
        quality_score: 0.8,
      });
    }
    await factories.content(t.pool, {
      topic: 'the reddit story of a stolen lunch',
      niche_id: niche.motivation,
      content_format: 'reddit_story',
      production_status: 'failed',
      created_at: '2026-11-20T12:00:00Z',
      script_json: JSON.stringify({ title: 'Lunch thief', narration: 'A coworker kept eating my sandwich.' }),
    });
    // 55 failed pieces in one niche: more than the library's page of 50.
    for (let i = 0; i < 55; i++) {
      await factories.content(t.pool, {
        topic: `crime file ${String(i + 1).padStart(2, '0')}`,
        niche_id: niche.true_crime,
        content_format: 'faceless',
        production_status: 'failed',
        created_at: new Date(Date.UTC(2026, 9, 1, i)).toISOString(),
      });
    }
    openEvents = [];
    for (const [type, message] of [
      ['storage_low', 'iphone-01: 1.2 GB free'],
      ['storage_low', 'iphone-02: 0.9 GB free'],
      ['wda_unreachable', 'iphone-03: no answer on 8100'],
    ] as const) {
      const event = await recordEvent(t.db, {
        category: 'device',
        severity: 'warning',
        eventType: type,
        message,
      });
      openEvents.push(event.id);
    }
    dashboard = await openDashboard(t);
  });
  afterAll(() => dashboard?.close());

  it('admin: the board’s "and N more" opens the library on that column', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'admin');
    await visit(dashboard, '/content');
    const complete = page.locator('section.column[data-status="complete"]');
    await complete.locator('a.tile').first().waitFor();
    await complete.getByRole('link', { name: 'and 4 more' }).click();
    await expect.poll(() => page.url()).toContain('view=library');
    expect(page.url()).toContain('status=complete');
    await expect.poll(() => libraryRows(page).count()).toBe(16);
    expect(await page.locator('select[name=status]').inputValue()).toBe('complete');
  });

  it('admin: the library searches, filters, sorts and pages', async () => {
    const { page } = dashboard;
    const filters = page.getByRole('form', { name: 'Library filters' });
    // Pages of 50: "Show more" appends the next page, in order.
    await visit(dashboard, '/content?view=library&niche=true_crime&sort=az');
    await expect.poll(() => libraryRows(page).count()).toBe(50);
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => libraryRows(page).count()).toBe(55);
    expect((await libraryTopics(page)).at(-1)).toBe('crime file 55');
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    await visit(dashboard, '/content?view=library&niche=personal_finance');
    await expect.poll(() => libraryRows(page).count()).toBe(16);
    await visit(dashboard, '/content?view=library');
    // Search reaches the script's narration, not only the topic.
    await filters.locator('input[name=q]').fill('sandwich');
    await filters.locator('input[name=q]').press('Enter');
    await expect.poll(() => libraryTopics(page)).toEqual(['the reddit story of a stolen lunch']);
    await filters.locator('input[name=q]').fill('');
    await filters.locator('input[name=q]').press('Enter');
    await filters.locator('select[name=format]').selectOption('reddit_story');
    await expect.poll(() => libraryRows(page).count()).toBe(1);
    await filters.locator('select[name=format]').selectOption('');
    await filters.locator('select[name=niche]').selectOption('personal_finance');
    await filters.locator('input[name=since]').fill('2026-11-10');
    await filters.locator('input[name=since]').dispatchEvent('change');
    await filters.locator('input[name=until]').fill('2026-11-12');
    await filters.locator('input[name=until]').dispatchEvent('change');
    await expect.poll(() => libraryTopics(page)).toEqual(['saving tip 12', 'saving tip 11', 'saving tip 10']);
    await filters.locator('select[name=sort]').selectOption('az');
    await expect.poll(() => libraryTopics(page)).toEqual(['saving tip 10', 'saving tip 11', 'saving tip 12']);
    expect(page.url()).toContain('sort=az');
    await visit(dashboard, '/content?view=library&niche=personal_finance&sort=oldest');
    await expect.poll(() => libraryTopics(page).then((l) => l.at(0))).toBe('saving tip 01');
    await atBothWidths(page, 'content-library', 'admin');
  });

  it('admin: creates content in a chosen format', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/content');
    const form = page.getByRole('form', { name: 'New content' });
    await form.locator('input[name=topic]').fill('a story told in reddit style');
    await form.locator('select[name=niche]').selectOption('motivation');
    await form.locator('select[name=format]').selectOption('reddit_story');
    await form.getByRole('button', { name: 'Create and produce' }).click();
    await page.getByRole('heading', { name: /a story told in reddit style/, level: 1 }).waitFor();
    const { rows } = await t.pool.query(`SELECT content_format FROM content WHERE topic = $1`, [
      'a story told in reddit style',
    ]);
    expect(rows).toEqual([{ content_format: 'reddit_story' }]);
    await atBothWidths(page, 'content-create', 'admin');
  });

  it('admin: archives finished content out of the library, and finds it under archived', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/content?view=library&q=stolen%20lunch');
    await expect.poll(() => libraryRows(page).count()).toBe(1);
    await libraryRows(page).first().getByRole('button', { name: 'Archive' }).click();
    await libraryRows(page).first().getByRole('button', { name: 'Restore' }).waitFor();
    const { rows } = await t.pool.query(`SELECT archived_at FROM content WHERE topic LIKE '%stolen lunch'`);
    expect(rows[0].archived_at).not.toBeNull();
    await visit(dashboard, '/content?view=library&q=stolen%20lunch');
    await page.getByText('No content matches these filters.').waitFor();
    await page.locator('input[name=archived]').check();
    await expect.poll(() => libraryRows(page).count()).toBe(1);
    await atBothWidths(page, 'content-archive', 'admin');
  });

  it('admin: resolves selected events at once, with a note', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/events');
    // Category and type are choices from what is present, not free text.
    await page.locator('select[name=category]').selectOption('device');
    await expect
      .poll(() => page.locator('select[name=type] option').allTextContents())
      .toEqual(expect.arrayContaining(['storage low', 'wda unreachable']));
    await page.locator('select[name=type]').selectOption('storage_low');
    await expect.poll(() => page.url()).toContain('type=storage_low');
    const inbox = page.locator('ul[aria-label="Event inbox"]');
    await inbox.locator(`li[data-event-id="${openEvents[0]}"]`).waitFor();
    await page.locator('input[name=select-all]').check();
    const bulk = page.getByRole('form', { name: 'Resolve selected events' });
    await bulk.locator('input[name=bulk-note]').fill('freed space on both phones');
    await bulk.getByRole('button', { name: 'Resolve 2 selected' }).click();
    await page.getByRole('status').filter({ hasText: 'Resolved 2 events.' }).waitFor();
    const { rows } = await t.pool.query(
      `SELECT id, resolved, context->'resolution'->>'note' AS note FROM system_events WHERE id = ANY($1) ORDER BY id`,
      [openEvents],
    );
    expect(rows.map((r) => [r.resolved, r.note])).toEqual([
      [true, 'freed space on both phones'],
      [true, 'freed space on both phones'],
      [false, null],
    ]);
    await atBothWidths(page, 'events-bulk-resolve', 'admin');
  });

  it('reviewer: resolves events, and changes no content', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'reviewer');
    await visit(dashboard, '/content?view=library');
    await expect.poll(() => libraryRows(page).count()).toBeGreaterThan(0);
    expect(await page.getByRole('form', { name: 'New content' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Archive|Restore)$/ }).count()).toBe(0);

    await visit(dashboard, '/events');
    await page.locator('li[data-event-id]').first().waitFor();
    expect(await page.locator('input[name=select-all], input[name=select]').count()).toBeGreaterThan(0);
    await atBothWidths(page, 'events', 'reviewer');
  });

  it('operator: creates and archives content, and resolves events', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'operator');
    await visit(dashboard, '/content');
    await page.getByRole('form', { name: 'New content' }).waitFor();
    // The piece archived by the admin above can be restored by an operator.
    await visit(dashboard, '/content?view=library&archived=1&q=stolen%20lunch');
    await expect.poll(() => libraryRows(page).count()).toBe(1);
    await libraryRows(page).first().getByRole('button', { name: 'Restore' }).click();
    await libraryRows(page).first().getByRole('button', { name: 'Archive' }).waitFor();
    const { rows } = await t.pool.query(`SELECT archived_at FROM content WHERE topic LIKE '%stolen lunch'`);
    expect(rows[0].archived_at).toBeNull();
    await atBothWidths(page, 'content-library', 'operator');

    await visit(dashboard, '/events');
    await page.locator('li[data-event-id]').first().waitFor();
    expect(await page.locator('input[name=select-all], input[name=select]').count()).toBeGreaterThan(0);
    await atBothWidths(page, 'events', 'operator');
  });

  it('viewer: sees the library and the events, and no write control', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'viewer');
    await visit(dashboard, '/content?view=library');
    await expect.poll(() => libraryRows(page).count()).toBeGreaterThan(0);
    expect(await page.getByRole('form', { name: 'New content' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Archive|Restore)$/ }).count()).toBe(0);
    await atBothWidths(page, 'content-library', 'viewer');

    await visit(dashboard, '/content');
    await page.locator('section.column[data-status="complete"] a.tile').first().waitFor();
    expect(await page.getByRole('form', { name: 'New content' }).count()).toBe(0);
    await atBothWidths(page, 'content-board', 'viewer');

    await page.locator('section.column[data-status="complete"] a.tile').first().click();
    await page.locator('.crumbs').waitFor();
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: /Archive|Retry|Queue/ }).count()).toBe(0);

    await visit(dashboard, '/events');
    await page.locator(`li[data-event-id="${openEvents[2]}"]`).waitFor();
    expect(await page.locator('input[name=select-all], input[name=select]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resolve' }).count()).toBe(0);
    await atBothWidths(page, 'events', 'viewer');

    await visit(dashboard, '/trends');
    await page.getByRole('heading', { name: 'Trends', level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'Create content' }).count()).toBe(0);
  });

  for (const role of ['admin', 'viewer'] as const) {
    it(`${role}: no page of content, events, overview, schedule or trends scrolls sideways at 390 px`, async () => {
      const { page } = dashboard;
      await signInWithRole(dashboard, t.db, role);
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const [path, heading, flow] of [
          ['/', 'Overview', 'overview'],
          ['/content', 'Content', 'content-board'],
          ['/content?view=library', 'Content', 'content-library'],
          ['/events', 'Events', 'events'],
          ['/schedule', 'Schedule', 'schedule'],
          ['/trends', 'Trends', 'trends'],
        ] as const) {
          await visit(dashboard, path);
          await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
          await page.waitForLoadState('networkidle');
          const width = await page.evaluate<number>('document.scrollingElement.scrollWidth');
          expect(width, `${path} is ${width} px wide`).toBeLessThanOrEqual(390);
          await screenshot(page, `${flow}-${role}-390`);
        }
        // A content piece's page too (its tables become card lists).
        await visit(dashboard, '/content');
        await page.locator('section.column[data-status="complete"] a.tile').first().click();
        await page.locator('.crumbs').waitFor();
        await page.waitForLoadState('networkidle');
        expect(await page.evaluate<number>('document.scrollingElement.scrollWidth')).toBeLessThanOrEqual(390);
        await screenshot(page, `content-item-${role}-390`);
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });
  }

  it('logged no script errors and no refusals by the content security policy', () => {
    expect(dashboard.errors.join('\n')).toBe('');
  });
});
