// The dashboard's Schedule page in Chromium: the next accounts due, each device's queue, recent sessions,
// and a session that starts and completes arriving through the live stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { hasChromium, openDashboard, screenshot, signIn, type Dashboard } from './browser.ts';
import { seedFleet } from './seed.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
let fleet: Awaited<ReturnType<typeof seedFleet>>;

describe.skipIf(!hasChromium)('dashboard: the schedule', () => {
  beforeAll(async () => {
    fleet = await seedFleet(t.pool);
    // money_maya is queued on iphone-01.
    await t.pool.query(
      `INSERT INTO warming_queue (session_key, account_id, device_id, host) VALUES (gen_random_uuid(), $1, $2, 'local')`,
      [fleet.accounts.warming.id, fleet.devices.healthy.id],
    );
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('shows the next accounts due, the device queues and recent sessions, kept live', async () => {
    const { page } = dashboard;
    await signIn(dashboard);
    await page.locator('nav.sidebar').getByRole('link', { name: 'Schedule' }).click();
    await page.getByRole('heading', { name: 'Schedule', level: 1 }).waitFor();

    const due = page.locator('table[aria-label="Next accounts due"]');
    await due.getByRole('link', { name: 'money_maya' }).waitFor();
    expect(await due.locator('tr', { hasText: 'money_maya' }).textContent()).toContain('yes');
    await due.getByRole('link', { name: 'story_bot' }).waitFor();

    const queues = page.locator('table[aria-label="Device queues"]');
    const healthy = queues.locator('tr', { hasText: 'iphone-01' });
    await healthy.waitFor();
    expect(await healthy.locator('td.num').first().textContent()).toBe('1');

    const recent = page.locator('table[aria-label="Recent sessions"]');
    await expect.poll(() => recent.locator('tbody tr').count()).toBe(4);
    expect(await recent.locator('tbody').textContent()).toContain('login failed');

    // A session starts, then completes: the stream brings both without a reload.
    await page.locator('[data-state="live"]').waitFor();
    const session = await factories.warmingSession(t.pool, {
      account_id: fleet.accounts.warming.id,
      device_id: fleet.devices.healthy.id,
      platform: 'instagram',
      warming_phase: 2,
      warming_day: 5,
      started_at: new Date(),
    });
    const row = recent.locator(`tr[data-session-id="${session.id as string}"]`);
    await row.getByText('running').waitFor();
    await t.pool.query(
      `UPDATE warming_progress SET completed_at = now(), session_data = '{"outcome":"success"}' WHERE id = $1`,
      [session.id],
    );
    await row.getByText('success').waitFor();
    expect(await recent.locator('tbody tr').first().getAttribute('data-session-id')).toBe(session.id);
    await screenshot(page, 'schedule');
  });

  it('logged no script errors and no refusals by the content security policy', () => {
    expect(dashboard.errors).toEqual([]);
  });
});
