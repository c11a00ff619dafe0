// activity_log's partitions: created ahead, dropped once their whole month is past retention, and the default
// partition's old rows deleted. One transaction under the partitions' advisory lock, so two hosts never do
// it at once, and an event in the same transaction whenever something changed.
import type { Db } from '../db/pool.ts';
import { SoviError } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import {
  dropPartitions,
  ensurePartitions,
  listPartitions,
  pruneDefaultPartition,
  retentionCutoff,
  setLockTimeout,
  tryPartitionLock,
  type PartitionRow,
} from './maintenance-repository.ts';
import {
  checkSetting,
  defaultMaintenanceSettings,
  maintenanceLimits,
} from '../settings/maintenance-settings.ts';
import { isLockNotAvailable } from '../db/pg-errors.ts';

export interface PartitionMaintenanceOptions {
  /** Default 2 (MaintenanceSettings.partitionMonthsAhead). */
  monthsAhead?: number;
  /** Default 180 (MaintenanceSettings.activityRetentionDays). */
  retentionDays?: number;
  /** Report what would be created, dropped and deleted; change nothing. */
  dryRun?: boolean;
  /** The moment to act at; default the database's now(). */
  now?: Date;
  /**
   * How long to wait for activity_log's lock. While a DETACH or CREATE waits, every query on activity_log
   * queues behind it, so the wait is short and a busy table means "try later". Default 2000.
   */
  lockTimeoutMs?: number;
}

export interface PartitionMaintenanceResult {
  /** Partitions created (dry: to create), in month order. */
  created: string[];
  /** Partitions detached and dropped (dry: to drop), oldest first. */
  dropped: string[];
  /** Rows of the default partition older than the cutoff, deleted (dry: to delete). */
  defaultRowsDeleted: number;
  /** now - retention: activity older than this is gone. */
  cutoff: Date;
  dryRun: boolean;
  /** Another session held the maintenance lock; this one did nothing. */
  skipped: boolean;
}

export async function maintainPartitions(
  db: Db,
  options: PartitionMaintenanceOptions = {},
): Promise<PartitionMaintenanceResult> {
  const monthsAhead = options.monthsAhead ?? defaultMaintenanceSettings.partitionMonthsAhead;
  const retentionDays = options.retentionDays ?? defaultMaintenanceSettings.activityRetentionDays;
  checkSetting('monthsAhead', monthsAhead, maintenanceLimits.monthsAhead);
  checkSetting('retentionDays', retentionDays, maintenanceLimits.activityRetentionDays);
  const { now, dryRun = false, lockTimeoutMs = 2_000 } = options;
  try {
    return await db.transaction().execute(async (trx) => {
      const cutoff = await retentionCutoff(trx, retentionDays, now);
      if (!dryRun) {
        if (!(await tryPartitionLock(trx)))
          return { created: [], dropped: [], defaultRowsDeleted: 0, cutoff, dryRun, skipped: true };
        await setLockTimeout(trx, lockTimeoutMs);
      }
      // Row deletions first: the DDL's ACCESS EXCLUSIVE locks are then held only from the DDL to the commit.
      const defaultRowsDeleted = await pruneDefaultPartition(trx, retentionDays, now, dryRun);
      const created = await ensurePartitions(trx, monthsAhead, now, dryRun);
      const dropped = await dropPartitions(trx, retentionDays, now, dryRun);
      const result = { created, dropped, defaultRowsDeleted, cutoff, dryRun, skipped: false };
      if (!dryRun && (created.length > 0 || dropped.length > 0 || defaultRowsDeleted > 0)) {
        await recordEvent(trx, {
          category: 'maintenance',
          severity: 'info',
          eventType: 'activity_log_partitions_maintained',
          message: describeChange(result, retentionDays),
          context: {
            created,
            dropped,
            defaultRowsDeleted,
            cutoff: cutoff.toISOString(),
            retentionDays,
            monthsAhead,
          },
        });
      }
      return result;
    });
  } catch (err) {
    if (isLockNotAvailable(err)) {
      throw new SoviError(
        'conflict',
        `activity_log is busy: its lock was not granted within ${lockTimeoutMs} ms, so no partition ` +
          'was created or dropped; run again later (the daily job retries by itself)',
        { pgCode: '55P03' },
        { cause: err },
      );
    }
    throw err;
  }
}

/** activity_log's partitions in range order, the default one first: their ranges, estimated rows and size. */
export async function activityPartitions(db: Db): Promise<PartitionRow[]> {
  return listPartitions(db);
}

function describeChange(r: PartitionMaintenanceResult, retentionDays: number): string {
  const parts = [];
  if (r.created.length > 0) parts.push(`created ${r.created.join(', ')}`);
  if (r.dropped.length > 0) parts.push(`dropped ${r.dropped.join(', ')}`);
  if (r.defaultRowsDeleted > 0)
    parts.push(`deleted ${r.defaultRowsDeleted} row(s) from activity_log_default`);
  return (
    `activity_log partitions: ${parts.join('; ')} ` +
    `(retention ${retentionDays} days: activity before ${r.cutoff.toISOString()} is removed)`
  );
}
