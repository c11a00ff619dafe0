// The dashboard's sign-in as a person (the people branch's test/web/people.test.ts; renamed in the merge,
// as that name is the Users and Tokens pages' test): name and password, the same refusal for a wrong
// password as for an unknown name, the top bar naming the user and their role, and signing out ending
// the session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/users/users-service.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { hasChromium, openDashboard, screenshot, signInAs, type Dashboard } from './browser.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
const password = 'a long enough passphrase';

describe.skipIf(!hasChromium)('dashboard: people sign in', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await addUser(t.db, { name: 'olivia', role: 'operator', password }, 'test');
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('asks for a name and password and refuses a wrong one without saying which part was wrong', async () => {
    const { page, url } = dashboard;
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${url}/`);
      await page.locator('input[name=name]').waitFor();
      await screenshot(page, `sign-in-anonymous-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('input[name=name]').fill('olivia');
    await page.locator('input[name=password]').fill('not the passphrase');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/wrong name or password/);
  });

  it('signs in, names the user and role in the top bar, and signs out for good', async () => {
    const { page } = dashboard;
    await signInAs(dashboard, 'olivia', password);
    expect(await page.locator('.who').textContent()).toBe('olivia (operator)');
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      await screenshot(page, `signed-in-operator-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('input[name=name]').waitFor();
    const { rows } = await t.pool.query<{ ended_reason: string }>(
      `SELECT ended_reason FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'olivia'`,
    );
    expect(rows.map((r) => r.ended_reason)).toEqual(['signed_out']);
  });
});
