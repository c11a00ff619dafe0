// The settings sovi rewrites at every start of an embedded cluster: postgresql.conf includes `sovi.conf`
// last, so what is written here wins over the settings written once at initdb. Archiving lives here (it is
// switched on for clusters created before it existed, too), and so do a restore's recovery settings.
import fs from 'node:fs/promises';
import path from 'node:path';
import { SoviError } from '../../errors.ts';
import { ARCHIVE_TIMEOUT_SECONDS } from '../../settings/backup-settings.ts';
import { canReach, type OsUser } from './binaries.ts';

export const SOVI_CONF = 'sovi.conf';
const INCLUDE_LINE = `include_if_exists = '${SOVI_CONF}'`;

/** Writes sovi.conf (replacing it) and makes sure postgresql.conf includes it, after everything else. */
export async function writeSoviConf(
  dataDir: string,
  settings: Record<string, string>,
  user: OsUser | undefined,
): Promise<void> {
  const conf = path.join(dataDir, 'postgresql.conf');
  const text = await fs.readFile(conf, 'utf8');
  if (!text.includes(INCLUDE_LINE)) {
    await fs.appendFile(conf, `\n# sovi's settings of this start (rewritten each time)\n${INCLUDE_LINE}\n`);
  }
  const file = path.join(dataDir, SOVI_CONF);
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
  await fs.writeFile(file, `# Written by sovi at each start; edits are lost.\n${lines.join('\n')}\n`, {
    mode: 0o600,
  });
  if (user) await fs.chown(file, user.uid, user.gid);
}

/** A path the archive and restore commands can carry: they run through /bin/sh inside a quoted setting. */
export function assertShellSafePath(dir: string, field: string): void {
  if (/["'$`\\%\n]/.test(dir)) {
    throw new SoviError(
      'config',
      `${field}: the backup directory ${JSON.stringify(dir)} holds a character PostgreSQL's archive command ` +
        `cannot carry (" ' $ \` \\ % or a newline); choose another path`,
      { field },
    );
  }
}

/**
 * Copies a finished WAL segment into the archive under a temporary name and renames it, so a half-copied
 * file is never taken for a segment. A segment already there is accepted only when identical (PostgreSQL
 * may re-send one after a crash); a different one fails, so two clusters never share an archive silently.
 */
export function archiveCommand(walDir: string): string {
  const f = `${walDir}/%f`;
  return (
    `'f="${f}"; if [ -f "$f" ]; then cmp -s "%p" "$f"; ` +
    `else cp "%p" "$f.tmp" && sync "$f.tmp" && mv "$f.tmp" "$f"; fi'`
  );
}

export const restoreCommand = (walDir: string): string => `'cp "${walDir}/%f" "%p"'`;

/** The settings that turn on continuous archiving into walDir. */
export function archiveSettings(walDir: string): Record<string, string> {
  return {
    wal_level: 'replica',
    archive_mode: 'on',
    archive_command: archiveCommand(walDir),
    archive_timeout: `${ARCHIVE_TIMEOUT_SECONDS}s`,
  };
}

/**
 * Creates the archive directory, owned by the server's OS user. Returns false when that user cannot reach
 * it (a private SOVI_HOME as root): the server then starts without archiving rather than not at all;
 * `sovi db backup` says why, and the hourly archive check raises a critical event.
 */
export async function archiveDirUsable(walDir: string, user: OsUser | undefined): Promise<boolean> {
  try {
    await ensureArchiveDir(walDir, user);
    return true;
  } catch (err) {
    if (err instanceof SoviError && err.code === 'config') return false;
    throw err;
  }
}

/** Creates the archive directory, owned by the server's OS user, who must be able to reach it. */
export async function ensureArchiveDir(walDir: string, user: OsUser | undefined): Promise<void> {
  assertShellSafePath(walDir, 'SOVI_BACKUP_DIR');
  // The backup directory holds a copy of every row: private, and (when sovi runs as root) owned by the
  // server's OS user, whose archive command writes into it. A directory that exists keeps its owner.
  const createdParent = await fs.mkdir(path.dirname(walDir), { recursive: true, mode: 0o700 });
  await fs.mkdir(walDir, { recursive: true, mode: 0o700 });
  if (user) {
    if (createdParent !== undefined) await fs.chown(path.dirname(walDir), user.uid, user.gid);
    await fs.chown(walDir, user.uid, user.gid);
    if (!(await canReach(walDir, user))) {
      throw new SoviError(
        'config',
        `SOVI_BACKUP_DIR: the embedded PostgreSQL runs as OS user "${user.name}", which cannot reach ${walDir}; ` +
          'choose a directory it can reach',
        { field: 'SOVI_BACKUP_DIR' },
      );
    }
  }
}
