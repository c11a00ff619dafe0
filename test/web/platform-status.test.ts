// What the platforms' official APIs report, as people see it in Chromium: an account whose token the platform
// refused shows reauth_needed with the reason and a Reconnect button; a post TikTok is processing shows its
// stage, publish id and last update on the calendar and the account's posts, and never its upload URL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
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

const dayKey = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

describe.skipIf(!hasChromium)('dashboard: what the platforms report', () => {
  beforeAll(async () => {
    dashboard = await openDashboard(t);
  });
  afterAll(async () => dashboard?.close());

  it('an account whose token was refused shows reauth needed, why, and Reconnect', async () => {
    const account = await factories.account(t.pool, {
      platform: 'tiktok',
      username: `reauth_${process.pid}`,
    });
    // The row as markReauthNeeded leaves it (the sealed tokens are kept; the page never opens them).
    await t.pool.query(
      `INSERT INTO platform_connections (account_id, platform, platform_user_id, scopes, access_token_enc,
         access_expires_at, status, status_reason, connected_by)
       VALUES ($1, 'tiktok', '-000reauth', '{user.info.basic,video.publish}', '\\x00', now() - interval '1 hour',
         'reauth_needed', 'invalid_grant: The refresh token was revoked by the user', 'test')`,
      [account.id],
    );
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'operator');
    await visit(dashboard, `/accounts/${String(account.id)}`);
    const region = page.getByRole('region', { name: 'Platform connection', exact: true });
    await region.getByText('reauth needed', { exact: true }).waitFor();
    expect(await region.locator('.badge.tone-bad').textContent()).toBe('reauth needed');
    await region.getByText(/refresh token was revoked/).waitFor();
    await region.getByRole('button', { name: 'Reconnect' }).waitFor();
    await atBothWidths(page, 'account-reauth-needed', 'operator');
    expect(dashboard.errors).toEqual([]);
  });

  it('a post TikTok is processing shows its stage, publish id and last update', async () => {
    const account = await factories.account(t.pool, {
      platform: 'tiktok',
      username: `processing_${process.pid}`,
    });
    const content = await factories.content(t.pool, { topic: 'a post at the platform' });
    const slot = new Date(Date.now() + 3_600_000);
    const d = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      platform: 'tiktok',
      scheduled_at: slot,
      caption: 'processing now',
    });
    const uploadToken = `canary-upload-${randomBytes(8).toString('hex')}`;
    // What the TikTok connector records once the last chunk is in (tiktok-publisher.ts).
    await t.pool.query(
      `INSERT INTO platform_publishes (distribution_id, platform, account_id, stage, publish_id, detail, initialised_at)
       VALUES ($1, 'tiktok', $2, 'processing', 'v_pub_file~v2-1.7399', $3::jsonb, now())`,
      [
        d.id,
        account.id,
        JSON.stringify({
          privacyLevel: 'SELF_ONLY',
          note: 'TikTok offers this account only private posts (SELF_ONLY)',
          uploadUrl: `https://open-upload.tiktokapis.com/upload/?upload_id=1&upload_token=${uploadToken}`,
          videoSize: 12_582_912,
          chunkSize: 5_242_880,
          totalChunkCount: 2,
        }),
      ],
    );
    const { page } = dashboard;
    await signInWithRole(dashboard, t.db, 'viewer');
    await visit(dashboard, `/calendar?view=week&start=${dayKey(slot)}`);
    await page.locator(`button.cal-entry[data-post="${String(d.id)}"]`).click();
    const post = page.getByRole('region', { name: 'Post', exact: true });
    const stage = post.locator('.platform-stage[data-stage="processing"]');
    await stage.waitFor();
    expect(await stage.textContent()).toMatch(/^processing .*(now|s|min) ago$/);
    await post.getByText('v_pub_file~v2-1.7399', { exact: true }).waitFor();
    await post.getByText('SELF_ONLY', { exact: true }).waitFor();
    await post.getByText(/only private posts/).waitFor();
    await atBothWidths(page, 'calendar-post-processing', 'viewer');

    await visit(dashboard, `/accounts/${String(account.id)}`);
    await page
      .locator('table[aria-label="Distributions"] .platform-stage[data-stage="processing"]')
      .waitFor();
    expect(await page.content()).not.toContain(uploadToken);
    expect(dashboard.errors).toEqual([]);
  });
});
