// Accounts: identity, uniqueness, listing, updates, soft delete, and the audited ways to read secrets.
import { describe, expect, it } from 'vitest';
import {
  addAccount,
  deleteAccount,
  getAccount,
  listAccounts,
  restoreAccount,
  updateAccount,
} from '../../src/accounts/accounts-service.ts';
import { currentTotp, revealSecrets } from '../../src/accounts/account-secrets.ts';
import { queryEvents } from '../../src/events/events-service.ts';
import { totpCode } from '../../src/vault/totp.ts';
import { createVault } from '../../src/vault/vault.ts';
import { accountDeps, keyLine, newAccount, username, vaultWith } from '../helpers/accounts.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const vault = vaultWith(keyLine('k1'));
const deps = () => accountDeps(t.db, vault);

describe('adding accounts', () => {
  it('stores secrets only as ciphertext bound to the row, and shows only whether each is set', async () => {
    const input = newAccount({ niche: 'motivation' });
    const account = await addAccount(deps(), input);
    expect(account).toMatchObject({
      platform: 'tiktok',
      username: input.username,
      state: 'created',
      nicheSlug: 'motivation',
    });
    expect(account.secrets.password).toEqual({ set: true, keyId: 'k1', keyConfigured: true });
    const { rows } = await t.pool.query(
      'SELECT email_enc, password_enc, proxy_credentials FROM accounts WHERE id = $1',
      [account.id],
    );
    expect(rows[0].password_enc.includes(Buffer.from(input.secrets!.password!))).toBe(false);
    expect(Buffer.from(rows[0].proxy_credentials, 'base64')[0]).toBe(1); // A base64 envelope in a TEXT column.
    expect(JSON.stringify(account)).not.toContain(input.secrets!.password);
  });

  it('keeps usernames unique per platform among live accounts', async () => {
    const name = username('dup');
    await addAccount(deps(), newAccount({ username: name }));
    await expect(addAccount(deps(), newAccount({ username: name.toUpperCase() }))).rejects.toMatchObject({
      code: 'conflict',
      message: `a live tiktok account named "${name.toUpperCase()}" already exists`,
    });
    await expect(
      addAccount(deps(), newAccount({ username: name, platform: 'instagram' })),
    ).resolves.toBeTruthy();
  });

  it.each([
    [{ platform: 'youtube' }, /platform: expected one of tiktok, instagram/],
    [{ username: 'has space' }, /username: expected 1–30 letters/],
    [{ state: 'paused' }, /state: expected one of created/],
    [{ niche: 'cooking' }, /niche: no niche "cooking"/],
    [{ device: 'iPhone-Z' }, /device: no device with id, udid or name "iPhone-Z"/],
    [{ followers: -3 }, /followers: expected a whole number/],
  ])('refuses %o with a message naming the field', async (override, message) => {
    await expect(addAccount(deps(), newAccount(override))).rejects.toThrow(message);
  });

  it('refuses secrets when no vault key is configured, and writes nothing', async () => {
    const name = username('nokey');
    const noKeys = accountDeps(t.db, createVault({ keys: undefined, keyFile: undefined }));
    await expect(addAccount(noKeys, newAccount({ username: name }))).rejects.toThrow(
      /no vault key is configured/,
    );
    await expect(getAccount(deps(), name)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('finding and listing', () => {
  it('finds an account by id, platform:username, or a username only one live account has', async () => {
    const a = await addAccount(deps(), newAccount());
    expect((await getAccount(deps(), a.id)).id).toBe(a.id);
    expect((await getAccount(deps(), `tiktok:${a.username}`)).id).toBe(a.id);
    expect((await getAccount(deps(), a.username.toUpperCase())).id).toBe(a.id);
    await addAccount(deps(), newAccount({ username: a.username, platform: 'instagram' }));
    await expect(getAccount(deps(), a.username)).rejects.toThrow(/names accounts on several platforms/);
  });

  it('filters by platform, state, niche and device, and pages with a cursor', async () => {
    const device = await factories.device(t.pool, { name: 'iPhone-List' });
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        await addAccount(
          deps(),
          newAccount({
            platform: 'instagram',
            niche: 'true_crime',
            device: 'iPhone-List',
            state: i % 2 ? 'active' : 'resting',
          }),
        ),
      );
    }
    const page1 = await listAccounts(deps(), { device: String(device.id), limit: 3 });
    expect(page1.accounts).toHaveLength(3);
    const page2 = await listAccounts(deps(), {
      device: String(device.id),
      limit: 3,
      after: page1.nextCursor!,
    });
    const page3 = await listAccounts(deps(), {
      device: String(device.id),
      limit: 3,
      after: page2.nextCursor!,
    });
    expect(page3.nextCursor).toBeNull();
    expect([...page1.accounts, ...page2.accounts, ...page3.accounts].map((a) => a.id)).toEqual(
      made.map((a) => a.id),
    );
    const active = await listAccounts(deps(), {
      platform: 'instagram',
      niche: 'true_crime',
      state: ['active'],
    });
    expect(active.accounts.every((a) => a.state === 'active' && a.platform === 'instagram')).toBe(true);
    await expect(listAccounts(deps(), { after: 'nonsense' })).rejects.toThrow(/after: not a cursor/);
  });

  it('lists the warming queue in the planner order: never warmed first, then least recently warmed', async () => {
    const device = await factories.device(t.pool, { name: 'iPhone-Warm' });
    const ids: string[] = [];
    for (const [i, warmed] of [null, '2026-01-03', '2026-01-01', null, '2026-01-02'].entries()) {
      const a = await addAccount(
        deps(),
        newAccount({ device: 'iPhone-Warm', state: i === 4 ? 'active' : 'created' }),
      );
      await t.pool.query('UPDATE accounts SET last_warmed_at = $1 WHERE id = $2', [warmed, a.id]);
      ids.push(a.id);
    }
    const banned = await addAccount(deps(), newAccount({ device: 'iPhone-Warm', state: 'banned' }));
    const page = await listAccounts(deps(), { device: String(device.id), needsWarming: true, limit: 2 });
    const rest = await listAccounts(deps(), {
      device: String(device.id),
      needsWarming: true,
      limit: 10,
      after: page.nextCursor!,
    });
    const order = [...page.accounts, ...rest.accounts].map((a) => a.id);
    expect(order).not.toContain(banned.id);
    expect(order.slice(0, 2).sort()).toEqual([ids[0], ids[3]].sort());
    expect(order.slice(2)).toEqual([ids[2], ids[4], ids[1]]);
  });
});

describe('changing and deleting', () => {
  it('updates fields and secrets, clearing a secret with null', async () => {
    const a = await addAccount(deps(), newAccount());
    const updated = await updateAccount(deps(), a.id, {
      bio: 'new bio',
      niche: 'personal_finance',
      followers: 120,
      secrets: { password: 'rotated-password-canary-x', proxy_credentials: null },
    });
    expect(updated).toMatchObject({ bio: 'new bio', nicheSlug: 'personal_finance', followers: 120 });
    expect(updated.secrets.proxy_credentials.set).toBe(false);
    expect((await revealSecrets(deps(), a.id, ['password'])).password).toBe('rotated-password-canary-x');
    await expect(updateAccount(deps(), a.id, {})).rejects.toThrow(/nothing to update/);
  });

  it('soft-deletes and restores, freeing the username while deleted', async () => {
    const a = await addAccount(deps(), newAccount());
    const deleted = await deleteAccount(deps(), a.id, 'sold');
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    await expect(deleteAccount(deps(), a.id)).rejects.toMatchObject({ code: 'conflict' });
    const live = (await listAccounts(deps(), { limit: 10_000 })).accounts.map((x) => x.id);
    expect(live).not.toContain(a.id);
    expect(
      (await listAccounts(deps(), { deleted: 'only', limit: 10_000 })).accounts.map((x) => x.id),
    ).toContain(a.id);

    const twin = await addAccount(deps(), newAccount({ username: a.username }));
    await expect(restoreAccount(deps(), a.id)).rejects.toThrow(/cannot restore: a live tiktok account named/);
    await deleteAccount(deps(), twin.id);
    expect((await restoreAccount(deps(), a.id)).deletedAt).toBeNull();
  });
});

describe('reading secrets', () => {
  it('reveals decrypted secrets and records who revealed what, never the values', async () => {
    const input = newAccount();
    const a = await addAccount(deps(), input);
    const secrets = await revealSecrets(accountDeps(t.db, vault, 'dana'), a.id);
    expect(secrets).toEqual(input.secrets);
    const { events } = await queryEvents(t.db, { accountId: a.id, type: 'secret_revealed' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      category: 'auth',
      context: { actor: 'dana', fields: ['email', 'password', 'totp_secret', 'proxy_credentials'] },
    });
  });

  it('gives the current TOTP code from the stored secret, audited', async () => {
    const input = newAccount();
    const a = await addAccount(deps(), input);
    const at = new Date('2026-11-25T12:00:10Z');
    const { code, secondsLeft } = await currentTotp(deps(), a.id, at);
    expect(code).toBe(totpCode(input.secrets!.totp_secret!, at));
    expect(secondsLeft).toBe(20);
    expect((await queryEvents(t.db, { accountId: a.id, type: 'totp_generated' })).events).toHaveLength(1);
  });

  it('lists accounts whose key is missing without failing, and names the key when asked to decrypt', async () => {
    const vault = vaultWith(keyLine('gone'));
    const a = await addAccount(accountDeps(t.db, vault), newAccount());
    const withoutIt = accountDeps(t.db, vaultWith(keyLine('k9')));
    const listed = (await listAccounts(withoutIt, { limit: 10_000 })).accounts.find((x) => x.id === a.id);
    expect(listed?.secrets.password).toEqual({ set: true, keyId: 'gone', keyConfigured: false });
    await expect(revealSecrets(withoutIt, a.id)).rejects.toThrow(
      /encrypted under key "gone", which is not configured/,
    );
  });
});
