// A fresh database per test file, cloned from the migrated template. Also: empty databases for the
// migration tests, and a pino logger that stays quiet unless a test asks.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { isObjectInUse } from '../../src/db/pg-errors.ts';
import { createDb, createPool, type Db } from '../../src/db/pool.ts';
import { scanDatabaseForCanaries } from './canary.ts';
import { isMarkedNoDatabase } from './test-files.ts';
import { urlWithDatabase } from './urls.ts';

export const quietLogger = pino({ level: 'silent' });

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly db: Db;
  readonly pool: pg.Pool;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const file = expect.getState().testPath;
  if (file !== undefined && isMarkedNoDatabase(file))
    throw new Error(`${file} is marked "// @no-database" but asks for a test database: remove the mark`);
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(
  options: { template?: boolean } = {},
): Promise<{ name: string; url: string }> {
  const name = `sovi_test_${inject('runId')}_${randomBytes(5).toString('hex')}`;
  await admin(async (client) => {
    const template = options.template === false ? 'template0' : inject('templateDatabase');
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (err) {
        // 55006: the template is briefly busy (another clone is starting); retry.
        if (!isObjectInUse(err) || attempt > 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  return { name, url: urlWithDatabase(inject('adminUrl'), name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Registers beforeAll/afterAll for a migrated database of this test file's own. */
export function useTestDatabase(): TestDatabase {
  const handle = {} as { -readonly [K in keyof TestDatabase]: TestDatabase[K] };
  beforeAll(async () => {
    const { name, url } = await createDatabase();
    const pool = createPool(
      { url },
      { min: 0, max: 5, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'sovi test' },
      quietLogger,
    );
    Object.assign(handle, { name, url, pool, db: createDb(pool) });
  });
  afterAll(async () => {
    // Whatever the file did, no plaintext secret may have reached the event log or the activity log.
    const leaked = handle.pool ? await scanDatabaseForCanaries(handle.pool) : [];
    await handle.db?.destroy();
    if (handle.pool && !handle.pool.ended) await handle.pool.end();
    if (handle.name) await dropDatabase(handle.name);
    if (leaked.length > 0)
      throw new Error(`plaintext secrets reached the database log tables: ${leaked.join(', ')}`);
  });
  return handle;
}
