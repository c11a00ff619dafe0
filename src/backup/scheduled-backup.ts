// What the scheduled backup job does: check that the WAL archive is fresh (a critical event when it is
// missing or stale: point-in-time recovery silently stopped), take a base backup, prune to SOVI_BACKUP_KEEP.
// A failure is an error event. Event contexts hold paths, ids and messages, never connection strings.
import type { Database } from '../db/database.ts';
import { openEventExists, recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import type { BackupSettings } from '../settings/backup-settings.ts';
import {
  archiveFreshness,
  pruneBackups,
  type ArchiveFreshness,
  type PruneResult,
} from './backup-catalog-service.ts';
import { takeBackup } from './backup-service.ts';

export interface ScheduledBackupDeps {
  database: Database;
  settings: BackupSettings;
  logger: Logger;
  vaultKeyFile?: string | undefined;
}

export interface ScheduledBackupResult {
  backupId: string | null;
  pruned: PruneResult | null;
  archive: ArchiveFreshness;
}

const STALE_EVENT = 'wal_archive_stale';

/** Records a critical event (once while one is open) when the archive is missing or stale. */
export async function checkArchive(deps: ScheduledBackupDeps): Promise<ArchiveFreshness> {
  const freshness = await archiveFreshness(deps.settings.dir, deps.settings.maxAgeHours);
  if (!freshness.ok && !(await openEventExists(deps.database.db, { eventType: STALE_EVENT }))) {
    await recordEvent(deps.database.db, {
      category: 'system',
      severity: 'critical',
      eventType: STALE_EVENT,
      message: `WAL archive: ${freshness.message}; check the PostgreSQL log and SOVI_BACKUP_DIR`,
      context: {
        backupDir: deps.settings.dir,
        newestArchivedAt: freshness.newestArchivedAt?.toISOString() ?? null,
        maxAgeHours: deps.settings.maxAgeHours,
      },
    });
  }
  return freshness;
}

export async function runScheduledBackup(deps: ScheduledBackupDeps): Promise<ScheduledBackupResult> {
  const archive = await checkArchive(deps);
  try {
    const manifest = await takeBackup(deps);
    const pruned = await pruneBackups(deps.settings.dir, deps.settings.keep);
    await recordEvent(deps.database.db, {
      category: 'system',
      severity: 'info',
      eventType: 'backup_taken',
      message: `base backup ${manifest.id} taken (${manifest.size} bytes); ${pruned.removedBackups.length} old backups pruned`,
      context: { backupId: manifest.id, size: manifest.size, pruned: pruned.removedBackups },
    });
    return { backupId: manifest.id, pruned, archive };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.error({ err: message }, 'scheduled backup failed');
    await recordEvent(deps.database.db, {
      category: 'system',
      severity: 'error',
      eventType: 'backup_failed',
      message: `the scheduled base backup failed: ${message}`,
      context: { backupDir: deps.settings.dir, error: message },
    });
    return { backupId: null, pruned: null, archive };
  }
}
