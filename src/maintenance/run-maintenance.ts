// One maintenance run, as the daily job and `sovi maintenance run` do it: activity_log's partitions, old
// dashboard sessions, then (when configured and a rollup watermark is known) the raw metric snapshots.
import { pruneSessions, SESSION_HISTORY_DAYS } from '../auth/sessions-service.ts';
import type { Db } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { MaintenanceSettings } from '../settings/maintenance-settings.ts';
import { maintainPartitions, type PartitionMaintenanceResult } from './partition-maintenance.ts';
import { pruneSnapshots, type SnapshotPruneProgress } from './snapshot-retention.ts';

export interface MaintenanceDeps {
  db: Db;
  logger: Logger;
  settings: MaintenanceSettings;
  /** The rollup watermark (snapshots before it are rolled up); null when unknown, and then none is pruned. */
  safeBefore: () => Promise<Date | null>;
}

export interface MaintenanceRunResult {
  partitions: PartitionMaintenanceResult;
  /** Dashboard sessions that ended or expired over `olderThanDays` ago: deleted (counted in a dry run). */
  sessions: { deleted: number; olderThanDays: number };
  snapshots:
    | { deleted: number; safeBefore: Date }
    /** disabled: no snapshot retention configured; no_watermark: the rollups' progress is unknown. */
    | { skipped: 'disabled' | 'no_watermark' };
}

export async function runMaintenance(
  deps: MaintenanceDeps,
  options: {
    dryRun?: boolean;
    signal?: AbortSignal;
    onSnapshotProgress?: (progress: SnapshotPruneProgress) => void;
  } = {},
): Promise<MaintenanceRunResult> {
  const { db, logger, settings } = deps;
  const dryRun = options.dryRun ?? false;
  const partitions = await maintainPartitions(db, {
    monthsAhead: settings.partitionMonthsAhead,
    retentionDays: settings.activityRetentionDays,
    dryRun,
  });
  logger.info(
    {
      created: partitions.created,
      dropped: partitions.dropped,
      defaultRowsDeleted: partitions.defaultRowsDeleted,
      skipped: partitions.skipped,
      dryRun,
    },
    'activity_log partitions maintained',
  );

  const sessions = { deleted: await pruneSessions(db, dryRun), olderThanDays: SESSION_HISTORY_DAYS };
  logger.info({ ...sessions, dryRun }, 'old dashboard sessions pruned');
  return { partitions, sessions, snapshots: await pruneRolledUpSnapshots(deps, dryRun, options) };
}

async function pruneRolledUpSnapshots(
  deps: MaintenanceDeps,
  dryRun: boolean,
  options: { signal?: AbortSignal; onSnapshotProgress?: (progress: SnapshotPruneProgress) => void },
): Promise<MaintenanceRunResult['snapshots']> {
  const { db, logger, settings } = deps;
  const retentionDays = settings.snapshotRetentionDays;
  if (retentionDays === undefined) return { skipped: 'disabled' };
  const safeBefore = await deps.safeBefore();
  if (safeBefore === null) {
    logger.warn('raw snapshot retention is configured, but the rollup watermark is unknown: nothing pruned');
    return { skipped: 'no_watermark' };
  }
  const deleted = await pruneSnapshots(db, {
    retentionDays,
    safeBefore,
    dryRun,
    signal: options.signal,
    onProgress: options.onSnapshotProgress,
  });
  logger.info({ deleted, safeBefore, dryRun }, 'raw metric snapshots pruned');
  return { deleted, safeBefore };
}
