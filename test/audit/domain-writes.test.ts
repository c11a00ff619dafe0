// Each domain's writes leave one audit record, in the write's transaction: the right action, target and
// fields before → after, secrets only as "changed", and nothing at all when the write fails.
import { describe, expect, it } from 'vitest';
import {
  addAccount,
  deleteAccount,
  restoreAccount,
  updateAccount,
} from '../../src/accounts/accounts-service.ts';
import { currentTotp, revealSecrets } from '../../src/accounts/account-secrets.ts';
import { setAccountState } from '../../src/accounts/account-state.ts';
import { importAccountsCsv } from '../../src/accounts/account-import.ts';
import { createToken, revokeToken } from '../../src/auth/tokens-service.ts';
import { createContent, produce } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import { createDevice, removeDevice, updateDevice } from '../../src/devices/devices-service.ts';
import { markDistributionRemoved } from '../../src/distributions/distributions-service.ts';
import { resolveEvent } from '../../src/events/events-service.ts';
import { addHook, importHooks } from '../../src/hooks/hooks-service.ts';
import { addNiche, updateNiche } from '../../src/niches/niches-service.ts';
import { accountDeps, newAccount, username } from '../helpers/accounts.ts';
import { canary, findCanaries } from '../helpers/canary.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();

interface Row {
  actor: string;
  action: string;
  target_type: string;
  target_label: string;
  changes: Record<string, unknown>;
  note: string | null;
}

async function trail(targetId: string): Promise<Row[]> {
  const { rows } = await t.pool.query<Row>(
    'SELECT actor, action, target_type, target_label, changes, note FROM audit_log WHERE target_id = $1 ORDER BY id',
    [targetId],
  );
  return rows;
}

async function noSecretsInTrail(): Promise<void> {
  const { rows } = await t.pool.query<{ text: string }>(
    'SELECT row_to_json(a)::text AS text FROM audit_log a',
  );
  expect(findCanaries(rows.map((r) => r.text).join('\n'))).toEqual([]);
}

describe('devices', () => {
  it('record add, update, maintenance and removal with each changed field', async () => {
    const device = await createDevice(t.db, { name: 'dw-phone', udid: 'dw-udid', wdaPort: 8100 }, 'user:ana');
    await updateDevice(t.db, 'dw-phone', { model: 'iPhone 14', wdaPort: 8101 }, 'user:ana');
    await updateDevice(t.db, 'dw-phone', { status: 'maintenance' }, 'user:bo');
    await removeDevice(t.db, 'dw-phone', {}, 'user:bo');
    const rows = await trail(device.id);
    expect(rows.map((r) => [r.actor, r.action])).toEqual([
      ['user:ana', 'device.create'],
      ['user:ana', 'device.update'],
      ['user:bo', 'device.maintenance'],
      ['user:bo', 'device.remove'],
    ]);
    expect(rows[0]?.changes).toMatchObject({ name: { before: null, after: 'dw-phone' } });
    expect(rows[1]?.changes).toEqual({
      model: { before: null, after: 'iPhone 14' },
      wdaPort: { before: 8100, after: 8101 },
    });
    expect(rows[2]?.changes).toEqual({ status: { before: 'disconnected', after: 'maintenance' } });
    expect(rows[3]?.changes).toMatchObject({ name: { before: 'dw-phone', after: null } });
  });

  it('record nothing when the write is refused', async () => {
    const a = await createDevice(t.db, { name: 'dw-a', udid: 'dw-a-udid' });
    await createDevice(t.db, { name: 'dw-b', udid: 'dw-b-udid' });
    await expect(updateDevice(t.db, 'dw-a', { name: 'dw-b' }, 'user:ana')).rejects.toThrow(/already exists/);
    expect((await trail(a.id)).map((r) => r.action)).toEqual(['device.create']);
  });
});

