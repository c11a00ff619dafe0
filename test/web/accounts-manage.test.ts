// Managing accounts in Chromium, as each role: an admin adds an account with secrets (never shown back),
// uploads a CSV whose bad lines are all listed by number with nothing written, imports a clean one, changes
// the state of a selection with one refusal, moves a selection to a phone, edits, deletes and restores an
// account, and reveals its secrets and TOTP code (audited, hidden again); a viewer sees no write control.
// Every flow is shot at 1280 px and 390 px, where nothing may need a sideways scroll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canary, canaryTotpSecret } from '../helpers/canary.ts';
import { useTestDatabase } from '../helpers/database.ts';
import {
  atBothWidths,
  signInWithRole,
  hasChromium,
  openDashboard,
  visit,
  type Dashboard,
} from './browser.ts';
import { seedFleet } from './seed.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
let fleet: Awaited<ReturnType<typeof seedFleet>>;

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.pool.query(sql, params)).rows[0].n);
const rows = () => dashboard.page.locator('table[aria-label="Accounts"] tbody tr');
const row = (username: string) => rows().filter({ hasText: username });

describe.skipIf(!hasChromium)('dashboard: managing accounts', () => {
  beforeAll(async () => {
    fleet = await seedFleet(t.pool);
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  // A reviewer approves content and resolves events: on the accounts pages they are a viewer.
  describe.each(['viewer', 'reviewer'] as const)('as a %s', (role) => {
    it('shows accounts with no write control at all', async () => {
      const { page } = dashboard;
      await signInWithRole(dashboard, t.db, role);
      await visit(dashboard, '/accounts');
      await expect.poll(() => rows().count()).toBe(6);
      expect(await page.getByRole('button', { name: 'Add account' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Import CSV' }).count()).toBe(0);
      expect(await page.locator('table[aria-label="Accounts"] input[type=checkbox]').count()).toBe(0);
      // Posts recorded without the account row being told still count as its last post.
      expect(await row('finance_daily').locator('td[data-label="Last post"]').textContent()).toBe('12 d ago');
      await atBothWidths(dashboard.page, 'accounts-list', role);

      await visit(dashboard, `/accounts/${fleet.accounts.finance.id}`);
      await page.getByRole('heading', { name: /finance_daily/, level: 1 }).waitFor();
      await page.locator('table[aria-label="Distributions"]').waitFor();
      for (const name of ['Change state', 'Edit', 'Secrets', 'Delete']) {
        expect(await page.getByRole('region', { name, exact: true }).count(), name).toBe(0);
      }
      expect(await page.locator('main button, main form').count()).toBe(0);
      // The account's post links by its caption, not by the word "content".
      await page.getByRole('link', { name: 'Compound interest, explained in 30 seconds' }).waitFor();
      await atBothWidths(dashboard.page, 'account', role);
    });
  });

  describe('as an operator', () => {
    it('edits and changes state, and cannot reveal secrets or TOTP codes', async () => {
      const { page } = dashboard;
      await signInWithRole(dashboard, t.db, 'operator');
      await visit(dashboard, '/accounts');
      await expect.poll(() => rows().count()).toBe(6);
      await page.getByRole('button', { name: 'Add account' }).waitFor();
      await visit(dashboard, `/accounts/${fleet.accounts.finance.id}`);
      await page.getByRole('heading', { name: /finance_daily/, level: 1 }).waitFor();
      for (const name of ['Change state', 'Edit', 'Delete']) {
        expect(await page.getByRole('region', { name, exact: true }).count(), name).toBe(1);
      }
      expect(await page.getByRole('region', { name: 'Secrets', exact: true }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /Reveal secrets|Show TOTP code/ }).count()).toBe(0);
      await atBothWidths(dashboard.page, 'account', 'operator');
    });
  });

  describe('as an admin', () => {
    beforeAll(async () => {
      await signInWithRole(dashboard, t.db, 'admin');
    });

    const password = canary('password');
    const totp = canaryTotpSecret();

    it('adds an account with secrets that are never shown back', async () => {
      const { page } = dashboard;
      await visit(dashboard, '/accounts');
      await page.getByRole('button', { name: 'Add account' }).click();
      const form = page.getByRole('form', { name: 'Add an account' });
      await form.locator('select[name=platform]').selectOption('tiktok');
      await form.locator('input[name=username]').fill('ui_added');
      await form.locator('select[name=niche]').selectOption('motivation');
      await form.locator('select[name=device]').selectOption(fleet.devices.healthy.id);
      await form.locator('input[name=password]').fill(password);
      await form.locator('input[name=totp_secret]').fill(totp);
      await atBothWidths(dashboard.page, 'accounts-add', 'admin');
      await form.getByRole('button', { name: 'Add account' }).click();
      await page.getByRole('status').getByText('Added tiktok:ui_added.').waitFor();
      await row('ui_added').waitFor();
      const html = await page.content();
      expect(html).not.toContain(password);
      expect(html).not.toContain(totp);
      const { rows: stored } = await t.pool.query(
        "SELECT password_enc IS NOT NULL AS sealed FROM accounts WHERE username = 'ui_added'",
      );
      expect(stored).toEqual([{ sealed: true }]);
    });

    it('lists every bad line of a CSV by number and writes nothing, then imports a clean file', async () => {
      const { page } = dashboard;
      await visit(dashboard, '/accounts');
      await page.getByRole('button', { name: 'Import CSV' }).click();
      const form = page.getByRole('form', { name: 'Import accounts from CSV' });
      const bad = [
        'platform,username,niche,state',
        'tiktok,csv_good_one,motivation,created',
        'myspace,csv_bad_platform,,created',
        'tiktok,csv_good_two,no_such_niche,created',
        'tiktok,csv good,,sleeping',
      ].join('\n');
      await form
        .locator('input[name=csv]')
        .setInputFiles({ name: 'team.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
      const problems = page.locator('table[aria-label="Import problems"] tbody tr');
      await expect.poll(() => problems.count()).toBe(4);
      const lines = await problems.locator('td[data-label="Line"]').allTextContents();
      expect(lines).toEqual(['3', '4', '5', '5']);
      expect(await problems.locator('td[data-label="Field"]').allTextContents()).toEqual([
        'platform',
        'niche',
        'username',
        'state',
      ]);
      expect(await page.getByRole('button', { name: /^Import \d/ }).count()).toBe(0);
      expect(await count("SELECT count(*) AS n FROM accounts WHERE username LIKE 'csv_%'")).toBe(0);
      await atBothWidths(dashboard.page, 'accounts-import-bad', 'admin');

      const good = 'platform,username,state\ntiktok,csv_one,created\ninstagram,csv_two,active\n';
      await form
        .locator('input[name=csv]')
        .setInputFiles({ name: 'clean.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
      await page.getByRole('button', { name: 'Import 2 account(s)' }).click();
      await page.getByRole('status').getByText('Imported 2 account(s).').waitFor();
      await row('csv_two').waitFor();
      expect(await count("SELECT count(*) AS n FROM accounts WHERE username LIKE 'csv_%'")).toBe(2);
    });

    it('changes the state of selected accounts, showing the one the lifecycle refuses', async () => {
      const { page } = dashboard;
      await visit(dashboard, '/accounts');
      // ai_tools_now is active (it may rest); story_bot was only created (it may not).
      await page.getByRole('checkbox', { name: 'Select instagram:ai_tools_now' }).check();
      await page.getByRole('checkbox', { name: 'Select tiktok:story_bot' }).check();
      const bulk = page.getByRole('region', { name: 'Selected accounts' });
      await bulk.getByText('2 account(s) selected').waitFor();
      await bulk.locator('select[name=bulk-state]').selectOption('resting');
      await bulk.locator('input[name=bulk-reason]').fill('a quiet week');
      await bulk.getByRole('button', { name: 'Change state' }).click();
      const outcome = page.getByRole('status', { name: 'Bulk result' });
      await outcome.getByText('State → resting: 1 changed, 1 refused:').waitFor();
      expect(await outcome.locator('.refusals li').textContent()).toMatch(
        /^tiktok:story_bot: an account cannot go from created to resting; from created it can go to: warming_p1/,
      );
      await expect.poll(() => row('ai_tools_now').getByText('resting').count()).toBe(1);
      await atBothWidths(dashboard.page, 'accounts-bulk-state', 'admin');
      const { rows: states } = await t.pool.query(
        "SELECT username, current_state FROM accounts WHERE username IN ('ai_tools_now', 'story_bot') ORDER BY username",
      );
      expect(states).toEqual([
        { username: 'ai_tools_now', current_state: 'resting' },
        { username: 'story_bot', current_state: 'created' },
      ]);
    });

    it('moves selected accounts to another phone', async () => {
      const { page } = dashboard;
      await visit(dashboard, '/accounts');
      await page.getByRole('checkbox', { name: 'Select tiktok:csv_one' }).check();
      await page.getByRole('checkbox', { name: 'Select instagram:csv_two' }).check();
      const bulk = page.getByRole('region', { name: 'Selected accounts' });
      await bulk.locator('select[name=bulk-device]').selectOption({ label: 'iphone-03' });
      await bulk.getByRole('button', { name: 'Move' }).click();
      await page
        .getByRole('status', { name: 'Bulk result' })
        .getByText('Moved to iphone-03: 2 changed.')
        .waitFor();
      await expect
        .poll(() => row('csv_one').locator('td[data-label="Device"]').textContent())
        .toBe('iphone-03');
      await atBothWidths(dashboard.page, 'accounts-bulk-move', 'admin');
      expect(
        await count("SELECT count(*) AS n FROM accounts WHERE username LIKE 'csv_%' AND device_id = $1", [
          fleet.devices.resting.id,
        ]),
      ).toBe(2);
    });

    it('edits an account’s niche, device and bio', async () => {
      const { page } = dashboard;
      await visit(dashboard, '/accounts');
      await page.getByRole('link', { name: 'csv_one' }).click();
      const form = page.getByRole('form', { name: 'Edit account' });
      await form.locator('select[name=niche]').selectOption('true_crime');
      await form.locator('select[name=device]').selectOption('');
      await form.locator('textarea[name=bio]').fill('Daily true crime in 60 seconds');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.getByText('Saved.').waitFor();
      await atBothWidths(dashboard.page, 'account-edit', 'admin');
      const { rows: edited } = await t.pool.query(
        "SELECT n.slug, a.device_id, a.bio FROM accounts a JOIN niches n ON n.id = a.niche_id WHERE a.username = 'csv_one'",
      );
      expect(edited).toEqual([
        { slug: 'true_crime', device_id: null, bio: 'Daily true crime in 60 seconds' },
      ]);
    });

    it('deletes an account and restores it', async () => {
      const { page } = dashboard;
      await visit(dashboard, '/accounts');
      await page.getByRole('link', { name: 'csv_two' }).click();
      await page.getByRole('button', { name: 'Delete account…' }).click();
      const form = page.getByRole('form', { name: 'Delete account' });
      await form.locator('input[name=delete-reason]').fill('duplicate of another');
      await form.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByText(/^Deleted .* ago\.$/).waitFor();
      expect(
        await count(
          "SELECT count(*) AS n FROM accounts WHERE username = 'csv_two' AND deleted_at IS NOT NULL",
        ),
      ).toBe(1);
      await atBothWidths(dashboard.page, 'account-deleted', 'admin');

      await visit(dashboard, '/accounts?deleted=only');
      await expect.poll(() => rows().count()).toBe(1);
      await page.getByRole('link', { name: 'csv_two' }).click();
      await page.getByRole('button', { name: 'Restore account' }).click();
      await page.getByRole('button', { name: 'Delete account…' }).waitFor();
      expect(
        await count("SELECT count(*) AS n FROM accounts WHERE username = 'csv_two' AND deleted_at IS NULL"),
      ).toBe(1);
    });

    it('reveals secrets and a TOTP code, audited, and hides them again', async () => {
      const { page } = dashboard;
      await visit(dashboard, '/accounts');
      await page.getByRole('link', { name: 'ui_added' }).click();
      const section = page.getByRole('region', { name: 'Secrets', exact: true });
      await section.getByRole('button', { name: 'Reveal secrets' }).click();
      const shown = section.locator('dl[aria-label="Revealed secrets"]');
      await shown.getByText(password).waitFor();
      await atBothWidths(dashboard.page, 'account-reveal', 'admin');
      await section.getByRole('button', { name: 'Hide' }).click();
      await expect.poll(() => page.content()).not.toContain(password);

      await section.getByRole('button', { name: 'Show TOTP code' }).click();
      const code = section.locator('[aria-label="TOTP code"] .totp');
      await expect.poll(async () => /^\d{6}$/.test((await code.textContent()) ?? '')).toBe(true);
      // Leaving the page takes the code with it.
      await page.getByRole('link', { name: 'Accounts', exact: true }).first().click();
      await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
      expect(await page.locator('[aria-label="TOTP code"]').count()).toBe(0);

      expect(
        await count(
          "SELECT count(*) AS n FROM system_events WHERE category = 'auth' AND event_type IN ('secret_revealed', 'totp_generated')",
        ),
      ).toBe(2);
      expect(dashboard.errors).toEqual([]);
    });
  });
});
