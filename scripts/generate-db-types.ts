// Generates src/db/types.generated.ts from a freshly migrated database: `npm run db:codegen`.
// The test suite runs the same generation and fails when the committed file has drifted from migrations/.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect as KyselyPostgresDialect } from 'kysely';
import { generate, PostgresDialect } from 'kysely-codegen';
import pg from 'pg';
import { pino } from 'pino';

export const TYPES_FILE = path.resolve(import.meta.dirname, '..', 'src', 'db', 'types.generated.ts');

export async function generateDbTypes(url: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection that the server ends (57P01 when a test's throwaway server stops first) is an
  // 'error' event on the pool: without a listener it would be an uncaught exception.
  pool.on('error', () => {});
  const db = new Kysely<unknown>({ dialect: new KyselyPostgresDialect({ pool }) });
  try {
    const output = await generate({
      db,
      dialect: new PostgresDialect({ partitions: false }),
      // Matches the pool's type parsers in src/db/pool.ts.
      typeMapping: { int8: 'number', date: 'string' },
      excludePattern: 'sovi_migrations',
      outFile: null,
      print: false,
    });
    return output;
  } finally {
    await db.destroy();
  }
}

if (import.meta.main) {
  const { startThrowawayPostgres } = await import('../src/db/embedded/throwaway.ts');
  const { migrate } = await import('../src/db/migrations/migrator.ts');
  const logger = pino({ level: 'warn' });
  const pgServer = await startThrowawayPostgres(logger, 'sovi-codegen-');
  try {
    const url = pgServer.server.urlFor('postgres');
    await migrate({ url }, { logger });
    await fs.writeFile(TYPES_FILE, await generateDbTypes(url));
    console.log(`wrote ${path.relative(process.cwd(), TYPES_FILE)}`);
  } finally {
    await pgServer.dispose();
  }
}