describe('accounts', () => {
  it('record create, update, state, delete, restore, reveal and TOTP, secrets only as "changed"', async () => {
    const deps = accountDeps(t.db, undefined, 'user:ana');
    const account = await addAccount(deps, newAccount({ bio: 'first' }));
    await updateAccount(deps, account.id, { bio: 'second', secrets: { password: 'canary-password-new' } });
    await setAccountState(deps, account.id, 'warming_p1', { reason: 'start warming' });
    await revealSecrets(deps, account.id, ['password']);
    await currentTotp(deps, account.id);
    await deleteAccount(deps, account.id, 'duplicate');
    await restoreAccount(deps, account.id);
    const rows = await trail(account.id);
    expect(rows.map((r) => r.action)).toEqual([
      'account.create',
      'account.update',
      'account.state',
      'account.reveal',
      'account.totp',
      'account.delete',
      'account.restore',
    ]);
    expect(rows.every((r) => r.target_label === `tiktok:${account.username}`)).toBe(true);
    expect(rows[0]?.changes).toMatchObject({
      username: { before: null, after: account.username },
      bio: { before: null, after: 'first' },
      password: 'changed',
      email: 'changed',
      totp_secret: 'changed',
      proxy_credentials: 'changed',
    });
    expect(rows[1]?.changes).toEqual({ bio: { before: 'first', after: 'second' }, password: 'changed' });
    expect(rows[2]).toMatchObject({
      changes: { state: { before: 'created', after: 'warming_p1' } },
      note: 'start warming',
    });
    expect(rows[3]).toMatchObject({ changes: {}, note: 'fields: password' });
    expect(rows[4]?.changes).toEqual({});
    expect(Object.keys(rows[5]?.changes ?? {})).toEqual(['deletedAt']);
    expect(rows[6]?.changes).toMatchObject({ deletedAt: { after: null } });
    expect(JSON.stringify(rows)).not.toContain('canary-password-new');
    await noSecretsInTrail();
  });

  it('record one summary row per import, and none for a refused update', async () => {
    const deps = accountDeps(t.db, undefined, 'user:ana');
    const [u1, u2] = [username('imp'), username('imp')];
    await importAccountsCsv(
      deps,
      `platform,username,password\ntiktok,${u1},${canary('password')}\ntiktok,${u2},\n`,
      {
        source: 'team.csv',
      },
    );
    expect(await trail('import:team.csv')).toMatchObject([
      { actor: 'user:ana', action: 'account.import', changes: { imported: { before: null, after: 2 } } },
    ]);
    await noSecretsInTrail();

    const other = await addAccount(deps, newAccount());
    const target = await addAccount(deps, newAccount());
    await expect(updateAccount(deps, target.id, { username: other.username })).rejects.toThrow(
      /already exists/,
    );
    expect((await trail(target.id)).map((r) => r.action)).toEqual(['account.create']);
  });
});

describe('niches, hooks, content, distributions, events and tokens', () => {
  it('record each write with its before and after', async () => {
    const niche = await addNiche(t.db, { name: 'Audit niche', slug: 'audit_niche' }, 'user:ana');
    await updateNiche(t.db, 'audit_niche', { name: 'Audited niche' }, 'user:ana');
    expect((await trail(niche.id)).map((r) => [r.action, r.target_label, r.changes])).toEqual([
      [
        'niche.create',
        'audit_niche',
        expect.objectContaining({ slug: { before: null, after: 'audit_niche' } }),
      ],
      ['niche.update', 'audit_niche', { name: { before: 'Audit niche', after: 'Audited niche' } }],
    ]);

    const hook = await addHook(
      t.db,
      { category: 'curiosity_gap', template: 'Why {topic} matters' },
      'user:ana',
    );
    expect(await trail(hook.id)).toMatchObject([
      {
        action: 'hook.create',
        target_label: 'Why {topic} matters',
        changes: { template: { after: 'Why {topic} matters' } },
      },
    ]);
    await importHooks(
      t.db,
      'category,template\ncuriosity_gap,Nobody tells you about {topic}\n',
      'hooks.csv',
      'user:ana',
    );
    expect(await trail('import:hooks.csv')).toMatchObject([
      { action: 'hook.import', changes: { imported: { before: null, after: 1 } } },
    ]);

    const content = await createContent(t.db, defaultContentPolicy, {
      topic: 'audit topic',
      niche: 'audit_niche',
      actor: 'user:ana',
    });
    // Queuing is the job engine's business; here only its audit record matters.
    const sink = { enqueueStage: async () => {}, enqueuePublish: async () => {} };
    await produce(t.db, sink, content.id, 'user:bo');
    expect((await trail(content.id)).map((r) => [r.actor, r.action])).toEqual([
      ['user:ana', 'content.create'],
      ['user:bo', 'content.produce'],
    ]);

    const posted = await factories.distribution(t.pool, {
      status: 'posted',
      platform_post_id: 'p-1',
      posted_at: new Date(),
    });
    await markDistributionRemoved(t.db, posted.id as string, 'taken down', 'user:ana');
    expect(await trail(posted.id as string)).toMatchObject([
      {
        action: 'distribution.removed',
        changes: { status: { before: 'posted', after: 'removed' } },
        note: 'taken down',
      },
    ]);

    const event = await factories.event(t.pool);
    await resolveEvent(t.db, event.id as number, { by: 'human', actor: 'user:ana', note: 'fixed' });
    expect(await trail(String(event.id))).toMatchObject([
      { actor: 'user:ana', action: 'event.resolve', note: 'fixed' },
    ]);

    const { token, secret } = await createToken(t.db, { name: 'audit-ci' }, 'user:ana');
    await revokeToken(t.db, 'audit-ci', 'user:ana');
    const tokenRows = await trail(token.id);
    expect(tokenRows.map((r) => r.action)).toEqual(['token.create', 'token.revoke']);
    expect(tokenRows[0]?.changes).toMatchObject({ name: { after: 'audit-ci' }, secret: 'changed' });
    expect(JSON.stringify(tokenRows)).not.toContain(secret);
  });
});

describe('audit_log', () => {
  it('refuses UPDATE and DELETE: the trail is append-only', async () => {
    await createDevice(t.db, { name: 'dw-append', udid: 'dw-append-udid' });
    await expect(t.pool.query("UPDATE audit_log SET actor = 'someone'")).rejects.toThrow(/append-only/);
    await expect(t.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });
});
