// Accounts and devices in Chromium: the account list's filters, an account page with its warming progress,
// followers chart and state timeline, a state change with a reason (and a refused one), and the fleet table
// with battery and storage (low as the server's configured thresholds say) down to one phone's page.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiDeps } from '../../src/http/api-deps.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { configWithHome } from '../http/domain-app.ts';
import { hasChromium, openDashboard, screenshot, signIn, visit, type Dashboard } from './browser.ts';
import { seedFleet } from './seed.ts';

// The server is configured with thresholds other than the defaults (20 %, 2 GB).
const extra = vi.hoisted((): { deps: Partial<ApiDeps> } => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('../http/domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
let dashboard: Dashboard;
let fleet: Awaited<ReturnType<typeof seedFleet>>;
let home: string;

describe.skipIf(!hasChromium)('dashboard: accounts and devices', () => {
  beforeAll(async () => {
    const configured = await configWithHome({ SOVI_BATTERY_LOW_PERCENT: '60', SOVI_STORAGE_LOW_GB: '25' });
    home = configured.home;
    extra.deps = { config: configured.config };
    fleet = await seedFleet(t.pool);
    dashboard = await openDashboard(t);
    await signIn(dashboard);
  });
  afterAll(async () => {
    await dashboard?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const rows = () => dashboard.page.locator('table[aria-label="Accounts"] tbody tr');

  it('lists accounts and filters them by platform, state and niche', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/accounts');
    await expect.poll(() => rows().count()).toBe(6);
    await screenshot(page, 'accounts');

    await page.locator('select[name=platform]').selectOption('instagram');
    await expect.poll(() => rows().count()).toBe(2);
    await page.locator('select[name=niche]').selectOption('personal_finance');
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().textContent()).toContain('money_maya');
    expect(page.url()).toMatch(/platform=instagram/);

    // A filtered URL loads as it is (the server answers every dashboard path with the page).
    await visit(dashboard, '/accounts?state=cooldown');
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().textContent()).toContain('crime_clips');
    expect(await page.locator('select[name=state]').inputValue()).toBe('cooldown');
  });

  it('shows an account: warming progress, followers over time, sessions and posts', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/accounts');
    await page.getByRole('link', { name: 'finance_daily' }).click();
    await page.getByRole('heading', { name: /finance_daily/, level: 1 }).waitFor();
    const followers = page.locator('figure[data-chart="Followers over time"]');
    await followers.locator('canvas').waitFor();
    expect(Number(await followers.getAttribute('data-points'))).toBe(34);
    expect(await page.getByTestId('warming-progress').textContent()).toContain('active · day 14: warmed up');
    await expect.poll(() => page.locator('table[aria-label="Warming sessions"] tbody tr').count()).toBe(4);
    expect(await page.locator('table[aria-label="Distributions"] tbody tr').count()).toBe(1);

    await visit(dashboard, `/accounts/${fleet.accounts.warming.id}`);
    await page.getByTestId('warming-progress').getByText('phase 2 · day 5 of 14').waitFor();
  });

  it('changes an account’s state with a reason, shown in its timeline', async () => {
    const { page } = dashboard;
    await visit(dashboard, `/accounts/${fleet.accounts.finance.id}`);
    const form = page.getByRole('form', { name: 'Change state' });
    await form.locator('select[name=state]').waitFor();
    // Only the lifecycle's next states are offered.
    const offered = await form.locator('select[name=state] option:not([disabled])').allTextContents();
    expect(offered).toEqual([
      'resting',
      'cooldown',
      'flagged',
      'restricted',
      'shadowbanned',
      'suspended',
      'banned',
    ]);
    await form.locator('select[name=state]').selectOption('resting');
    await form.locator('textarea[name=reason]').fill('a week off after the summer campaign');
    await form.getByRole('button', { name: 'Change state' }).click();

    const timeline = page.getByRole('list', { name: 'State timeline' });
    await timeline.getByText('a week off after the summer campaign').waitFor();
    expect(await page.locator('h1 .badge').textContent()).toBe('resting');
    await screenshot(page, 'account');

    const { rows: events } = await t.pool.query(
      `SELECT context FROM system_events WHERE account_id = $1 AND event_type = 'state_changed'`,
      [fleet.accounts.finance.id],
    );
    expect(events).toHaveLength(1);
    expect(events[0].context).toMatchObject({
      from: 'active',
      to: 'resting',
      reason: 'a week off after the summer campaign',
      actor: `token:${dashboard.api.admin.name}`,
    });
  });

  it('refuses a change made from a state the account has already left, and says what is allowed', async () => {
    const { page } = dashboard;
    await visit(dashboard, `/accounts/${fleet.accounts.warming.id}`);
    const form = page.getByRole('form', { name: 'Change state' });
    await form.locator('select[name=state]').selectOption('warming_p3');
    // Meanwhile, someone else sends it to cooldown.
    await t.pool.query(`UPDATE accounts SET current_state = 'cooldown' WHERE id = $1`, [
      fleet.accounts.warming.id,
    ]);
    await form.locator('textarea[name=reason]').fill('phase 2 done');
    await form.getByRole('button', { name: 'Change state' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/cooldown/);
    const { rows: account } = await t.pool.query('SELECT current_state FROM accounts WHERE id = $1', [
      fleet.accounts.warming.id,
    ]);
    expect(account[0].current_state).toBe('cooldown');
  });

  it('shows the fleet with battery and storage bars, and a phone’s page with its history', async () => {
    const { page } = dashboard;
    // A reading grown too old: unknown, with when it was last read and why it cannot be read now.
    const stalePhone = await factories.device(t.pool, {
      name: 'iphone-04',
      udid: 'udid-iphone-04',
      status: 'active',
      battery_level: null,
      battery_read_at: new Date(Date.now() - 3 * 3_600_000),
      battery_unknown_reason: 'WDA has no session, so the battery cannot be read',
    });
    await visit(dashboard, '/devices');
    const table = page.locator('table[aria-label="Devices"]');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(4);
    // The age of each reading; an old one is unknown, saying when it was read and why not now.
    expect(await table.locator('tbody tr', { hasText: 'iphone-01' }).textContent()).toMatch(
      /82%\s*\d+ (s|min) ago/,
    );
    const stale = table.locator('tbody tr', { hasText: 'iphone-04' });
    expect(await stale.textContent()).toContain('unknown (last read 3 h ago)');
    expect(await stale.locator('[title*="not read now: WDA has no session"]').count()).toBe(1);
    await t.pool.query('DELETE FROM devices WHERE id = $1', [stalePhone.id]);
    const flat = table.locator('tbody tr', { hasText: 'iphone-02' });
    expect(await flat.locator('[aria-label="battery"]').getAttribute('aria-valuenow')).toBe('12');
    expect(await flat.locator('[aria-label="battery"] .meter-fill').getAttribute('class')).toContain(
      'tone-bad',
    );
    expect(await flat.locator('[aria-label="free storage"]').textContent()).toContain('1.2 GB free');
    // iphone-03 (55 %, 20 GB free) is fine by the defaults, and low by the configured 60 % and 25 GB.
    const resting = table.locator('tbody tr', { hasText: 'iphone-03' });
    expect(await resting.locator('[aria-label="battery"] .meter-fill').getAttribute('class')).toContain(
      'tone-bad',
    );
    expect(await resting.locator('[aria-label="free storage"] .meter-fill').getAttribute('class')).toContain(
      'tone-bad',
    );
    await screenshot(page, 'devices');

    await table.getByRole('link', { name: 'iphone-01' }).click();
    await page.getByRole('heading', { name: /iphone-01/, level: 1 }).waitFor();
    await expect.poll(() => page.locator('table[aria-label="Warming sessions"] tbody tr').count()).toBe(4);
    expect(await page.getByRole('region', { name: 'Accounts (2)' }).textContent()).toContain('finance_daily');
    // iphone-01 (82 %, 41.5 GB free) is above both thresholds.
    expect(await page.locator('[aria-label="battery"] .meter-fill').getAttribute('class')).not.toContain(
      'tone-bad',
    );
    await screenshot(page, 'device');

    await visit(dashboard, `/devices/${fleet.devices.resting.id}`);
    await page.getByRole('heading', { name: /iphone-03/, level: 1 }).waitFor();
    expect(await page.locator('[aria-label="free storage"] .meter-fill').getAttribute('class')).toContain(
      'tone-bad',
    );

    await visit(dashboard, `/devices/${fleet.devices.flat.id}`);
    await page.getByText('iphone-02 stopped answering WebDriverAgent').waitFor();
  });

  it('logged no script errors', () => {
    expect(dashboard.errors).toEqual([]);
  });
});
