// Foundation figures: how a fresh database is made for each test file, and what the Kysely data layer costs
// over raw node-postgres on the warming pick query.
import { sql } from 'kysely';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool } from '../src/db/pool.ts';
import { logger, median, timeIt, type BenchServer, type Section } from './harness.ts';

const ROUNDS = 8;
const PICK_ITERATIONS = 3_000;

export async function foundationBench(server: BenchServer): Promise<Section> {
  // 1. Fresh migrated database: clone the migrated template (what the test suite does) vs migrate from empty.
  const template = await server.createDatabase();
  await migrate({ url: template.url }, { logger });
  const cloneMs: number[] = [];
  const migrateMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    cloneMs.push(await timeIt(() => server.createDatabase(template.name)));
    migrateMs.push(
      await timeIt(async () => {
        const empty = await server.createDatabase();
        await migrate({ url: empty.url }, { logger });
      }),
    );
  }

  // 2. The warming pick (LIMIT 10 on 100k accounts) through Kysely vs the same SQL through raw pg, same pool.
  const db1 = await server.createDatabase(template.name);
  const pool = createPool(
    { url: db1.url },
    { min: 1, max: 1, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );
  const db = createDb(pool);
  await pool.query(`
    INSERT INTO accounts (platform, username, current_state, last_warmed_at)
    SELECT (ARRAY['tiktok','instagram'])[1 + i % 2], 'u' || i,
           (ARRAY['created','warming_p1','warming_p2','warming_p3','active','resting'])[1 + i % 6],
           CASE WHEN i % 7 = 0 THEN NULL ELSE now() - make_interval(secs => i) END
    FROM generate_series(1, 100000) i`);
  await pool.query('ANALYZE accounts');
  const states = ['created', 'warming_p1', 'warming_p2', 'warming_p3', 'active'];
  const pickQuery = () =>
    db
      .selectFrom('accounts')
      .select(['id', 'last_warmed_at'])
      .where('current_state', 'in', states)
      .where('platform', 'in', ['tiktok', 'instagram'])
      .where('deleted_at', 'is', null)
      .orderBy(sql`last_warmed_at asc nulls first`)
      .limit(10);
  const pickKysely = () => pickQuery().execute();
  const rawText = `SELECT id, last_warmed_at FROM accounts
    WHERE current_state IN ('created','warming_p1','warming_p2','warming_p3','active')
      AND platform IN ('tiktok','instagram') AND deleted_at IS NULL
    ORDER BY last_warmed_at ASC NULLS FIRST LIMIT 10`;
  // Hot paths can compile once and execute many times; this is what that saves.
  const compiled = pickQuery().compile();
  const pickCompiled = () => db.executeQuery(compiled);
  const pickRaw = () => pool.query(rawText);
  const loop = (fn: () => Promise<unknown>) =>
    timeIt(async () => {
      for (let i = 0; i < PICK_ITERATIONS; i++) await fn();
    });
  for (let i = 0; i < 300; i++) await Promise.all([pickKysely(), pickCompiled(), pickRaw()]);
  // Interleave the three so that drift in the machine's load hits each equally.
  const times = { kysely: [] as number[], compiled: [] as number[], raw: [] as number[] };
  for (let round = 0; round < 3; round++) {
    times.raw.push(await loop(pickRaw));
    times.kysely.push(await loop(pickKysely));
    times.compiled.push(await loop(pickCompiled));
  }
  const kyselyMs = median(times.kysely);
  const compiledMs = median(times.compiled);
  const rawMs = median(times.raw);
  await db.destroy();

  const clone = median(cloneMs);
  const fromEmpty = median(migrateMs);
  const kyselyRate = PICK_ITERATIONS / (kyselyMs / 1000);
  const compiledRate = PICK_ITERATIONS / (compiledMs / 1000);
  const rawRate = PICK_ITERATIONS / (rawMs / 1000);
  return {
    title: 'Foundation: fresh databases and the data layer',
    notes: [
      `Fresh database: median of ${ROUNDS} rounds. Pick query: median of 3 interleaved runs of ${PICK_ITERATIONS} ` +
        'sequential calls on 100k accounts, all through the same one-connection pool.',
    ],
    rows: [
      {
        what: 'fresh migrated database for a test file',
        sovi: `${clone.toFixed(1)} ms (template clone)`,
        baseline: `${fromEmpty.toFixed(1)} ms (CREATE DATABASE + migrate)`,
        ratio: `${(fromEmpty / clone).toFixed(1)}× faster`,
      },
      {
        what: 'warming pick, LIMIT 10: Kysely, query built per call',
        sovi: `${Math.round(kyselyRate)} queries/s`,
        baseline: `${Math.round(rawRate)} queries/s (pool.query, same SQL)`,
        ratio: `${(kyselyRate / rawRate).toFixed(2)}× raw`,
      },
      {
        what: 'warming pick, LIMIT 10: Kysely, compiled once',
        sovi: `${Math.round(compiledRate)} queries/s`,
        baseline: `${Math.round(rawRate)} queries/s (pool.query, same SQL)`,
        ratio: `${(compiledRate / rawRate).toFixed(2)}× raw`,
      },
    ],
  };
}
