// Raw metric_snapshots retention (off by default). Only rows older than both the retention and the rollup
// watermark go: what metrics_hourly and metrics_daily already hold is kept there, and those are never
// touched. Rows are deleted in small batches, each its own transaction, so no long lock or huge transaction
// builds up and a stopped run just continues next time.
//
// `safeBefore` is the caller's rollup watermark: the rollups before it are final. refresh_metric_rollups()
// recomputes buckets from the raw rows, so it must never again run over a range pruned here.
import type { Db } from '../db/pool.ts';
import { recordEvent } from '../events/events-service.ts';
import { countSnapshotsBefore, deleteSnapshotsBefore, snapshotCutoff } from './maintenance-repository.ts';
import { checkSetting, maintenanceLimits } from '../settings/maintenance-settings.ts';

export interface SnapshotPruneProgress {
  deleted: number;
  /** Rows older than the cutoff when the run began. */
  total: number;
}

export interface SnapshotPruneOptions {
  /** Keep this many days of raw snapshots; undefined keeps them all and does nothing. */
  retentionDays: number | undefined;
  /** The rollup watermark: every snapshot before it is already folded into the rollups. */
  safeBefore: Date;
  /** Rows per DELETE (and per transaction). Default 5000. */
  batchSize?: number;
  onProgress?: (progress: SnapshotPruneProgress) => void;
  /** Stops between batches (what was deleted stays deleted). */
  signal?: AbortSignal;
  /** Count what would be deleted; delete nothing. */
  dryRun?: boolean;
  /** The moment to act at; default the database's now(). */
  now?: Date;
}

/** Deletes (dry: counts) the raw snapshots past both cutoffs; returns how many. */
export async function pruneSnapshots(db: Db, options: SnapshotPruneOptions): Promise<number> {
  const { retentionDays, safeBefore } = options;
  if (retentionDays === undefined) return 0;
  const batchSize = options.batchSize ?? 5_000;
  checkSetting('retentionDays', retentionDays, maintenanceLimits.snapshotRetentionDays);
  checkSetting('batchSize', batchSize, maintenanceLimits.batchSize);

  const cutoff = await snapshotCutoff(db, retentionDays, safeBefore, options.now);
  const total = options.dryRun || options.onProgress ? await countSnapshotsBefore(db, cutoff) : 0;
  if (options.dryRun) return total;
  let deleted = 0;
  options.onProgress?.({ deleted, total });
  for (;;) {
    options.signal?.throwIfAborted();
    const n = await deleteSnapshotsBefore(db, cutoff, batchSize);
    deleted += n;
    options.onProgress?.({ deleted, total: Math.max(total, deleted) });
    if (n < batchSize) break;
  }
  if (deleted > 0) {
    await recordEvent(db, {
      category: 'maintenance',
      severity: 'info',
      eventType: 'metric_snapshots_pruned',
      message: `deleted ${deleted} raw metric snapshot(s) from before ${cutoff.toISOString()} (retention ${retentionDays} days, rollups kept)`,
      context: {
        deleted,
        cutoff: cutoff.toISOString(),
        retentionDays,
        safeBefore: safeBefore.toISOString(),
        batchSize,
      },
    });
  }
  return deleted;
}
