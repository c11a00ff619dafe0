// Recovering a base backup into a data directory: its files are copied out (each checked against the
// manifest), recovery.signal and the recovery settings are written, and a private server replays the
// archived WAL up to the target, promotes, and is inspected and stopped. The server listens on no TCP port:
// only on a Unix socket in a private directory, with trust authentication there alone, so no password of
// the lost cluster is needed and nothing else on the machine can reach it while it recovers.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { canReach, type OsUser } from '../db/embedded/binaries.ts';
import { pgCtl, SUPERUSER, type Runner } from '../db/embedded/server.ts';
import { assertShellSafePath, restoreCommand, writeSoviConf } from '../db/embedded/sovi-conf.ts';
import { EMBEDDED_DATABASE } from '../db/database.ts';
import { createDb, createPool, type Db } from '../db/pool.ts';
import { SoviError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { sleep } from '../time.ts';
import { dataPath, walDir } from './backup-catalog.ts';
import type { Manifest } from './backup-model.ts';
import { recoveryState } from './backup-repository.ts';
import { copyHashed, hashFile } from './data-copy.ts';

export type RecoveryTarget = { kind: 'end' } | { kind: 'time'; time: Date } | { kind: 'lsn'; lsn: string };

export interface RecoveredTo {
  lsn: string | null;
  /** The commit time of the last transaction replayed. */
  time: Date | null;
}

export interface RecoverOptions {
  manifest: Manifest;
  backupDir: string;
  targetDir: string;
  target: RecoveryTarget;
  runner: Runner;
  logger: Logger;
  onProgress?: (done: number, total: number) => void;
  /** Runs against the recovered server before it is stopped. */
  inspect?: (handle: { pool: pg.Pool; db: Db; description: string }) => Promise<void>;
}

/** The message of the error recovery fails with when the archive ends before a time target. */
export const TARGET_NOT_REACHED = 'recovery ended before configured recovery target was reached';

export async function recoverInto(options: RecoverOptions): Promise<RecoveredTo> {
  const { manifest, backupDir, targetDir, runner } = options;
  assertShellSafePath(walDir(backupDir), 'SOVI_BACKUP_DIR');
  await checkWal(manifest, backupDir);
  await copyOut(manifest, backupDir, targetDir, runner.user, options.onProgress);

  const socketDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-recover-'));
  const logFile = path.join(socketDir, 'postgres.log');
  try {
    await fs.writeFile(path.join(socketDir, 'pg_hba.conf'), 'local all all trust\n', { mode: 0o600 });
    await fs.writeFile(path.join(targetDir, 'recovery.signal'), '', { mode: 0o600 });
    const port = 5432;
    await writeSoviConf(
      targetDir,
      {
        listen_addresses: "''",
        unix_socket_directories: `'${socketDir}'`,
        port: String(port),
        hba_file: `'${path.join(socketDir, 'pg_hba.conf')}'`,
        // A restored cluster does not write into the live cluster's archive.
        archive_mode: 'off',
        hot_standby: 'on',
        restore_command: restoreCommand(walDir(backupDir)),
        recovery_target_action: "'promote'",
        ...(options.target.kind === 'time'
          ? { recovery_target_time: `'${pgTimestamp(options.target.time)}'` }
          : options.target.kind === 'lsn'
            ? { recovery_target_lsn: `'${options.target.lsn}'` }
            : {}),
      },
      runner.user,
    );
    if (runner.user) {
      await chownTree(targetDir, runner.user.uid, runner.user.gid);
      await chownTree(socketDir, runner.user.uid, runner.user.gid);
    }
    await fs.chmod(targetDir, 0o700);

    try {
      await pgCtl(runner, ['start', '-D', targetDir, '-l', logFile, '-w', '-t', '3600', '-s']);
    } catch (err) {
      const log = await fs.readFile(logFile, 'utf8').catch(() => '');
      if (log.includes(TARGET_NOT_REACHED)) throw new SoviError('conflict', TARGET_NOT_REACHED);
      const stderr = ((err as { stderr?: string }).stderr ?? '').trim();
      throw new SoviError(
        'unavailable',
        `the restored cluster in ${targetDir} did not start: ${stderr}\n${log.trimEnd().split('\n').slice(-15).join('\n')}`,
      );
    }
    const connection = { host: socketDir, port, user: SUPERUSER, database: EMBEDDED_DATABASE };
    const pool = createPool(
      connection,
      { min: 0, max: 3, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'sovi restore' },
      options.logger,
    );
    const db = createDb(pool);
    try {
      const reached = await untilPromoted(pool, logFile);
      await options.inspect?.({ pool, db, description: `restored cluster in ${targetDir}` });
      return reached;
    } finally {
      await db.destroy();
      if (!pool.ended) await pool.end();
      await pgCtl(runner, ['stop', '-D', targetDir, '-m', 'fast', '-w', '-t', '120', '-s']).catch(
        () => undefined,
      );
      // From now on it starts as an ordinary cluster: sovi's start writes its own settings.
      await writeSoviConf(targetDir, {}, runner.user);
    }
  } finally {
    await fs.rm(socketDir, { recursive: true, force: true });
  }
}

/** Every WAL segment the manifest lists must be in the archive, unchanged, before recovery starts. */
async function checkWal(manifest: Manifest, backupDir: string): Promise<void> {
  for (const w of manifest.wal) {
    const actual = await hashFile(path.join(walDir(backupDir), w.name)).catch(() => undefined);
    if (!actual || actual.sha256 !== w.sha256) {
      throw new SoviError(
        'invalid_input',
        `backup ${manifest.id} cannot be restored: WAL segment ${w.name} is ${actual ? 'damaged (checksum mismatch)' : 'missing'} ` +
          `in the archive ${walDir(backupDir)}; use another backup (--backup)`,
        { field: 'backup' },
      );
    }
  }
}

async function copyOut(
  manifest: Manifest,
  backupDir: string,
  targetDir: string,
  user: OsUser | undefined,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const source = dataPath(backupDir, manifest.id);
  const created = await fs.mkdir(targetDir, { recursive: true, mode: 0o700 });
  if (user && !(await canReach(path.dirname(targetDir), user))) {
    if (created !== undefined) await fs.rm(created, { recursive: true, force: true });
    throw new SoviError(
      'invalid_input',
      `--into: the embedded PostgreSQL runs as OS user "${user.name}", which cannot reach ${targetDir}; ` +
        'choose a directory whose parents it can enter',
      { field: 'into' },
    );
  }
  if ((await fs.readdir(targetDir)).length > 0) {
    throw new SoviError('conflict', `${targetDir} is not empty: restore into a new directory`, {
      field: 'into',
    });
  }
  for (const dir of manifest.dirs)
    await fs.mkdir(path.join(targetDir, dir), { recursive: true, mode: 0o700 });
  let done = 0;
  onProgress?.(0, manifest.size);
  for (const f of manifest.files) {
    const copied = await copyHashed(path.join(source, f.path), path.join(targetDir, f.path));
    if (!copied || copied.sha256 !== f.sha256 || copied.size !== f.size) {
      await fs.rm(targetDir, { recursive: true, force: true });
      throw new SoviError(
        'invalid_input',
        `backup ${manifest.id} is damaged: ${f.path} ${copied ? 'does not match its checksum in the manifest' : 'is missing'}; ` +
          'nothing was restored. Use another backup (--backup)',
        { field: 'backup' },
      );
    }
    onProgress?.((done += f.size), manifest.size);
  }
}

async function untilPromoted(pool: pg.Pool, logFile: string): Promise<RecoveredTo> {
  const deadline = Date.now() + 6 * 3_600_000;
  for (;;) {
    let state;
    try {
      const client = await pool.connect();
      try {
        state = await recoveryState(client);
      } finally {
        client.release();
      }
    } catch (err) {
      // The server stops when recovery fails after it began accepting connections.
      const log = await fs.readFile(logFile, 'utf8').catch(() => '');
      if (log.includes(TARGET_NOT_REACHED)) throw new SoviError('conflict', TARGET_NOT_REACHED);
      if (log.includes('database system is shut down') || Date.now() > deadline) {
        throw new SoviError(
          'unavailable',
          `recovery failed (${(err as Error).message}):\n${log.trimEnd().split('\n').slice(-15).join('\n')}`,
        );
      }
      await sleep(200);
      continue;
    }
    if (!state.inRecovery) return { lsn: state.replayLsn, time: state.replayTime };
    if (Date.now() > deadline) throw new SoviError('unavailable', 'recovery did not finish within 6 hours');
    await sleep(200);
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await fs.chown(dir, uid, gid);
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    await fs.lchown(path.join(e.parentPath, e.name), uid, gid);
  }
}

/** PostgreSQL's own timestamptz input: it refuses the ISO form's T and Z in recovery_target_time. */
const pgTimestamp = (at: Date): string => at.toISOString().replace('T', ' ').replace('Z', '+00');
