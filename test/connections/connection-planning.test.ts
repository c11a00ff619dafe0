// A platform published through its official connector is only ever given connected accounts: the planner
// skips the others (and a reauth_needed one), while a platform on the simulator plans as before.
import { describe, expect, it } from 'vitest';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import type { Script } from '../../src/content/content-model.ts';
import { planDistributions } from '../../src/distributions/distribution-planner.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const now = new Date('2026-05-01T12:00:00Z');
const script: Script = {
  title: 'Budgeting in 30 seconds',
  hook: 'Stop wasting money.',
  beats: [{ onScreenText: 'one', narration: 'one two three' }],
  cta: 'Follow for more.',
  narration: 'Stop wasting money. one two three Follow for more.',
  hashtags: ['money', 'budgeting'],
  writer: 'template',
};

const connect = (accountId: unknown, platform: string, status = 'connected') =>
  t.pool.query(
    `INSERT INTO platform_connections (account_id, platform, platform_user_id, access_token_enc, access_expires_at, status, connected_by)
     VALUES ($1, $2, 'u1', '\\x00', now() + interval '1 day', $3, 'test')`,
    [accountId, platform, status],
  );

describe('planning with official connectors', () => {
  it('plans only connected accounts on a connector’s platform', async () => {
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0]
      .id as string;
    const account = (platform: string) =>
      factories.account(t.pool, { current_state: 'active', niche_id: niche, platform });
    const connected = await account('tiktok');
    const unconnected = await account('tiktok');
    const reauth = await account('tiktok');
    const instagram = await account('instagram');
    await connect(connected.id, 'tiktok');
    await connect(reauth.id, 'tiktok', 'reauth_needed');
    const content = await factories.content(t.pool, {
      niche_id: niche,
      production_status: 'distributing',
      output_path: '/tmp/v.mp4',
      script_json: JSON.stringify(script),
    });
    const planned = await t.db
      .transaction()
      .execute((trx) =>
        planDistributions(
          trx,
          { contentId: String(content.id), nicheId: niche, format: 'faceless', script },
          defaultContentPolicy,
          now,
          null,
          ['tiktok'],
        ),
      );
    const ids = planned.map((p) => p.accountId).sort();
    expect(ids).toEqual([connected.id, instagram.id].map(String).sort());
    expect(ids).not.toContain(unconnected.id);
    expect(ids).not.toContain(reauth.id);
  });
});
