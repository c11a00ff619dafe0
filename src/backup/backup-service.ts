// `sovi db backup`: a base backup of the embedded PostgreSQL through its low-level backup API. The data
// directory's files are copied between pg_backup_start and pg_backup_stop in one session, the backup_label
// and tablespace_map that pg_backup_stop returns are written into the copy, and the WAL from the start of the
// backup to the end of its row counts is waited for in the archive and listed (with checksums) in the
// manifest. Everything is written under a partial name and renamed into place last.
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { EMBEDDED_DATABASE, type Database } from '../db/database.ts';
import { SoviError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { BackupSettings } from '../settings/backup-settings.ts';
import { sleep } from '../time.ts';
import { newBackupId, partialBackup, walDir, writeManifest } from './backup-catalog.ts';
import { countedTables, MANIFEST_FORMAT, type Manifest, type ManifestFile } from './backup-model.ts';
import {
  archiverState,
  createRestorePoint,
  lockedRowCounts,
  serverIdentity,
  startBackup,
  stopBackup,
  switchWal,
  walFileName,
} from './backup-repository.ts';
import { copyHashed, hashFile, listDataDir } from './data-copy.ts';
import { segmentRange } from './wal-names.ts';

export interface BackupDeps {
  database: Database;
  settings: BackupSettings;
  logger: Logger;
  /** The vault's key file, left out of the copy should it live inside the data directory. */
  vaultKeyFile?: string | undefined;
}

export interface BackupOptions {
  /** Bytes copied so far of the total. A throw here aborts the backup (tests inject failures so). */
  onProgress?: (done: number, total: number) => void;
  /** How long to wait for the archiver to take the backup's last WAL segment. */
  archiveWaitMs?: number;
}

/** Backups, restores and drills are for the embedded server only; an external one has its own tools. */
export function requireEmbedded(database: Pick<Database, 'embedded'>): NonNullable<Database['embedded']> {
  if (!database.embedded) throw externalServerRefusal();
  return database.embedded;
}

export function externalServerRefusal(): SoviError {
  return new SoviError(
    'invalid_input',
    'DATABASE_URL is set: sovi backs up only its embedded PostgreSQL. Back up an external server with its own ' +
      'tools (pg_dump, or pgBackRest for point-in-time recovery), and after a restore check it with ' +
      '`sovi db status` and row counts (see README, "Backups and restore")',
    { field: 'DATABASE_URL' },
  );
}

export async function takeBackup(deps: BackupDeps, options: BackupOptions = {}): Promise<Manifest> {
  const embedded = requireEmbedded(deps.database);
  const backupDir = deps.settings.dir;
  const client = new pg.Client({
    connectionString: embedded.urlFor(EMBEDDED_DATABASE),
    application_name: 'sovi backup',
  });
  // A server that goes away mid-backup fails the query in progress; the stray event must not kill the process.
  client.on('error', (err) => deps.logger.warn({ err: err.message }, 'backup connection lost'));
  await client.connect();
  let partial: Awaited<ReturnType<typeof partialBackup>> | undefined;
  try {
    const identity = await serverIdentity(client);
    if (identity.archiveMode !== 'on') {
      throw new SoviError(
        'unavailable',
        'WAL archiving is off on the running embedded PostgreSQL: it was started by an older sovi, or its OS user ' +
          `cannot reach SOVI_BACKUP_DIR (${deps.settings.dir}; choose one it can reach). Then stop every sovi ` +
          'process, run `sovi db stop`, and start sovi again: archiving is switched on at start',
        { field: 'SOVI_BACKUP_DIR' },
      );
    }
    const id = newBackupId();
    partial = await partialBackup(backupDir, id);
    const dataOut = path.join(partial.dir, 'data');
    await fs.mkdir(dataOut, { mode: 0o700 });

    const startedAt = new Date();
    const startLsn = await startBackup(client, `sovi ${id}`);
    const keyFile = deps.vaultKeyFile ? path.resolve(deps.vaultKeyFile) : undefined;
    const { files, dirs } = await listDataDir(embedded.dataDir, (abs) => abs === keyFile);
    for (const dir of dirs) await fs.mkdir(path.join(dataOut, dir), { recursive: true, mode: 0o700 });
    const total = files.reduce((sum, f) => sum + f.size, 0);
    let done = 0;
    const copied: ManifestFile[] = [];
    options.onProgress?.(0, total);
    for (const f of files) {
      const result = await copyHashed(path.join(embedded.dataDir, f.rel), path.join(dataOut, f.rel));
      if (result) copied.push({ path: f.rel, ...result });
      done += f.size;
      options.onProgress?.(Math.min(done, total), total);
    }

    const stop = await stopBackup(client);
    const stoppedAt = new Date();
    for (const [name, text] of [
      ['backup_label', stop.labelFile],
      ['tablespace_map', stop.spcmapFile],
    ] as const) {
      if (text === '' && name === 'tablespace_map') continue;
      const file = path.join(dataOut, name);
      await fs.writeFile(file, text, { mode: 0o600 });
      copied.push({ path: name, ...(await hashFile(file)) });
    }

    const counts = await lockedRowCounts(client, countedTables);
    const first = await walFileName(client, startLsn);
    const last = await walFileName(client, counts.lsn);
    await createRestorePoint(client, `sovi-backup-${id}`);
    await switchWal(client);
    await waitForArchived(client, backupDir, last, options.archiveWaitMs ?? 600_000);
    const wal = [];
    for (const name of segmentRange(first, last)) {
      wal.push({ name, ...(await hashFile(path.join(walDir(backupDir), name))) });
    }

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id,
      pgVersion: identity.version,
      systemIdentifier: identity.systemIdentifier,
      timeline: Number.parseInt(first.slice(0, 8), 16),
      startedAt: startedAt.toISOString(),
      stoppedAt: stoppedAt.toISOString(),
      startLsn,
      stopLsn: stop.lsn,
      countsLsn: counts.lsn,
      rowCounts: counts.counts,
      files: copied,
      dirs,
      wal,
      size: copied.reduce((sum, f) => sum + f.size, 0),
    };
    await writeManifest(partial.dir, manifest);
    await partial.commit();
    partial = undefined;
    deps.logger.info({ id, size: manifest.size, wal: wal.length }, 'base backup written');
    return manifest;
  } finally {
    // Closing the session also aborts a backup still in progress.
    await client.end().catch(() => undefined);
    if (partial) await fs.rm(partial.dir, { recursive: true, force: true });
  }
}

async function waitForArchived(
  client: pg.Client,
  backupDir: string,
  segment: string,
  timeoutMs: number,
): Promise<void> {
  const file = path.join(walDir(backupDir), segment);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fs.access(file);
      return;
    } catch {
      // Not archived yet.
    }
    if (Date.now() > deadline) {
      const state = await archiverState(client);
      throw new SoviError(
        'unavailable',
        `WAL segment ${segment} did not reach the archive ${walDir(backupDir)} within ${Math.round(timeoutMs / 1000)} s ` +
          `(archiver: ${state.failedCount} failures, last failed ${state.lastFailedWal ?? 'none'}); see the server log`,
        { field: 'SOVI_BACKUP_DIR' },
      );
    }
    await sleep(200);
  }
}
