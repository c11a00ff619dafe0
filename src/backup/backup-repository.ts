// The SQL of backups: PostgreSQL's low-level backup API (one session from pg_backup_start to pg_backup_stop),
// the row counts a backup records, the archiver's state, and a recovering server's progress. Each function
// takes the session it runs in: the backup API is bound to one connection, not to a pool.
import type pg from 'pg';

export interface ServerIdentity {
  version: string;
  systemIdentifier: string;
  archiveMode: string;
  timeline: number;
}

export async function serverIdentity(client: pg.ClientBase): Promise<ServerIdentity> {
  const { rows } = await client.query<{ version: string; sysid: string; archive_mode: string; tli: number }>(`
    SELECT current_setting('server_version') AS version,
           (SELECT system_identifier::text FROM pg_control_system()) AS sysid,
           current_setting('archive_mode') AS archive_mode,
           (SELECT timeline_id FROM pg_control_checkpoint()) AS tli`);
  const r = rows[0];
  if (!r) throw new Error('the server returned no identity');
  return { version: r.version, systemIdentifier: r.sysid, archiveMode: r.archive_mode, timeline: r.tli };
}

/** Starts a base backup with an immediate checkpoint; the backup lasts as long as this session. */
export async function startBackup(client: pg.ClientBase, label: string): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_backup_start($1, true)::text AS lsn', [
    label,
  ]);
  return rows[0]?.lsn ?? '';
}

export interface BackupStop {
  lsn: string;
  labelFile: string;
  spcmapFile: string;
}

/** Ends the backup, waiting until the WAL it needs is archived. */
export async function stopBackup(client: pg.ClientBase): Promise<BackupStop> {
  const { rows } = await client.query<{ lsn: string; labelfile: string; spcmapfile: string }>(
    'SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(true)',
  );
  const r = rows[0];
  if (!r) throw new Error('pg_backup_stop returned nothing');
  return { lsn: r.lsn, labelFile: r.labelfile, spcmapFile: r.spcmapfile };
}

/**
 * The row counts of the tables that exist, taken while writers to them are held off (SHARE locks), with the
 * WAL position read under the same locks: a recovery that stops exactly there sees exactly these counts.
 */
export async function lockedRowCounts(
  client: pg.ClientBase,
  tables: readonly string[],
): Promise<{ lsn: string; counts: Record<string, number> }> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    await client.query("SET LOCAL lock_timeout = '60s'");
    const present = (
      await client.query<{ name: string }>(
        'SELECT t AS name FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL ORDER BY t',
        [tables],
      )
    ).rows.map((r) => r.name);
    if (present.length > 0) {
      await client.query(
        `LOCK TABLE ${present.map((t) => client.escapeIdentifier(t)).join(', ')} IN SHARE MODE`,
      );
    }
    const lsn = (await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn'))
      .rows[0]?.lsn;
    const counts: Record<string, number> = {};
    for (const t of present) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${client.escapeIdentifier(t)}`,
      );
      counts[t] = Number(rows[0]?.n ?? 0);
    }
    await client.query('COMMIT');
    return { lsn: lsn ?? '', counts };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Row counts without locks, on a server nobody else writes to (a drill's). */
export async function rowCounts(
  client: pg.ClientBase,
  tables: readonly string[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const exists = await client.query('SELECT 1 FROM pg_class WHERE oid = to_regclass($1)', [t]);
    if (exists.rowCount === 0) continue;
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${client.escapeIdentifier(t)}`,
    );
    counts[t] = Number(rows[0]?.n ?? 0);
  }
  return counts;
}

/** The WAL segment file holding an LSN. */
export async function walFileName(client: pg.ClientBase, lsn: string): Promise<string> {
  const { rows } = await client.query<{ name: string }>('SELECT pg_walfile_name($1::pg_lsn) AS name', [lsn]);
  return rows[0]?.name ?? '';
}

/**
 * A named point in the WAL right after the counts. It also makes sure the segment holding them has a record
 * to close on: a lock takes no WAL, so without it pg_switch_wal would have nothing to switch and the segment
 * would wait for archive_timeout and the next checkpoint.
 */
export async function createRestorePoint(client: pg.ClientBase, name: string): Promise<void> {
  await client.query('SELECT pg_create_restore_point($1)', [name]);
}

/** Closes the current WAL segment so the archiver takes it now rather than at archive_timeout. */
export async function switchWal(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_switch_wal()');
}

export interface ArchiverState {
  lastArchivedWal: string | null;
  failedCount: number;
  lastFailedWal: string | null;
}

export async function archiverState(client: pg.ClientBase): Promise<ArchiverState> {
  const { rows } = await client.query<{
    last_archived_wal: string | null;
    failed_count: string;
    last_failed_wal: string | null;
  }>('SELECT last_archived_wal, failed_count, last_failed_wal FROM pg_stat_archiver');
  const r = rows[0];
  return {
    lastArchivedWal: r?.last_archived_wal ?? null,
    failedCount: Number(r?.failed_count ?? 0),
    lastFailedWal: r?.last_failed_wal ?? null,
  };
}

export interface RecoveryState {
  inRecovery: boolean;
  replayLsn: string | null;
  replayTime: Date | null;
}

export async function recoveryState(client: pg.ClientBase): Promise<RecoveryState> {
  const { rows } = await client.query<{ rec: boolean; lsn: string | null; t: Date | null }>(
    'SELECT pg_is_in_recovery() AS rec, pg_last_wal_replay_lsn()::text AS lsn, pg_last_xact_replay_timestamp() AS t',
  );
  const r = rows[0];
  return { inRecovery: r?.rec ?? true, replayLsn: r?.lsn ?? null, replayTime: r?.t ?? null };
}
