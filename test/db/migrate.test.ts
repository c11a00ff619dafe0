// `sovi migrate`: in order, once, each file in a transaction, refusing drift; safe under concurrency.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrationFiles, MIGRATIONS_DIR } from '../../src/db/migrations/files.ts';
import { migrate, planMigrations } from '../../src/db/migrations/migrator.ts';
import { SoviError } from '../../src/errors.ts';
import { createDatabase, dropDatabase, quietLogger } from '../helpers/database.ts';

const logger = quietLogger;
const created: string[] = [];
let tmp: string;

async function emptyDatabase(): Promise<string> {
  const { name, url } = await createDatabase({ template: false });
  created.push(name);
  return url;
}

async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmp, 'migrations-'));
  for (const [name, sql] of Object.entries(files)) await fs.writeFile(path.join(dir, name), sql);
  return dir;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-migrate-test-'));
});
afterAll(async () => {
  await Promise.all(created.map(dropDatabase));
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('applying', () => {
  it('applies every file in order on an empty database, then finds nothing to do', async () => {
    const url = await emptyDatabase();
    const files = await loadMigrationFiles();
    const first = await migrate({ url }, { logger });
    expect(first.applied.map((m) => m.name)).toEqual(files.map((f) => f.name));
    expect(files.slice(0, 3).map((f) => f.name)).toEqual([
      '001_initial_schema.sql',
      '002_continuous_aggregates.sql',
      '003_scheduler_events.sql',
    ]);

    const before = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM niches');
    const second = await migrate({ url }, { logger });
    expect(second).toEqual({ applied: [], alreadyApplied: files.length });
    expect(await query(url, 'SELECT count(*)::int AS n FROM niches')).toEqual(before);

    const recorded = await query<{ name: string; checksum: string }>(
      url,
      'SELECT name, checksum FROM sovi_migrations ORDER BY name',
    );
    expect(recorded).toEqual(files.map((f) => ({ name: f.name, checksum: f.checksum })));
  });

  it('applies each file exactly once when five migrators start at the same moment', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate({ url }, { logger })));
    const files = await loadMigrationFiles();
    const appliedNames = results.flatMap((r) => r.applied.map((m) => m.name)).sort();
    expect(appliedNames).toEqual(files.map((f) => f.name).sort());
    const [row] = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM sovi_migrations');
    expect(row?.n).toBe(files.length);
    const [niches] = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM niches');
    expect(niches?.n).toBe(5);
  });

  it('rolls a failing file back entirely and names the file and line', async () => {
    const url = await emptyDatabase();
    const dir = await migrationsDir({
      '001_ok.sql': 'CREATE TABLE ok_table (id int);\n',
      '002_bad.sql': 'CREATE TABLE half_done (id int);\n\nSELEC oops;\n',
    });
    const files = await loadMigrationFiles(dir);
    const error = await migrate({ url }, { logger, files }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SoviError);
    expect((error as SoviError).message).toMatch(/migration 002_bad\.sql failed at line 3: syntax error/);
    expect(await query(url, 'SELECT name FROM sovi_migrations')).toEqual([{ name: '001_ok.sql' }]);
    expect(await query(url, "SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
  });

  it('runs a file marked sovi:no-transaction outside a transaction', async () => {
    const url = await emptyDatabase();
    const dir = await migrationsDir({
      '001_table.sql': 'CREATE TABLE big (id int);\n',
      '002_index.sql': '-- sovi:no-transaction\nCREATE INDEX CONCURRENTLY big_id_idx ON big (id);\n',
    });
    const result = await migrate({ url }, { logger, files: await loadMigrationFiles(dir) });
    expect(result.applied.map((m) => m.name)).toEqual(['001_table.sql', '002_index.sql']);
  });
});

describe('refusing drift', () => {
  it('refuses an applied file whose content changed, naming it, and applies nothing', async () => {
    const url = await emptyDatabase();
    const dir = await migrationsDir({
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '002_b.sql': 'CREATE TABLE b (id int);\n',
    });
    await migrate({ url }, { logger, files: await loadMigrationFiles(dir) });
    await fs.writeFile(path.join(dir, '002_b.sql'), 'CREATE TABLE b (id bigint);\n');
    await fs.writeFile(path.join(dir, '003_c.sql'), 'CREATE TABLE c (id int);\n');
    const error = (await migrate({ url }, { logger, files: await loadMigrationFiles(dir) }).catch(
      (e: unknown) => e,
    )) as SoviError;
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/migration 002_b\.sql was changed after it was applied/);
    expect(await query(url, "SELECT to_regclass('c') AS t")).toEqual([{ t: null }]);
  });

  it('treats a CRLF checkout of the same text as unchanged', async () => {
    const url = await emptyDatabase();
    const dir = await migrationsDir({ '001_a.sql': 'CREATE TABLE a (id int);\nSELECT 1;\n' });
    await migrate({ url }, { logger, files: await loadMigrationFiles(dir) });
    await fs.writeFile(path.join(dir, '001_a.sql'), 'CREATE TABLE a (id int);\r\nSELECT 1;\r\n');
    await expect(migrate({ url }, { logger, files: await loadMigrationFiles(dir) })).resolves.toMatchObject({
      applied: [],
    });
  });

  it('refuses a database with an applied migration this checkout does not have', async () => {
    const url = await emptyDatabase();
    const dir = await migrationsDir({ '001_a.sql': 'SELECT 1;\n', '002_b.sql': 'SELECT 2;\n' });
    await migrate({ url }, { logger, files: await loadMigrationFiles(dir) });
    await fs.rm(path.join(dir, '002_b.sql'));
    await expect(migrate({ url }, { logger, files: await loadMigrationFiles(dir) })).rejects.toThrow(
      /the database has migration 002_b\.sql applied, but migrations\/ has no such file/,
    );
  });

  it('refuses a pending file numbered below an applied one', () => {
    const files = [
      { name: '001_a.sql', version: 1, checksum: 'x', sql: '', transactional: true },
      { name: '002_late.sql', version: 2, checksum: 'y', sql: '', transactional: true },
      { name: '003_c.sql', version: 3, checksum: 'z', sql: '', transactional: true },
    ];
    const applied = [
      { name: '001_a.sql', checksum: 'x', appliedAt: new Date(), durationMs: 1 },
      { name: '003_c.sql', checksum: 'z', appliedAt: new Date(), durationMs: 1 },
    ];
    expect(planMigrations(files, applied).problems).toEqual([
      'migration 002_late.sql is pending but numbered below an applied one: renumber it after the newest',
    ]);
  });

  it('refuses misnamed and duplicate-numbered files', async () => {
    await expect(loadMigrationFiles(await migrationsDir({ 'add_table.sql': '' }))).rejects.toThrow(
      /migration file add_table\.sql is misnamed/,
    );
    await expect(
      loadMigrationFiles(await migrationsDir({ '001_a.sql': '', '001_b.sql': '' })),
    ).rejects.toThrow(/migrations 001_a\.sql and 001_b\.sql share the number 001/);
  });

  it('ships the spec migration files under migrations/', async () => {
    const names = await fs.readdir(MIGRATIONS_DIR);
    expect(names).toEqual(
      expect.arrayContaining([
        '001_initial_schema.sql',
        '002_continuous_aggregates.sql',
        '003_scheduler_events.sql',
      ]),
    );
  });
});

