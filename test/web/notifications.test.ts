// The Notifications page in Chromium: an admin adds a webhook channel (its signing secret shown once), a
// rule, sends a test to a local receiver and sees the answer and the delivery log; an operator sees the same
// without the controls; a reviewer is not offered the page. Screenshots at both widths.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/notifications/channel-senders.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startHttpPeer, type HttpPeer } from '../notifications/peers.ts';
import {
  atBothWidths,
  hasChromium,
  openDashboard,
  signIn,
  signInWithRole,
  visit,
  type Dashboard,
} from './browser.ts';

const t = useTestDatabase();
const navLink = (page: Page) =>
  page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Notifications' });
let dashboard: Dashboard;
let receiver: HttpPeer;

describe.skipIf(!hasChromium)('dashboard: notifications', () => {
  beforeAll(async () => {
    receiver = await startHttpPeer();
    dashboard = await openDashboard(t);
    await signIn(dashboard);
  });
  afterAll(async () => {
    await dashboard?.close();
    await receiver?.close();
  });

  it('an admin adds a webhook channel, sees its signing secret once, adds a rule and sends a test', async () => {
    const { page } = dashboard;
    await visit(dashboard, '/notifications');
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add channel' }).click();
    const form = page.getByRole('form', { name: 'Add channel' });
    await form.locator('input[name=name]').fill('web-oncall');
    await form.locator('input[name=url]').fill(`${receiver.url}/web-hook`);
    await form.locator('input[name=quietStart]').fill('23:00');
    await form.locator('input[name=quietEnd]').fill('06:00');
    await form.getByRole('button', { name: 'Add channel' }).click();

    const secret = await page.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(40);
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByRole('textbox', { name: 'Signing secret' }).count()).toBe(0);
    const row = page.locator('table[aria-label=Channels] tbody tr', { hasText: 'web-oncall' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('23:00–06:00 UTC');
    // The secret is nowhere on the page any more, nor in what the API answers.
    expect(await page.content()).not.toContain(secret);
    const listed = await dashboard.api.call('GET', '/api/v1/notifications/channels');
    expect(listed.body).not.toContain(secret);
    expect(listed.body).not.toContain('/web-hook');

    const ruleForm = page.getByRole('form', { name: 'Add rule' });
    await ruleForm.locator('select[name=minSeverity]').selectOption('error');
    await ruleForm.locator('input[name=categories]').fill('device, account');
    await ruleForm.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.locator('table[aria-label=Rules] tbody tr', { hasText: 'web-oncall' });
    await expect.poll(() => rule.count()).toBe(1);
    expect(await rule.textContent()).toContain('device, account');

    await row.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => row.getByRole('status').textContent()).toMatch(/Test sent: 200/);
    const post = receiver.posts.find((p) => p.path === '/web-hook')!;
    expect(post.headers[SIGNATURE_HEADER]).toBe(
      signBody(secret, String(post.headers[TIMESTAMP_HEADER]), post.body),
    );
    const log = page.locator('table[aria-label=Deliveries] tbody tr');
    await expect.poll(() => log.count()).toBe(1);
    expect(await log.first().textContent()).toContain('test');
    await atBothWidths(page, 'notifications', 'admin');
    expect(dashboard.errors).toEqual([]);
  });

  it('an operator reads channels, rules and the log without the controls; a reviewer is not offered the page', async () => {
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'operator');
    await navLink(page).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await expect.poll(() => page.locator('table[aria-label=Channels] tbody tr').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Add channel' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Send test' }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Add rule' }).count()).toBe(0);
    await expect.poll(() => page.locator('table[aria-label=Deliveries] tbody tr').count()).toBe(1);
    await atBothWidths(page, 'notifications', 'operator');

    await signInWithRole(dashboard, t.db, 'reviewer');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(await navLink(page).count()).toBe(0);
    expect(dashboard.errors).toEqual([]);
  });
});
