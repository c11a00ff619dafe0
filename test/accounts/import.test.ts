// CSV import: every bad row reported with its line number, then all rows written or none.
import { describe, expect, it } from 'vitest';
import { importAccountsCsv } from '../../src/accounts/account-import.ts';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { revealSecrets } from '../../src/accounts/account-secrets.ts';
import type { SoviError } from '../../src/errors.ts';
import { accountDeps, keyLine, newAccount, username, vaultWith } from '../helpers/accounts.ts';
import { canary, canaryTotpSecret } from '../helpers/canary.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const vault = vaultWith(keyLine('k1'));
const deps = () => accountDeps(t.db, vault);
const count = async () => Number((await t.pool.query('SELECT count(*) FROM accounts')).rows[0].count);

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

async function importError(text: string): Promise<SoviError> {
  const before = await count();
  const error = (await importAccountsCsv(deps(), text, { source: 'accounts.csv' }).catch(
    (e: unknown) => e,
  )) as SoviError;
  expect(await count()).toBe(before); // Nothing written.
  return error;
}

describe('account import', () => {
  it('imports every row, sealing each secret for its own row', async () => {
    await factories.device(t.pool, { name: 'iPhone-Imp' });
    const rows = Array.from({ length: 5 }, () => ({
      username: username('imp'),
      password: canary('password'),
      totp: canaryTotpSecret(),
    }));
    const text = csv(
      'platform,username,niche,device,state,followers,password,totp_secret,email',
      ...rows.map(
        (r, i) =>
          `${i % 2 ? 'instagram' : 'tiktok'},${r.username},motivation,iPhone-Imp,active,${i * 10},${r.password},${r.totp},`,
      ),
    );
    const progress: [string, number, number][] = [];
    const result = await importAccountsCsv(deps(), text, {
      source: 'a.csv',
      onProgress: (...p) => progress.push(p),
    });
    expect(result).toEqual({ imported: 5 });
    expect(progress.at(-1)).toEqual(['write', 5, 5]);
    const secrets = await revealSecrets(deps(), `tiktok:${rows[0]!.username}`);
    expect(secrets).toEqual({ password: rows[0]!.password, totp_secret: rows[0]!.totp });
    const { rows: dbRows } = await t.pool.query(
      `SELECT a.current_state, a.followers, n.slug, d.name FROM accounts a JOIN niches n ON n.id = a.niche_id
       JOIN devices d ON d.id = a.device_id WHERE a.username = $1`,
      [rows[1]!.username],
    );
    expect(dbRows[0]).toEqual({
      current_state: 'active',
      followers: 10,
      slug: 'motivation',
      name: 'iPhone-Imp',
    });
  });

  it('reports every bad row with its line number, and imports none', async () => {
    const taken = await addAccount(deps(), newAccount());
    const good = username('good');
    const error = await importError(
      csv(
        'platform,username,niche,followers,totp_secret',
        `tiktok,${good},motivation,5,`,
        'youtube,someone,motivation,1,',
        `tiktok,${taken.username},,,`,
        'tiktok,bad name,,,',
        `tiktok,${good.toUpperCase()},,,`,
        'instagram,fine_one,cooking,-2,',
        'instagram,fine_two,,,not-base32!',
        'tiktok,short_row',
      ),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.details.issues?.map((i) => [i.line, i.field])).toEqual([
      [3, 'platform'],
      [4, 'username'],
      [5, 'username'],
      [6, 'username'],
      [7, 'followers'],
      [7, 'niche'],
      [8, 'totp_secret'],
      [9, undefined],
    ]);
    expect(error.message).toMatch(/nothing was imported/);
    expect(error.message).toMatch(/line 4: username: a live tiktok account ".*" already exists/);
    expect(error.message).toMatch(
      new RegExp(`line 6: username: "${good.toUpperCase()}" is already on line 2`),
    );
    expect(error.message).toMatch(/line 9: expected 5 fields, got 2/);
    expect(error.message).not.toContain('not-base32!'); // Secrets are never echoed, even bad ones.
  });

  it('refuses unknown, missing and repeated columns before reading rows', async () => {
    expect((await importError(csv('platform,user,pass', 'tiktok,a,b'))).message).toMatch(
      /line 1: unknown column "user"; unknown column "pass"; missing column "username"/,
    );
    expect((await importError(csv('platform,username,platform', 'tiktok,a,tiktok'))).message).toMatch(
      /column "platform" appears twice/,
    );
    expect((await importError('')).message).toMatch(/is empty/);
  });

  it('reports malformed CSV with its line', async () => {
    const error = await importError(csv('platform,username', 'tiktok,ok_1', 'tiktok,"unclosed'));
    expect(error.message).toMatch(/line 3: not valid CSV: a quote \("\) opens a field that is never closed/);
  });

  it('reads on after a line that is not valid CSV, reporting every bad line and writing nothing', async () => {
    const error = await importError(
      csv(
        'platform,username,followers',
        `tiktok,${username('ok')},1`,
        `tiktok,"${username('unclosed')},2`, // line 3: an unterminated quote
        `tiktok,${username('ok')},3`,
        `tiktok,${username('extra')},4,surplus`, // line 5: an extra column
        `tiktok,ab"c${username('stray')},5`, // line 6: a stray quote
        'tiktok,bad name!,6', // line 7: a bad value
        `tiktok,${username('ok')},7`,
      ),
    );
    expect(error.code).toBe('invalid_input');
    expect([...new Set(error.details.issues?.map((i) => i.line))]).toEqual([3, 5, 6, 7]);
    expect(error.message).toMatch(/line 3: not valid CSV/);
    expect(error.message).toMatch(/line 5: expected 3 fields, got 4/);
    expect(error.message).toMatch(/line 6: not valid CSV/);
    expect(error.message).toMatch(/line 7: username: /);
  });

  it('writes all or none when a row conflicts at write time', async () => {
    const name = username('late');
    // A unique violation inside the transaction (here: forced by a trigger) must roll back every row.
    await t.pool.query(`
      CREATE FUNCTION reject_late() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.username = '${name}' THEN RAISE unique_violation USING MESSAGE = 'late duplicate'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER reject_late BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION reject_late();`);
    try {
      const error = await importError(
        csv('platform,username', `tiktok,${username('first')}`, `tiktok,${name}`),
      );
      expect(error.code).toBe('conflict');
      expect(error.message).toMatch(/nothing was imported/);
    } finally {
      await t.pool.query('DROP TRIGGER reject_late ON accounts; DROP FUNCTION reject_late()');
    }
  });

  it('imports 20,000 rows in one transaction, reporting progress', async () => {
    const lines = Array.from(
      { length: 20_000 },
      (_, i) => `instagram,bulk_${process.pid}_${i},personal_finance,pw-${i}`,
    );
    const phases = new Set<string>();
    const result = await importAccountsCsv(deps(), csv('platform,username,niche,password', ...lines), {
      source: 'bulk.csv',
      onProgress: (phase) => phases.add(phase),
    });
    expect(result.imported).toBe(20_000);
    expect([...phases]).toEqual(['check', 'write']);
    const { rows } = await t.pool.query(
      `SELECT count(*)::int AS n FROM activity_log WHERE action_type = 'account_imported' AND detail_json->>'source' = 'bulk.csv'`,
    );
    expect(rows[0].n).toBe(20_000);
  });
});
