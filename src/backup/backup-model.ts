// What a backup is on disk: its manifest (written last, so a backup without one is not a backup), the
// verification a drill records next to it, and the summaries `sovi db backups` lists.

export const MANIFEST_FORMAT = 1;

/** The tables whose row counts a backup records and a drill compares; those missing are left out. */
export const countedTables = [
  'accounts',
  'devices',
  'niches',
  'content',
  'distributions',
  'hooks',
  'metric_snapshots',
  'system_events',
  'trending_topics',
  'warming_progress',
] as const;

export interface ManifestFile {
  /** Relative to the backup's data/ directory, with forward slashes. */
  path: string;
  size: number;
  sha256: string;
}

export interface ManifestWal {
  name: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  pgVersion: string;
  systemIdentifier: string;
  timeline: number;
  startedAt: string;
  /** When pg_backup_stop returned: the earliest time this backup can restore to. */
  stoppedAt: string;
  startLsn: string;
  stopLsn: string;
  /**
   * The LSN at which rowCounts were taken (writers to the counted tables held off for the count): a drill
   * recovers exactly to it and must find the same counts.
   */
  countsLsn: string;
  rowCounts: Record<string, number>;
  files: ManifestFile[];
  /** Directories to recreate, empty ones included (pg_wal, pg_notify, …). */
  dirs: string[];
  /** The archived WAL segments from the start of the backup to countsLsn: what any restore of it needs. */
  wal: ManifestWal[];
  /** Bytes of data/ (the WAL is shared, in the archive). */
  size: number;
}

export interface Verification {
  verifiedAt: string;
  ok: boolean;
  problems: string[];
  recoveredToLsn: string | null;
  rowCounts: Record<string, number>;
  durationMs: number;
}

export interface BackupSummary {
  id: string;
  time: string;
  size: number;
  /** The earliest and latest point in time a restore from this backup can reach. */
  earliestRestore: string;
  latestRestore: string;
  verified: { at: string; ok: boolean } | null;
}
