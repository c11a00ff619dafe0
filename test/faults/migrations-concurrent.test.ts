// Five `sovi migrate` processes started at the same moment on an empty database, ten times over: every one
// exits 0, each migration file is applied exactly once (one record row, one "applied" line among the five
// outputs), the schema they leave is the one a lone migrator makes, and the seeded niches exist once.
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadMigrationFiles } from '../../src/db/migrations/files.ts';
import { runSovi } from '../helpers/cli.ts';
import { createDatabase, dropDatabase } from '../helpers/database.ts';
import { urlWithDatabase } from '../helpers/urls.ts';

const PROCESSES = 5;
const ROUNDS = 10;
const created: string[] = [];
afterAll(async () => {
  await Promise.all(created.map(dropDatabase));
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every object of the public schema, by kind and name: what the migrations created, listed once each. */
const schemaObjects = (url: string) =>
  query<{ object: string }>(
    url,
    `SELECT c.relkind::text || ' ' || c.relname AS object FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
     UNION ALL SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
     UNION ALL SELECT 'trigger ' || t.tgrelid::regclass || '.' || t.tgname FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND NOT t.tgisinternal
     UNION ALL SELECT 'constraint ' || conrelid::regclass || '.' || conname FROM pg_constraint c
       JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
     ORDER BY 1`,
  ).then((rows) => rows.map((r) => r.object).filter((o) => !o.includes('sovi_migrations')));

describe('concurrent migrations', () => {
  it(`apply each migration exactly once when ${PROCESSES} sovi migrate processes start together, ${ROUNDS} rounds`, async () => {
    const files = await loadMigrationFiles();
    // The reference: the template database, migrated by the suite's single migrator.
    const template = urlWithDatabase(inject('adminUrl'), inject('templateDatabase'));
    const expectedObjects = await schemaObjects(template);
    const [{ n: expectedNiches } = { n: -1 }] = await query<{ n: number }>(
      template,
      'SELECT count(*)::int AS n FROM niches',
    );
    expect(expectedNiches).toBeGreaterThan(0);

    const started = performance.now();
    const roundMs: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const roundStarted = performance.now();
      const { name, url } = await createDatabase({ template: false });
      created.push(name);
      const results = await Promise.all(
        Array.from({ length: PROCESSES }, () =>
          runSovi(['migrate'], { DATABASE_URL: url }, { timeoutMs: 120_000 }),
        ),
      );
      for (const r of results) {
        expect(r, `round ${round}: a migrator failed:\n${r.stdout}\n${r.stderr}`).toMatchObject({
          code: 0,
          signal: null,
        });
      }
      // Between them, the five processes applied every file once: one "applied" line per file in all.
      const appliedLines = results
        .flatMap((r) => [...r.stdout.matchAll(/^applied (\d{3}_\S+\.sql) \(/gm)])
        .map((m) => m[1])
        .sort();
      expect(appliedLines, `round ${round}`).toEqual(files.map((f) => f.name).sort());

      const recorded = await query<{ name: string; checksum: string }>(
        url,
        'SELECT name, checksum FROM sovi_migrations ORDER BY name',
      );
      expect(recorded, `round ${round}`).toEqual(files.map((f) => ({ name: f.name, checksum: f.checksum })));
      expect(await schemaObjects(url), `round ${round}`).toEqual(expectedObjects);
      const [counts] = await query<{ niches: number; slugs: number; boss: number }>(
        url,
        `SELECT (SELECT count(*)::int FROM niches) AS niches,
                (SELECT count(DISTINCT slug)::int FROM niches) AS slugs,
                (SELECT count(*)::int FROM pgboss.version) AS boss`,
      );
      expect(counts, `round ${round}`).toEqual({ niches: expectedNiches, slugs: expectedNiches, boss: 1 });

      await dropDatabase(name);
      created.splice(created.indexOf(name), 1);
      roundMs.push(performance.now() - roundStarted);
    }
    const totalMs = performance.now() - started;
    const sorted = [...roundMs].sort((a, b) => a - b);
    console.log(
      `sovi fault test: ${ROUNDS} rounds × ${PROCESSES} concurrent \`sovi migrate\` (${files.length} files): ` +
        `${(totalMs / 1000).toFixed(1)} s in all, round median ${Math.round(sorted[Math.floor(ROUNDS / 2)]!)} ms, ` +
        `slowest ${Math.round(sorted.at(-1)!)} ms`,
    );
  }, 300_000);
});