describe('a separate table owner and application role', () => {
  it('grants the application role DML, but neither DDL nor writes to the migration records', async () => {
    const url = await emptyDatabase();
    const role = `sovi_app_${Math.random().toString(36).slice(2, 8)}`;
    await query(url, `CREATE ROLE ${role} LOGIN PASSWORD 'app-secret'`);
    try {
      await migrate({ url }, { logger, appRole: role });
      const appUrl = new URL(url);
      appUrl.username = role;
      appUrl.password = 'app-secret';
      const app = appUrl.toString();
      await query(app, "INSERT INTO niches (name, slug) VALUES ('Cooking', 'cooking')");
      await query(app, "UPDATE niches SET tier = '3' WHERE slug = 'cooking'");
      await query(
        app,
        "INSERT INTO system_events (category, severity, event_type, message) VALUES ('auth', 'info', 'x', 'y')",
      );
      await query(app, "INSERT INTO activity_log (action_type) VALUES ('probe')");
      await query(app, 'SELECT count(*) FROM sovi_migrations');
      await expect(query(app, 'CREATE TABLE sneaky (id int)')).rejects.toMatchObject({ code: '42501' });
      await expect(query(app, 'DROP TABLE niches')).rejects.toMatchObject({ code: '42501' });
      await expect(query(app, 'DELETE FROM sovi_migrations')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await query(url, `DROP OWNED BY ${role}`);
      await query(url, `DROP ROLE ${role}`);
    }
  });

  it('names SOVI_DB_APP_ROLE when the role does not exist', async () => {
    const url = await emptyDatabase();
    await expect(migrate({ url }, { logger, appRole: 'no_such_role_xyz' })).rejects.toThrow(
      /SOVI_DB_APP_ROLE: role "no_such_role_xyz" does not exist/,
    );
  });
});
