// The Audit page in Chromium: a device edited over the API, its page's "history" link to the trail filtered
// on it, each changed field before → after, the filters in the URL, and the page at phone width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { hasChromium, openDashboard, screenshot, signIn, visit, type Dashboard } from './browser.ts';

const t = useTestDatabase();
let dashboard: Dashboard;

describe.skipIf(!hasChromium)('dashboard: the audit trail', () => {
  beforeAll(async () => {
    dashboard = await openDashboard(t);
    await signIn(dashboard);
  });
  afterAll(() => dashboard?.close());

  const entries = () => dashboard.page.locator('ul[aria-label="Audit trail"] > li');

  it('shows a device’s history, field by field, from the device page', async () => {
    const { api, page } = dashboard;
    const created = await api.call('POST', '/api/v1/devices', {
      name: 'web-audit-phone',
      udid: 'web-audit-1',
    });
    expect(created.statusCode, created.body).toBe(201);
    const edited = await api.call('PATCH', '/api/v1/devices/web-audit-phone', {
      model: 'iPhone 15',
      storageFreeGb: 42,
    });
    expect(edited.statusCode, edited.body).toBe(200);

    await visit(dashboard, `/devices/${created.json().id}`);
    await page.getByRole('link', { name: 'history' }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    expect(page.url()).toContain(`target=${created.json().id}`);
    await expect.poll(() => entries().count()).toBe(2);

    const update = entries().first();
    expect(await update.locator('.event-type').textContent()).toBe('device.update');
    expect(await update.textContent()).toContain(`by token:${api.admin.name}`);
    const model = update.locator('li[data-field=model]');
    expect(await model.locator('.audit-before').textContent()).toBe('–');
    expect(await model.locator('.audit-after').textContent()).toBe('iPhone 15');
    expect(await update.locator('li[data-field=storageFreeGb] .audit-after').textContent()).toBe('42');
    expect(await entries().nth(1).locator('.event-type').textContent()).toBe('device.create');
    await screenshot(page, 'audit-admin-1280');

    await page.setViewportSize({ width: 390, height: 844 });
    await visit(dashboard, `/audit?target=${created.json().id}`);
    await expect.poll(() => entries().count()).toBe(2);
    // Nothing needs a sideways scroll at phone width.
    expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'audit-admin-390');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(dashboard.errors).toEqual([]);
  });

  it('filters by action and by target name, keeping the filters in the URL', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/audit');
    // Typed once the page shows the trail, as a person would: while the dashboard still checks the session
    // (slow on a loaded database), the page is not there yet to keep what is typed.
    await expect.poll(() => entries().count()).toBeGreaterThan(0);
    await page.locator('input[name=action]').fill('device.update');
    await page.locator('input[name=action]').press('Enter');
    await expect.poll(() => page.url()).toContain('action=device.update');
    await expect.poll(() => entries().count()).toBe(1);

    await visit(dashboard, '/audit?target=web-audit-phone&action=device.create');
    await expect.poll(() => entries().count()).toBe(1);
    expect(await page.locator('input[name=target]').inputValue()).toBe('web-audit-phone');

    await visit(dashboard, '/audit?actor=token:nobody');
    await page.getByText('No changes match these filters.').waitFor();
  });
});
