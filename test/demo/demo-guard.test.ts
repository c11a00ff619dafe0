// `sovi up --demo` against a database that holds real data refuses it before writing anything, and names
// what it found.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();

/** Every table of every schema, with its row count and a digest of its rows: what "unchanged" means. */
async function snapshot(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
     ORDER BY 1`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await pool.query<{ n: number; digest: string | null }>(
      `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${name} t`,
    );
    result[name] = `${rows[0]?.n} ${rows[0]?.digest}`;
  }
  return result;
}

describe('sovi up --demo on a database with real data', () => {
  it(
    'refuses with one line naming what it found, and changes nothing',
    async () => {
      for (const username of ['alice', 'dave', 'carol', 'erin']) {
        await factories.account(t.pool, { username });
      }
      await factories.device(t.pool, { name: 'office-iphone-1' });
      await factories.device(t.pool, { name: 'office-iphone-2' });
      const before = await snapshot(t.pool);

      const result = await runSovi(['up', '--demo'], { DATABASE_URL: t.url, SOVI_PORT: '0' });

      expect(result.code).toBe(4);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^sovi: the demo refuses /);
      expect(lines[0]).toContain('2 devices (office-iphone-1, office-iphone-2)');
      expect(lines[0]).toContain('4 accounts (alice, dave, carol…)');
      expect(result.stdout).not.toContain('sovi is up');
      expect(await snapshot(t.pool)).toEqual(before);
    },
    cliTestTimeout(1),
  );
});
