// Applies the migration files, forward only.
//
// Why not a library: node-pg-migrate keeps no checksums, and postgres-migrations (unmaintained since 2021)
// does not refuse a database that has migrations this checkout lacks. The rules sovi needs fit in this file:
// - one session-level advisory lock per database serialises concurrent migrators; the second waits, then
//   finds nothing to do and exits 0;
// - each file runs in its own transaction, together with its record row, which is inserted first so that a
//   migrator that ignored the lock fails on the primary key instead of applying the file twice;
// - an applied file whose text changed, an applied migration with no file, and a pending file numbered
//   below an applied one are refused before anything runs.
import pg from 'pg';
import type { ConnectionSettings } from '../../config.ts';
import { SoviError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { clientConfig } from '../pool.ts';
import { loadMigrationFiles, MIGRATIONS_TABLE, type MigrationFile } from './files.ts';
import { grantAppRole } from './grants.ts';

// pg_advisory_lock(int, int): 'sovi' in ASCII, then 1 for "migrations". Advisory locks are per database.
const LOCK_KEY = [0x736f7669, 1];

export interface AppliedMigration {
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
}

export interface MigrationPlan {
  pending: MigrationFile[];
  applied: (AppliedMigration & { state: 'ok' | 'changed' | 'unknown' })[];
  problems: string[];
}

/** Compares the files with what the database recorded. Pure, so that status and migrate agree. */
export function planMigrations(files: MigrationFile[], applied: AppliedMigration[]): MigrationPlan {
  const byName = new Map(files.map((f) => [f.name, f]));
  const appliedNames = new Set(applied.map((a) => a.name));
  const problems: string[] = [];
  const rows = applied.map((a) => {
    const file = byName.get(a.name);
    if (!file) {
      problems.push(
        `the database has migration ${a.name} applied, but migrations/ has no such file: ` +
          'this checkout is older than the database, or the file was removed',
      );
      return { ...a, state: 'unknown' as const };
    }
    if (file.checksum !== a.checksum) {
      problems.push(
        `migration ${a.name} was changed after it was applied (recorded checksum ${a.checksum.slice(0, 12)}…, ` +
          `file now ${file.checksum.slice(0, 12)}…): restore the file and put the change in a new numbered migration`,
      );
      return { ...a, state: 'changed' as const };
    }
    return { ...a, state: 'ok' as const };
  });
  const pending = files.filter((f) => !appliedNames.has(f.name));
  const newestApplied = Math.max(-1, ...files.filter((f) => appliedNames.has(f.name)).map((f) => f.version));
  for (const f of pending) {
    if (f.version < newestApplied) {
      problems.push(`migration ${f.name} is pending but numbered below an applied one: renumber it after the newest`);
    }
  }
  return { pending, applied: rows, problems };
}

export async function readAppliedMigrations(client: pg.ClientBase): Promise<AppliedMigration[] | undefined> {
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    MIGRATIONS_TABLE,
  ]);
  if (!rows[0]?.exists) return undefined;
  const result = await client.query<{ name: string; checksum: string; applied_at: Date; duration_ms: number }>(
    `SELECT name, checksum, applied_at, duration_ms FROM ${MIGRATIONS_TABLE} ORDER BY name`,
  );
  return result.rows.map((r) => ({
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at,
    durationMs: r.duration_ms,
  }));
}

export interface MigrateOptions {
  logger: Logger;
  appRole?: string | undefined;
  files?: MigrationFile[];
  connectTimeoutMs?: number;
  onApplied?: (name: string, durationMs: number) => void;
}

export interface MigrateResult {
  applied: { name: string; durationMs: number }[];
  alreadyApplied: number;
}

export async function migrate(settings: ConnectionSettings, options: MigrateOptions): Promise<MigrateResult> {
  const files = options.files ?? (await loadMigrationFiles());
  const client = new pg.Client({ ...clientConfig(settings, options.connectTimeoutMs), application_name: 'sovi migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', LOCK_KEY);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
        name        text PRIMARY KEY,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now(),
        applied_by  text NOT NULL DEFAULT current_user,
        duration_ms integer NOT NULL DEFAULT 0
      )`);
      const plan = planMigrations(files, (await readAppliedMigrations(client)) ?? []);
      if (plan.problems.length > 0) {
        throw new SoviError('conflict', `refusing to migrate:\n  ${plan.problems.join('\n  ')}`, {
          issues: plan.problems.map((message) => ({ message })),
        });
      }
      const applied: MigrateResult['applied'] = [];
      for (const file of plan.pending) {
        const durationMs = await applyOne(client, file);
        options.logger.info({ migration: file.name, durationMs }, 'migration applied');
        options.onApplied?.(file.name, durationMs);
        applied.push({ name: file.name, durationMs });
      }
      if (options.appRole !== undefined) await grantAppRole(client, options.appRole);
      return { applied, alreadyApplied: files.length - plan.pending.length };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', LOCK_KEY).catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}

async function applyOne(client: pg.Client, file: MigrationFile): Promise<number> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const record = `INSERT INTO ${MIGRATIONS_TABLE} (name, checksum, duration_ms) VALUES ($1, $2, $3)`;
  try {
    if (!file.transactional) {
      await client.query(file.sql);
      const durationMs = elapsed();
      await client.query(record, [file.name, file.checksum, durationMs]);
      return durationMs;
    }
    await client.query('BEGIN');
    await client.query(record, [file.name, file.checksum, 0]);
    await client.query(file.sql);
    const durationMs = elapsed();
    await client.query(`UPDATE ${MIGRATIONS_TABLE} SET duration_ms = $2 WHERE name = $1`, [file.name, durationMs]);
    await client.query('COMMIT');
    return durationMs;
  } catch (err) {
    if (file.transactional) await client.query('ROLLBACK').catch(() => undefined);
    const e = err as pg.DatabaseError;
    const line = e.position ? ` at line ${file.sql.slice(0, Number(e.position) - 1).split('\n').length}` : '';
    const outcome = file.transactional
      ? 'it was rolled back'
      : 'it ran outside a transaction, so check what part of it took effect';
    throw new SoviError('internal', `migration ${file.name} failed${line}: ${e.message}; ${outcome}`, {
      field: file.name,
      pgCode: e.code,
    });
  }
}
