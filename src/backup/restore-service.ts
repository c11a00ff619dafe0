// `sovi db restore`: picks the base backup for the point in time asked for, recovers it into a new data
// directory (or, stopped and forced, in place of the live one, which is kept aside), and says what it
// reached. Sealed values under vault keys this process does not have are reported: the keys never travel
// with a backup.
import fs from 'node:fs/promises';
import path from 'node:path';
import { clusterRunner, embeddedPaths, isClusterRunning } from '../db/embedded/server.ts';
import { SoviError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { BackupSettings } from '../settings/backup-settings.ts';
import { countValuesByKey } from '../vault/key-rotation.ts';
import type { Vault } from '../vault/vault.ts';
import { archivedWal, readManifest, readManifests, walDir } from './backup-catalog.ts';
import type { Manifest } from './backup-model.ts';
import { recoverInto, TARGET_NOT_REACHED, type RecoveredTo, type RecoveryTarget } from './recovery.ts';

export interface RestoreDeps {
  settings: BackupSettings;
  home: string;
  osUser: string;
  vault: Vault;
  logger: Logger;
}

export interface RestoreOptions {
  backupId?: string | undefined;
  toTime?: Date | undefined;
  into?: string | undefined;
  force?: boolean | undefined;
  onProgress?: (done: number, total: number) => void;
}

export interface RestoreResult {
  backupId: string;
  dataDir: string;
  /** Where the live data directory was moved when it was replaced. */
  previousDataDir: string | null;
  recoveredTo: RecoveredTo;
  /** The archive ended before --to-time: everything archived was restored. */
  archiveEndedBeforeTarget: boolean;
  /** Key ids sealing values in the restored data that are not configured here, with their value counts. */
  missingKeys: { keyId: string; values: number }[];
}

export async function restoreBackup(deps: RestoreDeps, options: RestoreOptions): Promise<RestoreResult> {
  const backupDir = deps.settings.dir;
  const manifest = await chooseBackup(backupDir, options.backupId, options.toTime);
  if (options.toTime) {
    const newest = (await archivedWal(backupDir)).reduce<Date | undefined>(
      (max, w) => (max && max > w.mtime ? max : w.mtime),
      undefined,
    );
    if (!newest || options.toTime > newest) {
      throw new SoviError(
        'invalid_input',
        `--to-time: the WAL archive reaches only ${newest?.toISOString() ?? '(nothing archived)'}; choose an earlier time`,
        { field: 'to-time' },
      );
    }
  }

  const runner = await clusterRunner(deps.osUser);
  const live = await embeddedPaths(deps.home);
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const into = path.resolve(options.into ?? path.join(deps.home, `restored-${stamp}`));
  let previousDataDir: string | null = null;
  if (into === path.resolve(live.dataDir)) {
    if (!options.force) {
      throw new SoviError(
        'conflict',
        `--into ${into} is the live data directory: stop sovi (\`sovi db stop\`) and add --force to replace it ` +
          '(the current one is kept aside)',
        { field: 'into' },
      );
    }
    if (await isClusterRunning(runner, live.dataDir)) {
      throw new SoviError(
        'conflict',
        'the embedded PostgreSQL is running on the live data directory: stop every sovi process and run `sovi db stop` first',
        { field: 'force' },
      );
    }
    previousDataDir = `${live.dataDir}.before-restore-${stamp}`;
    await fs.rename(live.dataDir, previousDataDir);
  } else if ((await fs.readdir(into).catch(() => [])).length > 0) {
    throw new SoviError('conflict', `--into: ${into} exists and is not empty; name a new directory`, {
      field: 'into',
    });
  }

  const missingKeys: RestoreResult['missingKeys'] = [];
  const recover = (target: RecoveryTarget) =>
    recoverInto({
      manifest,
      backupDir,
      targetDir: into,
      target,
      runner,
      logger: deps.logger,
      onProgress: options.onProgress,
      inspect: async ({ db }) => {
        for (const [keyId, values] of await countValuesByKey(db)) {
          if (!deps.vault.hasKey(keyId)) missingKeys.push({ keyId, values });
        }
      },
    });
  let recoveredTo: RecoveredTo;
  let archiveEndedBeforeTarget = false;
  try {
    try {
      recoveredTo = await recover(options.toTime ? { kind: 'time', time: options.toTime } : { kind: 'end' });
    } catch (err) {
      // The archive holds no commit after --to-time (a quiet server): all of it is exactly that point.
      if (!(err instanceof SoviError && err.message === TARGET_NOT_REACHED)) throw err;
      await fs.rm(into, { recursive: true, force: true });
      missingKeys.length = 0;
      recoveredTo = await recover({ kind: 'end' });
      archiveEndedBeforeTarget = true;
    }
  } catch (err) {
    await fs.rm(into, { recursive: true, force: true });
    if (previousDataDir) await fs.rename(previousDataDir, live.dataDir);
    throw err;
  }
  if (previousDataDir) await copyHistoryFiles(into, walDir(backupDir));
  return {
    backupId: manifest.id,
    dataDir: into,
    previousDataDir,
    recoveredTo,
    archiveEndedBeforeTarget,
    missingKeys,
  };
}

/** The named backup, or the newest one that ends before --to-time (the newest of all without one). */
export async function chooseBackup(backupDir: string, id?: string, toTime?: Date): Promise<Manifest> {
  if (id !== undefined) {
    const manifest = await readManifest(backupDir, id);
    if (toTime && toTime < new Date(manifest.stoppedAt)) {
      throw new SoviError(
        'invalid_input',
        `--to-time: backup ${id} can restore only to ${manifest.stoppedAt} or later`,
        { field: 'to-time' },
      );
    }
    return manifest;
  }
  const manifests = await readManifests(backupDir);
  const fitting = toTime ? manifests.filter((m) => new Date(m.stoppedAt) <= toTime) : manifests;
  const chosen = fitting.at(-1);
  if (!chosen) {
    throw new SoviError(
      manifests.length === 0 ? 'not_found' : 'invalid_input',
      manifests.length === 0
        ? `no backups in ${backupDir}: take one with \`sovi db backup\``
        : `--to-time: the oldest backup can restore only to ${manifests[0]?.stoppedAt ?? ''} or later`,
      { field: manifests.length === 0 ? 'backup' : 'to-time' },
    );
  }
  return chosen;
}

/**
 * The promoted cluster starts a new timeline; its history file goes into the archive so later restores of
 * backups taken on that timeline find it (only when it becomes the live cluster: a side copy must not
 * steer the archive's timelines).
 */
async function copyHistoryFiles(dataDir: string, archive: string): Promise<void> {
  const walDirOfData = path.join(dataDir, 'pg_wal');
  for (const name of await fs.readdir(walDirOfData)) {
    if (!name.endsWith('.history')) continue;
    await fs
      .copyFile(path.join(walDirOfData, name), path.join(archive, name), fs.constants.COPYFILE_EXCL)
      .catch(() => undefined);
  }
}
