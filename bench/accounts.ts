// Vault and import figures: envelope sealing/opening against bare AES-256-GCM, and `accounts import` of a
// CSV against a raw COPY of the same file through the same driver.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { importAccountsCsv } from '../src/accounts/account-import.ts';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool } from '../src/db/pool.ts';
import { createVault } from '../src/vault/vault.ts';
import { logger, median, timeIt, type BenchServer, type Section } from './harness.ts';
import { defaultWarmingPolicy } from '../src/warming/warming-policy.ts';

const OPS = 200_000;
const IMPORT_ROWS = 50_000;

function vaultFigures() {
  const key = randomBytes(32);
  const vault = createVault({ keys: `k1:${key.toString('base64')}`, keyFile: undefined });
  const binding = {
    table: 'accounts',
    column: 'password_enc',
    rowId: '6f0c2a1e-2d5b-4a1f-9a59-1d6f7c2b8e01',
  };
  const plaintext = 'a-typical-password-1234';
  const sealed: Buffer[] = [];
  const raw: { iv: Buffer; ct: Buffer; tag: Buffer }[] = [];
  const runs = {
    seal: [] as number[],
    open: [] as number[],
    rawSeal: [] as number[],
    rawOpen: [] as number[],
  };
  for (let round = 0; round < 3; round++) {
    runs.rawSeal.push(
      timeSync(() => {
        for (let i = 0; i < OPS; i++) {
          const iv = randomBytes(12);
          const c = createCipheriv('aes-256-gcm', key, iv);
          const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
          raw[i] = { iv, ct, tag: c.getAuthTag() };
        }
      }),
    );
    runs.seal.push(
      timeSync(() => {
        for (let i = 0; i < OPS; i++) sealed[i] = vault.seal(plaintext, binding);
      }),
    );
    runs.rawOpen.push(
      timeSync(() => {
        for (const r of raw) {
          const d = createDecipheriv('aes-256-gcm', key, r.iv, { authTagLength: 16 });
          d.setAuthTag(r.tag);
          Buffer.concat([d.update(r.ct), d.final()]).toString('utf8');
        }
      }),
    );
    runs.open.push(
      timeSync(() => {
        for (const s of sealed) vault.open(s, binding);
      }),
    );
  }
  const rate = (ms: number[]) => OPS / (median(ms) / 1000);
  // 10^6 envelopes under one key: every IV must differ (random 96-bit IVs; a repeat would break GCM).
  const ivs = new Set<string>();
  const offset = 2 + 2; // version, id length, "k1"
  for (let i = 0; i < 1_000_000; i++)
    ivs.add(vault.seal('x', binding).toString('latin1', offset, offset + 12));
  return {
    seal: rate(runs.seal),
    open: rate(runs.open),
    rawSeal: rate(runs.rawSeal),
    rawOpen: rate(runs.rawOpen),
    repeatedIvs: 1_000_000 - ivs.size,
  };
}

function timeSync(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function csvFile(rows: number): string {
  const lines = ['platform,username,niche,state,followers,email,password'];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `${i % 2 ? 'tiktok' : 'instagram'},bench_user_${i},personal_finance,active,${i % 5000},user${i}@example.com,pw-${i}-${randomBytes(6).toString('hex')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function accountsBench(server: BenchServer): Promise<Section> {
  const v = vaultFigures();
  const text = csvFile(IMPORT_ROWS);
  const template = await server.createDatabase();
  await migrate({ url: template.url }, { logger });
  const vault = createVault({ keys: `k1:${randomBytes(32).toString('base64')}`, keyFile: undefined });

  const soviMs: number[] = [];
  const copyMs: number[] = [];
  for (let round = 0; round < 3; round++) {
    const target = await server.createDatabase(template.name);
    const pool = createPool(
      { url: target.url },
      { min: 1, max: 2, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench' },
      logger,
    );
    const db = createDb(pool);
    soviMs.push(
      await timeIt(() =>
        importAccountsCsv({ db, vault, actor: 'bench', warmingPolicy: defaultWarmingPolicy }, text, {
          source: 'bench.csv',
        }),
      ),
    );
    await db.destroy();

    // Baseline: the same bytes through COPY … CSV into a table of the same columns, same driver, no checks.
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    await client.query(`CREATE TABLE copy_target (platform text, username text, niche text, state text,
                        followers int, email text, password text)`);
    copyMs.push(
      await timeIt(() =>
        pipeline(
          Readable.from([text]),
          client.query(copyFrom('COPY copy_target FROM STDIN WITH (FORMAT csv, HEADER true)')),
        ),
      ),
    );
    await client.end();
    await server.dropDatabase(target.name);
  }
  const soviRate = IMPORT_ROWS / (median(soviMs) / 1000);
  const copyRate = IMPORT_ROWS / (median(copyMs) / 1000);
  const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
  return {
    title: 'Accounts: the credential vault and CSV import',
    notes: [
      `Vault: ${OPS.toLocaleString('en-US')} short values per run, median of 3 runs; the baseline is bare AES-256-GCM ` +
        '(random IV, no envelope, no associated data) with the same key.',
      `Import: ${IMPORT_ROWS.toLocaleString('en-US')} rows with 2 secrets each (email, password), median of 3 runs into a fresh ` +
        'database; sovi parses, checks every row, seals the secrets, writes accounts + activity rows in one transaction. ' +
        'The baseline is COPY … CSV of the same file into a plain table of the same columns, through the same driver.',
    ],
    rows: [
      {
        what: 'seal (encrypt) a secret',
        sovi: fmt(v.seal),
        baseline: fmt(v.rawSeal),
        ratio: `${(v.seal / v.rawSeal).toFixed(2)}× raw`,
      },
      {
        what: 'open (decrypt) a secret',
        sovi: fmt(v.open),
        baseline: fmt(v.rawOpen),
        ratio: `${(v.open / v.rawOpen).toFixed(2)}× raw`,
      },
      {
        what: 'accounts import, rows',
        sovi: fmt(soviRate),
        baseline: `${fmt(copyRate)} (COPY)`,
        ratio: `${(soviRate / copyRate).toFixed(2)}× COPY`,
      },
    ],
  };
}
