// `sovi accounts import` under malformed files: whatever the damage, a clear refusal naming the line (and the
// field), nothing written, never a crash; a file with known bad rows gets exactly those rows named; a secret
// is never echoed in a refusal.
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importAccountsCsv, importColumns } from '../../src/accounts/account-import.ts';
import type { SoviError } from '../../src/errors.ts';
import { accountDeps, keyLine, vaultWith } from '../helpers/accounts.ts';
import { runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { asReadByCli, type Table } from './csv-files.ts';
import { fuzzCsvImporter } from './importer-harness.ts';
import { expectCliRefusal, rowCounts, tempDir } from './outcome.ts';

const t = useTestDatabase();
const key = keyLine('k1');
const vault = vaultWith(key);
const TABLES = ['accounts', 'activity_log', 'system_events'] as const;

const badValues: Record<string, readonly string[]> = {
  platform: ['youtube', 'TIKTOK', 'tik tok', ''],
  username: ['bad name', 'x'.repeat(31), 'ünïcode', 'a\u0000b', '-dash', ''],
  state: ['flying', 'Active'],
  followers: ['-1', 'NaN', '1e3', '99999999999', '1.5', '0x10', '+5', 'Infinity'],
  following: ['-0.0', 'ten', '2147483648'],
  totp_secret: ['not-base32!', 'ABC', '0189'],
  niche: ['no_such_niche', 'Motivation', 'nul\u0000niche'],
  device: ['no-such-device', 'nul\u0000device'],
  bio: ['a NUL \u0000 byte'],
  profile_pic_url: ['https://x.io/\u0000.png'],
  password: ['pass\u0000word'],
};
/** Secret values are marked so that a refusal echoing one is caught (they are not canaries: a file whose
 *  header is shuffled may legitimately store one as a bio, which is the user's mistake, not a leak). */
const SECRET_MARK = 'zz-secret-';

let run = 0;
function validTable(rows: number): Table {
  const id = `${process.pid}_${++run}`;
  return {
    // The importer's own columns, in its order: a valid file is what the importer documents.
    header: [...importColumns],
    rows: Array.from({ length: rows }, (_, i) => [
      i % 2 ? 'instagram' : 'tiktok',
      `fz_${id}_${i}`,
      'motivation',
      'fuzz-phone',
      i % 3 ? 'created' : 'active',
      `bio of ${i}, "quoted"`,
      '',
      String(i * 7),
      '0',
      `${SECRET_MARK}mail${i}@x.io`,
      `${SECRET_MARK}pw-${id}-${i}`,
      'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      `user:${SECRET_MARK}proxy@p.example:8080`,
    ]),
  };
}

const importText = (text: string) =>
  importAccountsCsv(accountDeps(t.db, vault), text, { source: 'accounts.csv' });
const env = () => ({ DATABASE_URL: t.url, SOVI_VAULT_KEYS: key });

beforeAll(async () => {
  await factories.device(t.pool, { name: 'fuzz-phone', udid: 'fuzz-phone-udid' });
});

describe('accounts import with malformed files', () => {
  fuzzCsvImporter({
    command: ['accounts', 'import'],
    extension: '.csv',
    pool: () => t.pool,
    env,
    tables: TABLES,
    badValues,
    validTable,
    importFile: (bytes) => importText(asReadByCli(bytes)),
    expectWritten: (result, delta) =>
      expect(delta).toEqual({
        accounts: result.imported,
        activity_log: result.imported,
        system_events: 1,
      }),
    secretMark: SECRET_MARK,
  });

  it('refuses a bad TOTP secret without echoing it', async () => {
    const error = await importText('platform,username,totp_secret\ntiktok,totp_echo,not-base32!\n').then(
      () => expect.unreachable('accepted'),
      (e: unknown) => e as SoviError,
    );
    expect(error.message).toMatch(/line 2: totp_secret: expected a base32 secret/);
    expect(error.message).not.toContain('not-base32!');
  });

  it('names the line a row starts on, however lines end and whatever lines a field spans', async () => {
    const error = await importText(
      'platform,username,bio\r\ntiktok,ok_a,"two\r\nlines"\r\n\r\nmyspace,ok_b,\r\n',
    ).then(
      () => expect.unreachable('accepted'),
      (e: unknown) => e as SoviError,
    );
    expect(error.details.issues).toEqual([
      { line: 5, field: 'platform', message: expect.stringMatching(/^platform: expected one of/) },
    ]);
  });

  it('exits 2 naming the line and field of a bad row, through the real CLI', async () => {
    const file = path.join(await tempDir('accounts'), 'bad.csv');
    await fs.writeFile(file, 'platform,username\r\ntiktok,ok_name\r\n\r\nmyspace,other\r\n');
    const before = await rowCounts(t.pool, TABLES);
    const refused = await runSovi(['accounts', 'import', file], env());
    expectCliRefusal(refused);
    expect(refused.stderr).toMatch(/line 4: platform: expected one of tiktok, instagram, got "myspace"/);
    expect(await rowCounts(t.pool, TABLES)).toEqual(before);
  });
});
