// What `sovi db backups` lists, the scheduled prune, and the archive's freshness: all read from the backup
// directory alone, so they work when the database is lost.
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  archivedWal,
  backupPath,
  partialBackups,
  readManifests,
  readVerification,
  walDir,
} from './backup-catalog.ts';
import type { BackupSummary } from './backup-model.ts';

export async function listBackups(backupDir: string): Promise<BackupSummary[]> {
  const manifests = await readManifests(backupDir);
  const newestWal = newest(await archivedWal(backupDir));
  const summaries: BackupSummary[] = [];
  for (const m of manifests) {
    const v = await readVerification(backupDir, m.id);
    summaries.push({
      id: m.id,
      time: m.stoppedAt,
      size: m.size,
      earliestRestore: m.stoppedAt,
      latestRestore: newestWal && newestWal > new Date(m.stoppedAt) ? newestWal.toISOString() : m.stoppedAt,
      verified: v ? { at: v.verifiedAt, ok: v.ok } : null,
    });
  }
  return summaries;
}

export interface PruneResult {
  removedBackups: string[];
  removedWalSegments: number;
  removedPartials: number;
}

/** A partial backup untouched this long was left by a killed run, not one still being written. */
const PARTIAL_STALE_MS = 24 * 3_600_000;

/**
 * Keeps the newest `keep` backups and the WAL the oldest kept one needs (segments before its first are
 * removed; timeline history files are always kept).
 */
export async function pruneBackups(
  backupDir: string,
  keep: number,
  now: Date = new Date(),
): Promise<PruneResult> {
  const manifests = await readManifests(backupDir);
  const doomed = manifests.slice(0, Math.max(0, manifests.length - keep));
  for (const m of doomed) await fs.rm(backupPath(backupDir, m.id), { recursive: true, force: true });
  let removedWalSegments = 0;
  const oldestNeeded = manifests[doomed.length]?.wal[0]?.name;
  if (oldestNeeded) {
    for (const w of await archivedWal(backupDir)) {
      if (w.name < oldestNeeded) {
        await fs.rm(path.join(walDir(backupDir), w.name), { force: true });
        removedWalSegments++;
      }
    }
  }
  let removedPartials = 0;
  for (const dir of await partialBackups(backupDir)) {
    const st = await fs.stat(dir).catch(() => undefined);
    if (st && now.getTime() - st.mtime.getTime() > PARTIAL_STALE_MS) {
      await fs.rm(dir, { recursive: true, force: true });
      removedPartials++;
    }
  }
  return { removedBackups: doomed.map((m) => m.id), removedWalSegments, removedPartials };
}

export interface ArchiveFreshness {
  ok: boolean;
  newestArchivedAt: Date | null;
  message: string;
}

export async function archiveFreshness(
  backupDir: string,
  maxAgeHours: number,
  now: Date = new Date(),
): Promise<ArchiveFreshness> {
  const newestAt = newest(await archivedWal(backupDir));
  if (!newestAt) {
    return { ok: false, newestArchivedAt: null, message: `no WAL has been archived in ${walDir(backupDir)}` };
  }
  const ageHours = (now.getTime() - newestAt.getTime()) / 3_600_000;
  return ageHours > maxAgeHours
    ? {
        ok: false,
        newestArchivedAt: newestAt,
        message: `the newest archived WAL is ${ageHours.toFixed(1)} h old (limit ${maxAgeHours} h): point-in-time recovery would lose everything since`,
      }
    : { ok: true, newestArchivedAt: newestAt, message: 'the WAL archive is fresh' };
}

const newest = (files: { mtime: Date }[]): Date | undefined =>
  files.reduce<Date | undefined>((max, f) => (max && max > f.mtime ? max : f.mtime), undefined);
