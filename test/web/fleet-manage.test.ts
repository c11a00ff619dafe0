// Managing the fleet, niches and hooks in Chromium, as each role: a role sees exactly the write controls
// roles.ts lets it use (the others are not there at all), and an admin adds, edits, puts in maintenance,
// checks (against a fake WebDriverAgent) and removes a phone; creates, edits, deactivates and reactivates a
// niche; adds, imports (a bad file first, its lines named by number), edits and retires hooks. Server
// errors show next to the field they name; after each write the list shows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, roles, type Action, type Role } from '../../src/auth/roles.ts';
import { startFakeWda, type FakeWda } from '../../src/devices/fake-wda-server.ts';
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

const t = useTestDatabase();
let dashboard: Dashboard;
let wda: FakeWda;

/** Signs in as a new user with this role. */
const signInAs = (role: Role) => signInWithRole(dashboard, t.db, role);
const testedRoles = roles;

/** The write controls of each page, by the action that allows them. */
const controls: { path: string; flow: string; ready: string; action: Action; buttons: RegExp[] }[] = [
  {
    path: '/devices',
    flow: 'devices',
    ready: 'table[aria-label="Devices"]',
    action: 'devices.write',
    buttons: [/^Add device$/],
  },
  {
    path: '/devices/iphone-seed',
    flow: 'device',
    ready: 'text=WebDriverAgent port',
    action: 'devices.write',
    buttons: [/^Edit$/, /maintenance$/, /^Check now$/, /^Remove device$/],
  },
  {
    path: '/niches',
    flow: 'niches',
    ready: 'table[aria-label="Niches"]',
    action: 'niches.write',
    buttons: [/^Add niche$/, /^Edit$/, /^Deactivate$/],
  },
  {
    path: '/hooks',
    flow: 'hooks',
    ready: 'table[aria-label="Hooks"]',
    action: 'hooks.write',
    buttons: [/^Add hook$/, /^Import CSV$/, /^Edit$/, /^Retire$/],
  },
];

