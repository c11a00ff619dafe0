// The dashboard's account routes: a CSV preview that lists every bad line and writes nothing, the import
// itself (all or nothing), bulk state changes where the lifecycle refuses some accounts and not others,
// bulk moves to a device, and the last post read from the account's posts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canary, canaryTotpSecret } from '../helpers/canary.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const countAccounts = async (like: string) =>
  Number((await t.pool.query('SELECT count(*) FROM accounts WHERE username LIKE $1', [like])).rows[0].count);

describe('account import from the dashboard', () => {
  it('previews every bad line by number and field, and writes nothing', async () => {
    const password = canary('password');
    const csv = [
      'platform,username,niche,state,password,totp_secret',
      `tiktok,prev_ok_1,,created,${password},${canaryTotpSecret()}`,
      'myspace,prev_bad_platform,,created,,',
      'tiktok,prev_ok_2,no_such_niche,created,,',
      'tiktok,prev bad name,,sleeping,,',
      'tiktok,prev_ok_1,,created,,',
    ].join('\n');
    const preview = await api.call('POST', '/api/v1/accounts/import-preview', { csv, source: 'team.csv' });
    expect(preview.statusCode, preview.body).toBe(200);
    const { rows, issues } = preview.json<{
      rows: number;
      issues: { line: number; field?: string; message: string }[];
    }>();
    expect(rows).toBe(5);
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [3, 'platform'],
      [4, 'niche'],
      [5, 'username'],
      [5, 'state'],
      [6, 'username'],
    ]);
    expect(preview.body).not.toContain(password);
    expect(await countAccounts('prev_%')).toBe(0);

    const refused = await api.call('POST', '/api/v1/accounts/import', { csv, source: 'team.csv' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.issues).toHaveLength(5);
    expect(await countAccounts('prev_%')).toBe(0);
  });

  it('previews a bad header as an issue on line 1', async () => {
    const preview = await api.call('POST', '/api/v1/accounts/import-preview', {
      csv: 'platform,handle\ntiktok,x\n',
    });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().issues[0]).toMatchObject({ line: 1 });
  });

  it('imports a clean file after its preview, all rows at once', async () => {
    const csv = 'platform,username,state\ntiktok,imp_one,created\ninstagram,imp_two,active\n';
    const preview = await api.call('POST', '/api/v1/accounts/import-preview', { csv });
    expect(preview.json()).toEqual({ rows: 2, issues: [] });
    const imported = await api.call('POST', '/api/v1/accounts/import', { csv, source: 'clean.csv' });
    expect(imported.statusCode, imported.body).toBe(201);
    expect(imported.json()).toEqual({ imported: 2 });
    expect(await countAccounts('imp_%')).toBe(2);
  });

  it('is refused to a read-only token', async () => {
    const csv = 'platform,username\ntiktok,ro_one\n';
    for (const path of ['/api/v1/accounts/import-preview', '/api/v1/accounts/import']) {
      expect((await api.call('POST', path, { csv }, api.reader.secret)).statusCode).toBe(403);
    }
    expect(await countAccounts('ro_%')).toBe(0);
  });
});

describe('bulk changes of selected accounts', () => {
  it('change each state the lifecycle allows and report the refusals with the allowed states', async () => {
    const a = await factories.account(t.pool, { username: 'bulk_a', current_state: 'active' });
    const b = await factories.account(t.pool, { username: 'bulk_b', current_state: 'resting' });
    const c = await factories.account(t.pool, { username: 'bulk_c', current_state: 'created' });
    const first = await api.call('POST', '/api/v1/accounts/bulk-state', {
      accounts: [a.id, b.id],
      state: 'cooldown',
      reason: 'too many challenges this week',
    });
    expect(first.statusCode, first.body).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({ changed: 2, refused: 0 });
    const second = await api.call('POST', '/api/v1/accounts/bulk-state', {
      accounts: [a.id, c.id],
      state: 'resting',
      reason: 'a quiet week',
    });
    const after = second.json();
    expect(after).toMatchObject({ changed: 1, refused: 1 });
    const refusal = after.results.find((r: { id: string }) => r.id === c.id);
    expect(refusal).toMatchObject({ ok: false, account: `tiktok:bulk_c`, error: { code: 'conflict' } });
    expect(refusal.error.allowed).toContain('warming_p1');
    expect(refusal.error.allowed).not.toContain('resting');
    const { rows } = await t.pool.query('SELECT username, current_state FROM accounts WHERE id = ANY($1)', [
      [a.id, c.id],
    ]);
    expect(Object.fromEntries(rows.map((r) => [r.username, r.current_state]))).toEqual({
      bulk_a: 'resting',
      bulk_c: 'created',
    });
  });

  it('move the selected accounts to a device, and refuse an unknown device for all', async () => {
    const phone = await factories.device(t.pool, { name: 'bulk-move-phone', udid: 'bulk-move-udid' });
    const a = await factories.account(t.pool, { username: 'move_a' });
    const b = await factories.account(t.pool, { username: 'move_b' });
    const moved = await api.call('POST', '/api/v1/accounts/bulk-move', {
      accounts: [a.id, b.id],
      device: 'bulk-move-phone',
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ changed: 2, refused: 0 });
    const { rows } = await t.pool.query('SELECT device_id FROM accounts WHERE id = ANY($1)', [[a.id, b.id]]);
    expect(rows.map((r) => r.device_id)).toEqual([phone.id, phone.id]);

    const unknown = await api.call('POST', '/api/v1/accounts/bulk-move', {
      accounts: [a.id],
      device: 'no-such-phone',
    });
    expect(unknown.statusCode).toBe(404);
    const off = await api.call('POST', '/api/v1/accounts/bulk-move', { accounts: [a.id], device: null });
    expect(off.json()).toMatchObject({ changed: 1 });
  });

  it('refuse bad input by field and read-only tokens', async () => {
    const empty = await api.call('POST', '/api/v1/accounts/bulk-state', {
      accounts: [],
      state: 'active',
      reason: 'x',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.field).toContain('accounts');
    const a = await factories.account(t.pool, { username: 'bulk_ro' });
    const ro = await api.call(
      'POST',
      '/api/v1/accounts/bulk-move',
      { accounts: [a.id], device: null },
      api.reader.secret,
    );
    expect(ro.statusCode).toBe(403);
  });
});

describe('last post', () => {
  it('is read from the account’s posts even when the account row was never told', async () => {
    const account = await factories.account(t.pool, { username: 'posted_quietly' });
    const content = await factories.content(t.pool, {});
    const postedAt = new Date(Date.now() - 3_600_000);
    await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      status: 'posted',
      posted_at: postedAt,
    });
    const shown = await api.call('GET', `/api/v1/accounts/${String(account.id)}`);
    expect(new Date(shown.json().lastPostAt).getTime()).toBe(postedAt.getTime());
  });
});
