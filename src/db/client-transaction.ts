// A transaction on one pooled client, usable both raw (COPY needs the pg client itself) and through Kysely
// (so repositories and recordEvent take part in the same transaction).
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type pg from 'pg';
import type { DB } from './types.generated.ts';

export async function withClientTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, db: Kysely<DB>) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // Kysely asks its "pool" for a connection per query and releases it after; this one always hands out the
  // transaction's client and never lets it go back early.
  const connection = { query: client.query.bind(client), release: () => {} };
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({
      pool: { connect: async () => connection, end: async () => {} } as unknown as PostgresPool,
    }),
  });
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client, db);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    // A client whose rollback failed is in an unknown state: it goes, rather than back to the pool.
    client.release(broken);
  }
}
