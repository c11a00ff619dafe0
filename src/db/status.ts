// What `sovi db status` reports: the server, TimescaleDB, and the migrations applied and pending.
import { loadMigrationFiles, type MigrationFile } from './migrations/files.ts';
import { planMigrations, readAppliedMigrations, type MigrationPlan } from './migrations/migrator.ts';
import type { Database } from './database.ts';

export interface DatabaseStatus {
  database: string;
  kind: 'external' | 'embedded';
  server: { version: string; versionNum: number };
  timescaledb: { state: 'installed' | 'available' | 'absent'; version: string | null; hypertable: boolean };
  migrations: {
    applied: MigrationPlan['applied'];
    pending: string[];
    problems: string[];
  };
}

export async function databaseStatus(
  database: Pick<Database, 'pool' | 'description' | 'kind'>,
  files?: MigrationFile[],
): Promise<DatabaseStatus> {
  const migrationFiles = files ?? (await loadMigrationFiles());
  const client = await database.pool.connect();
  try {
    const server = await client.query<{ version: string; num: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num",
    );
    const ts = await client.query<{ installed: string | null; available: boolean; hypertable: boolean }>(`
      SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS installed,
             EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
             to_regclass('_timescaledb_catalog.hypertable') IS NOT NULL AND EXISTS (
               SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS hypertable`);
    const t = ts.rows[0];
    let hypertable = false;
    if (t?.hypertable) {
      const h = await client.query<{ yes: boolean }>(
        "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'metric_snapshots') AS yes",
      );
      hypertable = h.rows[0]?.yes ?? false;
    }
    const plan = planMigrations(migrationFiles, (await readAppliedMigrations(client)) ?? []);
    const row = server.rows[0];
    return {
      database: database.description,
      kind: database.kind,
      server: { version: row?.version ?? 'unknown', versionNum: Number(row?.num ?? 0) },
      timescaledb: {
        state: t?.installed ? 'installed' : t?.available ? 'available' : 'absent',
        version: t?.installed ?? null,
        hypertable,
      },
      migrations: {
        applied: plan.applied,
        pending: plan.pending.map((f) => f.name),
        problems: plan.problems,
      },
    };
  } finally {
    client.release();
  }
}
