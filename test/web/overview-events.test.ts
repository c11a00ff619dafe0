// The dashboard in Chromium: signing in with a token, the overview's charts drawn from the fleet's data,
// an event resolved with a note from the inbox, new events arriving in the live tail, and the layout at
// a phone's width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { hasChromium, openDashboard, screenshot, signIn, visit, type Dashboard } from './browser.ts';
import { seedFleet } from './seed.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
let fleet: Awaited<ReturnType<typeof seedFleet>>;

describe.skipIf(!hasChromium)('dashboard: sign-in, overview, events', () => {
  beforeAll(async () => {
    fleet = await seedFleet(t.pool);
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('asks for a token, refuses a wrong one, and signs in with a right one', async () => {
    const { page, url } = dashboard;
    await page.goto(`${url}/`);
    await page.getByRole('button', { name: 'Use an API token instead' }).click();
    await page.locator('input[name=token]').fill('sovi_not-a-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/invalid or revoked token/);
    await screenshot(page, 'sign-in');

    await signIn(dashboard);
    expect(await page.locator('.who').textContent()).toContain(dashboard.api.admin.name);
    // The cookie is HttpOnly: the page's script cannot read it.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('sovi_session');
  });

  it('draws the overview: fleet health, accounts by state, attention, the last day, views over time', async () => {
    const { page } = dashboard;
    const chart = (title: string) => page.locator(`figure[data-chart="${title}"]`);
    await chart('Accounts by state').locator('canvas').waitFor();
    await chart('Views gained per day').locator('canvas').waitFor();
    expect(Number(await chart('Accounts by state').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(Number(await chart('Views gained per day').getAttribute('data-points'))).toBeGreaterThanOrEqual(
      10,
    );

    const stat = (name: string) =>
      page.locator('.stat', { has: page.locator('.stat-label', { hasText: name }) });
    expect(await stat('active').first().locator('.stat-value').textContent()).toBe('1');
    expect(await stat('disconnected').locator('.stat-value').textContent()).toBe('1');
    expect(await stat('critical unresolved').locator('.stat-value').textContent()).toBe('1');
    expect(await stat('warming sessions').locator('.stat-value').textContent()).toBe('4');
    expect(await stat('posts published').locator('.stat-value').textContent()).toBe('1');
    await screenshot(page, 'overview');
  });

  it('resolves an event from the inbox with a note', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/events');
    const row = page.locator(`li[data-event-id="${fleet.events.batteryLow.id}"]`);
    await row.waitFor();
    // The resolved info event is not in the inbox.
    expect(await page.locator(`li[data-event-id="${fleet.events.done.id}"]`).count()).toBe(0);
    await screenshot(page, 'events');

    await row.locator('input[name=note]').fill('charged it and replaced the cable');
    await row.getByRole('button', { name: 'Resolve' }).click();
    await row.getByText(/resolved by human/).waitFor();

    const { rows } = await t.pool.query(
      'SELECT resolved, resolved_by, context FROM system_events WHERE id = $1',
      [fleet.events.batteryLow.id],
    );
    expect(rows[0]).toMatchObject({ resolved: true, resolved_by: 'human' });
    expect(rows[0].context.resolution).toEqual({
      note: 'charged it and replaced the cable',
      actor: `token:${dashboard.api.admin.name}`,
    });
  });

  it('filters the inbox by severity, and keeps the filter in the URL', async () => {
    const { page } = dashboard;
    await page.locator('select[name=severity]').selectOption('critical');
    await expect.poll(() => page.url()).toContain('severity=critical');
    await page.locator(`li[data-event-id="${fleet.events.banned.id}"]`).waitFor();
    await expect.poll(() => page.locator('ul[aria-label="Event inbox"] > li').count()).toBe(1);
  });

  it('shows new events in the live tail as they are recorded', async () => {
    const { page } = dashboard;
    await page.locator('#live-tail [data-state="live"]').waitFor();
    const event = await factories.event(t.pool, {
      category: 'device',
      severity: 'warning',
      event_type: 'storage_low',
      message: 'iphone-03: 1.1 GB free',
    });
    await page.locator(`ul[aria-label="Live events"] li[data-event-id="${event.id as string}"]`).waitFor();
    await screenshot(page, 'events-live');
  });

  it('fits a phone: the navigation folds into a menu', async () => {
    const { page } = dashboard;
    await page.setViewportSize({ width: 390, height: 844 });
    await visit(dashboard, '/');
    await page.locator('figure[data-chart="Accounts by state"] canvas').waitFor();
    expect(await page.locator('nav.sidebar').isVisible()).toBe(false);
    // Nothing is wider than the screen.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'overview-phone');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.locator('nav.sidebar').getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    await screenshot(page, 'accounts-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logged no script errors and no refusals by the content security policy', () => {
    expect(dashboard.errors).toEqual([]);
  });

  it('signs out: the API then refuses the cookie', async () => {
    const { page } = dashboard;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('input[name=password]').waitFor();
    const status = await page.evaluate<number>("fetch('/api/v1/session').then((r) => r.status)");
    expect(status).toBe(401);
  });
});
