// The daily maintenance job's settings, their defaults and their bounds, in one place. src/config.ts fills them
// from SOVI_PARTITION_MONTHS_AHEAD, SOVI_ACTIVITY_RETENTION_DAYS, SOVI_SNAPSHOT_RETENTION_DAYS and
// SOVI_MAINTENANCE_CRON.
import { invalidInput } from '../errors.ts';

export interface MaintenanceSettings {
  /** activity_log partitions are kept created this many UTC months past the current one. */
  readonly partitionMonthsAhead: number;
  /** activity_log partitions whose whole month ended longer ago than this are dropped. */
  readonly activityRetentionDays: number;
  /** Raw metric_snapshots older than this (and already rolled up) are deleted; undefined keeps them all. */
  readonly snapshotRetentionDays: number | undefined;
  /** When the daily job runs (cron, UTC). */
  readonly cron: string;
}

export const defaultMaintenanceSettings: MaintenanceSettings = Object.freeze({
  partitionMonthsAhead: 2,
  activityRetentionDays: 180,
  snapshotRetentionDays: undefined,
  cron: '30 3 * * *',
});

/** What the settings may be; config.ts and the service check against the same bounds. */
export const maintenanceLimits = {
  monthsAhead: { min: 0, max: 36 },
  activityRetentionDays: { min: 1, max: 36_500 },
  // A week at least: beyond the rollup refresh's default late window (72 h). The refresh recomputes an hour
  // from its raw rows when a late row arrives for it, so the retention must also exceed the configured window.
  snapshotRetentionDays: { min: 7, max: 36_500 },
  batchSize: { min: 1, max: 100_000 },
} as const;

export function checkSetting(name: string, value: number, limits: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw invalidInput(
      name,
      `${name}: expected an integer between ${limits.min} and ${limits.max}, got ${String(value)}`,
    );
  }
}
