// Connecting an account in Chromium: an operator presses Connect on the account page, gets the platform's
// authorization link, the owner allows sovi at the (fake) platform and is sent back to sovi's callback page,
// and the account page shows the connection; a viewer sees the status and no Connect button. Shot at 1280 px
// and 390 px.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startTikTokFake, type TikTokFake } from '../fakes/tiktok-api-fake.ts';
import {
  atBothWidths,
  hasChromium,
  openDashboard,
  signInWithRole,
  visit,
  type Dashboard,
} from './browser.ts';

const t = useTestDatabase();
let dashboard: Dashboard;
let tiktok: TikTokFake;

describe.skipIf(!hasChromium)('dashboard: connecting an account', () => {
  beforeAll(async () => {
    tiktok = await startTikTokFake();
    dashboard = await openDashboard(t, {
      env: {
        SOVI_PUBLIC_URL: 'http://sovi.test',
        SOVI_TIKTOK_CLIENT_KEY: tiktok.clientKey,
        SOVI_TIKTOK_CLIENT_SECRET: tiktok.clientSecret,
        SOVI_TIKTOK_AUTH_URL: `${tiktok.url}/v2/auth/authorize/`,
        SOVI_TIKTOK_API_URL: tiktok.url,
      },
    });
  });
  afterAll(async () => {
    await dashboard?.close();
    await tiktok?.close();
  });

  it('an operator connects; a viewer sees the status without a button', async () => {
    const username = `connect_${process.pid}`;
    const account = await factories.account(t.pool, { platform: 'tiktok', username });
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'operator');
    await visit(dashboard, `/accounts/${String(account.id)}`);
    const region = page.getByRole('region', { name: 'Platform connection', exact: true });
    await region.getByText('Not connected').waitFor();
    await region.getByRole('button', { name: 'Connect' }).click();
    const link = region.getByRole('link', { name: /open TikTok to allow sovi/ });
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    expect(new URL(href).searchParams.get('client_key')).toBe(tiktok.clientKey);
    await atBothWidths(page, 'account-connect', 'operator');

    // The owner allows sovi at TikTok, which sends the browser back to sovi's callback.
    const openId = `-000${randomBytes(6).toString('hex')}`;
    tiktok.creators.set(openId, {
      openId,
      username,
      privacyLevelOptions: ['SELF_ONLY'],
      unauditedClient: true,
    });
    const back = new URL(tiktok.authorize(href, openId));
    expect(back.pathname).toBe('/oauth/callback/tiktok');
    const ownerPage = await dashboard.context.newPage();
    await ownerPage.goto(`${dashboard.url}${back.pathname}${back.search}`);
    await ownerPage.getByRole('heading', { name: 'Connected' }).waitFor();
    await ownerPage.close();

    await region.getByText('connected', { exact: true }).waitFor({ timeout: 20_000 });
    await region.getByText(/is connected/).waitFor();
    expect(await region.getByText(/video\.publish/).count()).toBe(1);
    await region.getByRole('button', { name: 'Reconnect' }).waitFor();
    await atBothWidths(page, 'account-connected', 'operator');

    await signInWithRole(dashboard, t.db, 'viewer');
    await visit(dashboard, `/accounts/${String(account.id)}`);
    await region.getByText('connected', { exact: true }).waitFor();
    expect(await region.getByRole('button').count()).toBe(0);
    await atBothWidths(page, 'account-connected', 'viewer');
    expect(dashboard.errors).toEqual([]);
  });
});
