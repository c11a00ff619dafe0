// Users and tokens in Chromium: an admin adds an operator (the two passwords must match, the server's length
// rule shows by its field); the operator signs in with name and password in a browser of their own, has no
// Users entry, creates a token (its secret shown once, then gone) and revokes it; the admin disables them
// and their open page is signed out at its next request. A read-only viewer sees no write control here.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addUser } from '../../src/users/users-service.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { atBothWidths, CHROMIUM, hasChromium, openDashboard, visit, type Dashboard } from './browser.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
let other: Browser;

const ADMIN_PASSWORD = 'correct horse battery admin';
const OPERATOR_PASSWORD = 'operator passphrase one';

async function signInWithPassword(page: Page, url: string, name: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.locator('input[name=name]').fill(name);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

async function signInWithToken(page: Page, url: string, secret: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByRole('button', { name: 'Use an API token instead' }).click();
  await page.locator('input[name=token]').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Pages' }).getByRole('link');

describe.skipIf(!hasChromium)('users and tokens in the dashboard', () => {
  beforeAll(async () => {
    dashboard = await openDashboard(t);
    await addUser(t.db, { name: 'boss', role: 'admin', password: ADMIN_PASSWORD }, 'test');
    other = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  }, 180_000);
  afterAll(async () => {
    await other?.close();
    await dashboard?.close();
  });

  it('an admin adds an operator, who signs in, makes and revokes a token, and is signed out when disabled', async () => {
    const { page, url } = dashboard;
    await signInWithPassword(page, url, 'boss', ADMIN_PASSWORD);
    await navLinks(page).filter({ hasText: 'Users' }).click();
    await page.getByRole('table', { name: 'Users' }).getByText('boss').waitFor();

    await page.getByRole('button', { name: 'Add user' }).click();
    const form = page.getByRole('form', { name: 'Add user' });
    await form.locator('input[name=name]').fill('olivia');
    await form.locator('select[name=role]').selectOption('operator');
    // The two passwords differ: the page says so by the second one and sends nothing.
    await form.locator('input[name=password]').fill('short');
    await form.locator('input[name=passwordAgain]').fill('shorter');
    await form.getByRole('button', { name: 'Add user' }).click();
    await form.locator('#field-passwordAgain-error').getByText('differ').waitFor();
    // Too short: the server's rule, shown by the field it names.
    await form.locator('input[name=passwordAgain]').fill('short');
    await form.getByRole('button', { name: 'Add user' }).click();
    await form.locator('#field-password-error').getByText('12 characters').waitFor();
    await form.locator('input[name=password]').fill(OPERATOR_PASSWORD);
    await form.locator('input[name=passwordAgain]').fill(OPERATOR_PASSWORD);
    await form.getByRole('button', { name: 'Add user' }).click();
    const row = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'olivia' });
    await row.getByText('operator').waitFor();
    await atBothWidths(page, 'users', 'admin');

    // The operator, in a browser of their own.
    const context = await other.newContext({ viewport: { width: 1280, height: 800 } });
    const user = await context.newPage();
    user.setDefaultTimeout(15_000);
    await signInWithPassword(user, url, 'olivia', OPERATOR_PASSWORD);
    await expect.poll(() => navLinks(user).allTextContents()).toContain('Tokens');
    expect(await navLinks(user).allTextContents()).not.toContain('Users');
    await navLinks(user).filter({ hasText: 'Tokens' }).click();
    await user.getByText('You have no live tokens.').waitFor();
    expect(await user.getByRole('button', { name: 'All users’ tokens' }).count()).toBe(0);

    await user.getByRole('button', { name: 'New token' }).click();
    const create = user.getByRole('form', { name: 'Create token' });
    // A token may have at most its user's role.
    expect(await create.locator('select[name=role] option').allTextContents()).toEqual([
      'viewer',
      'reviewer',
      'operator',
    ]);
    await create.locator('input[name=name]').fill('laptop');
    await create.locator('select[name=expiresIn]').selectOption('30d');
    await create.getByRole('button', { name: 'Create token' }).click();
    const secret = await user.getByRole('textbox', { name: 'Token secret' }).inputValue();
    expect(secret.length).toBeGreaterThan(20);
    await user.getByText('it will not be shown again').waitFor();
    await atBothWidths(user, 'token-secret', 'operator');
    await user.getByRole('button', { name: 'I have copied it' }).click();
    await user.getByRole('table', { name: 'My tokens' }).getByText('laptop').waitFor();
    expect(await user.getByRole('textbox', { name: 'Token secret' }).count()).toBe(0);
    expect(await user.content()).not.toContain(secret);
    // The secret works until it is revoked.
    expect((await dashboard.api.call('GET', '/api/v1/session', undefined, secret)).statusCode).toBe(200);
    await atBothWidths(user, 'tokens', 'operator');

    const tokenRow = user
      .getByRole('table', { name: 'My tokens' })
      .getByRole('row')
      .filter({ hasText: 'laptop' });
    await tokenRow.getByRole('button', { name: 'Revoke' }).click();
    await tokenRow.getByRole('button', { name: 'Revoke' }).click(); // the confirm step's button
    await user.getByText('You have no live tokens.').waitFor();
    expect((await dashboard.api.call('GET', '/api/v1/session', undefined, secret)).statusCode).toBe(401);

    // The admin disables them: the operator's open page is signed out at its next request.
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('sessions').waitFor();
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('disabled').waitFor();
    await navLinks(user).filter({ hasText: 'Overview' }).click();
    await user.getByRole('button', { name: 'Sign in' }).waitFor();
    await context.close();
    expect(dashboard.errors).toEqual([]);
  }, 180_000);

  it('a read-only viewer sees no write control on the tokens and users pages', async () => {
    const { page, url } = dashboard;
    await page.context().clearCookies();
    await signInWithToken(page, url, dashboard.api.reader.secret);
    expect(await navLinks(page).allTextContents()).not.toContain('Users');
    await navLinks(page).filter({ hasText: 'Tokens' }).click();
    await page.getByRole('heading', { name: 'My tokens' }).waitFor();
    await page.getByText('You have no live tokens.').waitFor();
    for (const name of ['New token', 'Revoke', 'All users’ tokens', 'Change password']) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    await atBothWidths(page, 'tokens', 'viewer');
    await visit(dashboard, '/users');
    await page.getByText('Only admins manage users.').waitFor();
    expect(
      await page
        .getByRole('button')
        .filter({ hasText: /Add user|Disable|Edit/ })
        .count(),
    ).toBe(0);
    await atBothWidths(page, 'users', 'viewer');
    expect(fs.existsSync('test-artifacts/screenshots/users-viewer-390.png')).toBe(true);
  }, 120_000);
});
