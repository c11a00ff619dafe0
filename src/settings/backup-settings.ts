// Backups of the embedded PostgreSQL: where they go, when the scheduled one runs, how many are kept and when
// the WAL archive counts as stale. src/config.ts fills them from SOVI_BACKUP_DIR, SOVI_BACKUP_CRON,
// SOVI_BACKUP_KEEP and SOVI_BACKUP_MAX_AGE_HOURS.

export interface BackupSettings {
  /** Base backups (base/<id>) and the WAL archive (wal/). Default $SOVI_HOME/backups; best on another disk. */
  readonly dir: string;
  /** When the scheduled base backup runs (cron, UTC), or 'off'. */
  readonly cron: string;
  /** Base backups kept by the scheduled prune; the WAL older than the oldest kept one is removed. */
  readonly keep: number;
  /** A newest archived WAL older than this (or none at all) is a critical event. */
  readonly maxAgeHours: number;
}

export const defaultBackupSettings = Object.freeze({
  dirName: 'backups',
  cron: '15 2 * * *',
  keep: 7,
  maxAgeHours: 26,
});

export const backupLimits = {
  keep: { min: 1, max: 1_000 },
  maxAgeHours: { min: 1, max: 24 * 366 },
} as const;

/**
 * archive_timeout: a quiet server still switches (and so archives) its WAL segment at least this often, which
 * bounds the writes a lost disk can take with it. 60 s costs at most one 16 MB segment a minute when writes
 * trickle in, and nothing when the server is idle (PostgreSQL skips the switch when no WAL was written).
 */
export const ARCHIVE_TIMEOUT_SECONDS = 60;