describe.skipIf(!hasChromium)('dashboard: managing devices, niches and hooks', () => {
  beforeAll(async () => {
    wda = await startFakeWda({ battery: 0.57, sessionId: 'wda-session' });
    // The app's own host, as a device added without one gets.
    await factories.device(t.pool, { name: 'iphone-seed', udid: 'udid-seed', host: 'api-test-host' });
    await factories.hook(t.pool, { category: 'bold_claim', template: 'Everyone gets {topic} wrong' });
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
    await wda?.close();
  });

  for (const role of testedRoles) {
    it(`as ${role}: shows exactly the write controls the role may use`, async () => {
      const { page } = dashboard;
      await signInAs(role);
      for (const { path, flow, ready, action, buttons } of controls) {
        await visit(dashboard, path);
        await page.locator(ready).first().waitFor();
        for (const name of buttons) {
          const shown = await page.getByRole('button', { name }).count();
          expect(shown > 0, `${role} on ${path}: ${name}`).toBe(can(role, action));
        }
        await atBothWidths(dashboard.page, flow, role);
      }
      // The navigation reaches the new pages.
      await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Hooks' }).waitFor();
      expect(dashboard.errors).toEqual([]);
    });
  }

  it('as admin: adds a phone, edits it, maintenance on and off, checks it now, removes it', async () => {
    const { page } = dashboard;
    await signInAs('admin');
    await visit(dashboard, '/devices');
    await page.getByRole('button', { name: 'Add device' }).click();
    const add = page.getByRole('form', { name: 'Add device' });
    await add.getByLabel('Name', { exact: true }).fill('iphone-new');
    await add.getByLabel('UDID').fill('udid-new');
    await add.getByLabel('Model').fill('iPhone 15');
    await add.getByLabel('WDA port').fill('70000');
    await add.getByLabel('Free storage (GB)').fill('48');
    await add.getByRole('button', { name: 'Add device' }).click();
    // The server's refusal shows under the field it names.
    await add.locator('label', { hasText: 'WDA port' }).getByRole('alert').waitFor();
    await add.getByLabel('WDA port').fill(String(wda.port));
    await add.getByRole('button', { name: 'Add device' }).click();
    const table = page.locator('table[aria-label="Devices"]');
    await table.locator('tbody tr', { hasText: 'iphone-new' }).waitFor();
    expect(await add.count()).toBe(0);

    await table.getByRole('link', { name: 'iphone-new' }).click();
    await page.getByRole('heading', { name: /iphone-new/, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit device' });
    // A name another phone has is refused, next to the name.
    await edit.getByLabel('Name', { exact: true }).fill('iphone-seed');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit
      .locator('label', { hasText: 'Name' })
      .getByText(/already exists/)
      .waitFor();
    // The error now belongs to the name's label: find the input by its name.
    await edit.locator('input[name=name]').fill('iphone-new');
    await edit.getByLabel('Model').fill('iPhone 15 Pro');
    await edit.getByLabel('Free storage (GB)').fill('12.5');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByText('iPhone 15 Pro').waitFor();
    await page.getByText('12.5 GB free').waitFor();

    const badge = page.locator('h1 .badge');
    await page.getByRole('button', { name: 'Start maintenance' }).click();
    await expect.poll(() => badge.textContent()).toBe('maintenance');
    await page.getByRole('button', { name: 'End maintenance' }).click();
    await expect.poll(() => badge.textContent()).toBe('disconnected');

    await page.getByRole('button', { name: 'Check now' }).click();
    const result = page.getByRole('status', { name: 'Check result' });
    await result.waitFor();
    expect(await result.textContent()).toMatch(/healthy.*status disconnected → active, battery 57%/);
    await expect.poll(() => badge.textContent()).toBe('active');
    expect(wda.requests()).toContain('GET /status');
    await atBothWidths(dashboard.page, 'device-check', 'admin');

    // What happens to its accounts is the service's rule: they are unassigned, and the page says so first.
    const { rows } = await t.pool.query<{ id: string }>(`SELECT id FROM devices WHERE name = 'iphone-new'`);
    const account = await factories.account(t.pool, { username: 'on_the_new_phone', device_id: rows[0]!.id });
    await visit(dashboard, `/devices/${rows[0]!.id}`);
    await page.getByRole('button', { name: 'Remove device' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm: Remove device' });
    expect(await confirm.textContent()).toMatch(/1 account will be unassigned/);
    await screenshot(page, 'device-remove-admin-1280');
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    await expect.poll(() => table.locator('tbody tr', { hasText: 'iphone-new' }).count()).toBe(0);
    const after = await t.pool.query('SELECT device_id FROM accounts WHERE id = $1', [account.id]);
    expect(after.rows[0].device_id).toBeNull();
    expect(dashboard.errors).toEqual([]);
  });

  it('as admin: creates a niche, edits it, deactivates it (asked again for live accounts) and reactivates it', async () => {
    const { page } = dashboard;
    await signInAs('admin');
    await visit(dashboard, '/niches');
    await page.getByRole('button', { name: 'Add niche' }).click();
    const add = page.getByRole('form', { name: 'Add niche' });
    await add.getByLabel('Name', { exact: true }).fill('Home cooking');
    await add.getByLabel('Slug').fill('Home Cooking');
    await add.getByLabel('Tier').fill('2');
    await add.getByRole('button', { name: 'Add niche' }).click();
    await add
      .locator('label', { hasText: 'Slug' })
      .getByText(/lower snake_case of at most/)
      .waitFor();
    await add.getByLabel('Slug').fill('home_cooking');
    await add.getByRole('button', { name: 'Add niche' }).click();
    const row = page.locator('table[aria-label="Niches"] tbody tr', { hasText: 'home_cooking' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Home cooking.*2.*active/);

    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit niche' });
    await edit.getByLabel('Name', { exact: true }).fill('Quick home cooking');
    await edit.getByLabel('Tier').fill('');
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByText('Quick home cooking').waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe('–');

    const { rows } = await t.pool.query<{ id: string }>(`SELECT id FROM niches WHERE slug = 'home_cooking'`);
    await factories.account(t.pool, { username: 'quick_meals', niche_id: rows[0]!.id });
    await row.getByRole('button', { name: 'Deactivate' }).click();
    await row.getByRole('button', { name: 'Deactivate anyway' }).click();
    const confirm = row.getByRole('group', { name: 'Confirm: Deactivate anyway' });
    expect(await confirm.textContent()).toMatch(/1 live account/);
    await confirm.getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => row.locator('.badge').textContent()).toBe('inactive');
    await atBothWidths(dashboard.page, 'niches-edit', 'admin');
    await row.getByRole('button', { name: 'Reactivate' }).click();
    await expect.poll(() => row.locator('.badge').textContent()).toBe('active');
    expect(dashboard.errors).toEqual([]);
  });

  it('as admin: adds, imports (bad lines named by number first), edits and retires hooks, shown as text', async () => {
    const { page } = dashboard;
    await signInAs('admin');
    await visit(dashboard, '/hooks');
    const table = page.locator('table[aria-label="Hooks"]');
    await table.getByText('Everyone gets {topic} wrong').waitFor();

    await page.getByRole('button', { name: 'Add hook' }).click();
    const add = page.getByRole('form', { name: 'Add hook' });
    await add.getByLabel('Template').fill('tiny');
    await add.getByLabel('Category').fill('question');
    await add.locator('select[name=niche]').selectOption('motivation');
    await add.getByRole('button', { name: 'Add hook' }).click();
    await add
      .locator('label', { hasText: 'Template' })
      .getByText(/expected 5–300 characters/)
      .waitFor();
    await add.getByLabel('Template').fill('Why does {topic} keep working?');
    await add.getByRole('button', { name: 'Add hook' }).click();
    await table.getByText('Why does {topic} keep working?').waitFor();

    const count = async () => Number((await t.pool.query('SELECT count(*) FROM hooks')).rows[0].count);
    const before = await count();
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const importForm = page.getByRole('form', { name: 'Import hooks' });
    await importForm
      .getByLabel('or paste it')
      .fill(
        [
          'category,template,niche',
          'story,Here is a story about {topic},',
          'Not Snake,A fine template here,',
          'story,A second story about {topic},',
          'question,What if {topic} {oops}?,',
        ].join('\n'),
      );
    await importForm.getByRole('button', { name: 'Import' }).click();
    const problems = importForm.getByRole('alert', { name: 'Import problems' });
    await problems.waitFor();
    expect(await problems.locator('li').allTextContents()).toEqual([
      expect.stringMatching(/^line 3: category/),
      expect.stringMatching(/^line 5: template: unknown placeholder/),
    ]);
    expect(await count()).toBe(before);
    await atBothWidths(dashboard.page, 'hooks-import-refused', 'admin');

    // A file this time.
    await importForm.getByLabel('CSV file').setInputFiles({
      name: 'hooks.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'category,template\nstory,Here is a story about {topic}\nstory,One more on {topic}\n',
      ),
    });
    await importForm.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').getByText('Imported 2 hook(s).').waitFor();
    await table.getByText('One more on {topic}').waitFor();
    expect(await count()).toBe(before + 2);

    const row = table.locator('tbody tr', { hasText: 'One more on {topic}' });
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit hook' });
    await edit.getByLabel('Template').fill('One more thing about {topic}');
    await edit.getByRole('button', { name: 'Save' }).click();
    const edited = table.locator('tbody tr', { hasText: 'One more thing about {topic}' });
    await edited.waitFor();
    await edited.getByRole('button', { name: 'Retire' }).click();
    await edited.getByText('retired').waitFor();
    await edited.getByRole('button', { name: 'Restore' }).waitFor();
    const retired = await t.pool.query(
      `SELECT retired_at FROM hooks WHERE template = 'One more thing about {topic}'`,
    );
    expect(retired.rows[0].retired_at).not.toBeNull();
    // No hook id anywhere on the page: hooks are their text.
    const ids = await t.pool.query<{ id: string }>('SELECT id FROM hooks');
    const text = (await page.locator('main').textContent()) ?? '';
    for (const { id } of ids.rows) expect(text).not.toContain(id);

    // A piece of content names its hook by its text too.
    const content = await factories.content(t.pool, {
      topic: 'index funds',
      hook_id: (await t.pool.query<{ id: string }>(`SELECT id FROM hooks WHERE category = 'bold_claim'`))
        .rows[0]!.id,
    });
    await visit(dashboard, `/content/${String(content.id)}`);
    await page.getByText('“Everyone gets {topic} wrong”').waitFor();
    expect(dashboard.errors).toEqual([]);
  });
});
