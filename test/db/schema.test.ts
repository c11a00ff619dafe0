// The migrated schema is the spec's: tables, columns, types, keys, indexes and seed data.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { addedBeyondSpec, seedNiches, specForeignKeys, specTables } from './spec-schema.ts';

const t = useTestDatabase();

async function rows<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await t.pool.query(query, params)).rows as T[];
}

describe('tables and columns', () => {
  it('has every spec table with exactly the spec columns and types', async () => {
    const columns = await rows<{ table: string; column: string; type: string }>(`
      SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND a.attnum > 0 AND NOT a.attisdropped`);
    for (const [table, spec] of Object.entries(specTables)) {
      const actual = Object.fromEntries(
        columns.filter((c) => c.table === table).map((c) => [c.column, c.type]),
      );
      expect(actual, table).toEqual({ ...spec, ...addedBeyondSpec[table] });
    }
  });

  it('gives every UUID primary key a gen_random_uuid() default', async () => {
    const pks = await rows<{ table: string; column: string; type: string; default: string | null }>(`
      SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
             pg_get_expr(d.adbin, d.adrelid) AS default
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE k.contype = 'p' AND c.relnamespace = 'public'::regnamespace`);
    const uuidTables = Object.entries(specTables)
      .filter(([, cols]) => cols.id === 'uuid')
      .map(([name]) => name);
    for (const table of uuidTables) {
      expect(
        pks.filter((p) => p.table === table),
        table,
      ).toEqual([{ table, column: 'id', type: 'uuid', default: 'gen_random_uuid()' }]);
    }
  });

  it('keeps BIGSERIAL ids as bigint fed by a sequence', async () => {
    for (const table of ['system_events', 'activity_log']) {
      const [row] = await rows<{ type: string; seq: string | null }>(
        `SELECT format_type(a.atttypid, a.atttypmod) AS type, pg_get_serial_sequence($1, 'id') AS seq
         FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = 'id'`,
        [table],
      );
      expect(row?.type).toBe('bigint');
      expect(row?.seq).toMatch(new RegExp(`${table}_id_seq`));
    }
    const [event] = await rows<{ id: number }>(
      `INSERT INTO system_events (category, severity, event_type, message) VALUES ('scheduler', 'info', 'probe', 'x') RETURNING id`,
    );
    expect(typeof event?.id).toBe('number');
  });

  it('has every foreign key the spec marks', async () => {
    const fks = await rows<{ source: string; target: string }>(`
      SELECT c.relname || '.' || a.attname AS source, r.relname AS target
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_class r ON r.oid = k.confrelid
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace AND NOT c.relispartition`);
    const actual = Object.fromEntries(fks.map((f) => [f.source, f.target]));
    for (const [source, target] of Object.entries(specForeignKeys)) {
      expect(actual[source], source).toBe(target);
    }
  });

  it('makes niches.slug and devices.udid unique', async () => {
    const uniques = await rows<{ key: string }>(`
      SELECT c.relname || '.' || a.attname AS key
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      WHERE k.contype = 'u' AND array_length(k.conkey, 1) = 1`);
    expect(uniques.map((u) => u.key)).toEqual(expect.arrayContaining(['niches.slug', 'devices.udid']));
  });
});

describe('indexes', () => {
  const indexDef = async (name: string) =>
    (await rows<{ def: string }>('SELECT pg_get_indexdef($1::regclass) AS def', [name]))[0]?.def;

  it('defines idx_accounts_needs_warming with the spec column order and predicate', async () => {
    expect(await indexDef('idx_accounts_needs_warming')).toBe(
      'CREATE INDEX idx_accounts_needs_warming ON public.accounts USING btree (last_warmed_at NULLS FIRST) ' +
        "WHERE ((current_state = ANY (ARRAY['created'::text, 'warming_p1'::text, 'warming_p2'::text, " +
        "'warming_p3'::text, 'active'::text])) AND (platform = ANY (ARRAY['tiktok'::text, 'instagram'::text])) " +
        'AND (deleted_at IS NULL))',
    );
  });

  it.each([
    ['idx_events_unresolved', '(severity, "timestamp") WHERE (resolved = false)'],
    ['idx_events_device', '(device_id, "timestamp")'],
    ['idx_events_account', '(account_id, "timestamp")'],
    ['idx_events_type_time', '(event_type, "timestamp")'],
  ])('defines %s on system_events %s', async (name, tail) => {
    expect(await indexDef(name)).toBe(`CREATE INDEX ${name} ON public.system_events USING btree ${tail}`);
  });
});

describe('partitions and rollups', () => {
  it('range-partitions activity_log by month on timestamp, from this month through two ahead, plus a default', async () => {
    const [strategy] = await rows<{ strat: string; key: string }>(`
      SELECT p.partstrat AS strat, pg_get_partkeydef('activity_log'::regclass) AS key
      FROM pg_partitioned_table p WHERE p.partrelid = 'activity_log'::regclass`);
    expect(strategy).toEqual({ strat: 'r', key: 'RANGE ("timestamp")' });
    const parts = await rows<{ name: string; bound: string }>(`
      SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'activity_log'::regclass ORDER BY 1`);
    const now = new Date();
    const months = [0, 1, 2].map((i) => {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
      return `activity_log_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    });
    expect(parts.map((p) => p.name)).toEqual(expect.arrayContaining([...months, 'activity_log_default']));
    expect(parts.find((p) => p.name === 'activity_log_default')?.bound).toBe('DEFAULT');
  });

  it('has the hourly and daily metric rollups and account_health_daily', async () => {
    const found = await rows<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace
         AND relname IN ('metrics_hourly', 'metrics_daily', 'account_health_daily') AND relkind IN ('r', 'v', 'm')`,
    );
    expect(found.map((f) => f.name).sort()).toEqual([
      'account_health_daily',
      'metrics_daily',
      'metrics_hourly',
    ]);
  });
});

describe('seed data', () => {
  it('seeds the five spec niches once', async () => {
    const niches = await sql<{ slug: string }>`SELECT slug FROM niches ORDER BY slug`.execute(t.db);
    expect(niches.rows.map((n) => n.slug)).toEqual([...seedNiches].sort());
  });
});
