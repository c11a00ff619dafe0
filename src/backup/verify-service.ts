// `sovi db verify-backup`: a restore drill. The backup's files are checked against the manifest, the backup
// is recovered into a throwaway cluster exactly to the point where its row counts were taken, the checks of
// `sovi db status` run against it, and the counts are compared. The result is recorded next to the
// manifest (verified.json), where `sovi db backups` shows it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { clusterRunner } from '../db/embedded/server.ts';
import { databaseStatus } from '../db/status.ts';
import { SoviError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { BackupSettings } from '../settings/backup-settings.ts';
import { dataPath, readManifest, readManifests, writeVerification } from './backup-catalog.ts';
import { countedTables, type Verification } from './backup-model.ts';
import { rowCounts } from './backup-repository.ts';
import { checkFiles } from './data-copy.ts';
import { recoverInto, type RecoveredTo } from './recovery.ts';

export interface VerifyDeps {
  settings: BackupSettings;
  osUser: string;
  logger: Logger;
}

export interface VerifyResult extends Verification {
  backupId: string;
}

export async function verifyBackup(
  deps: VerifyDeps,
  id: string | undefined,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> {
  const backupDir = deps.settings.dir;
  const manifest =
    id !== undefined ? await readManifest(backupDir, id) : (await readManifests(backupDir)).at(-1);
  if (!manifest) {
    throw new SoviError('not_found', `no backups in ${backupDir}: take one with \`sovi db backup\``, {
      field: 'id',
    });
  }
  const started = Date.now();
  const problems = await checkFiles(dataPath(backupDir, manifest.id), manifest.files, (done) =>
    onProgress?.(done, manifest.size * 2),
  );
  let counts: Record<string, number> = {};
  let reached: RecoveredTo | undefined;
  if (problems.length === 0) {
    // Beside the backups: the drill needs as much room as the backup, which /tmp may not have.
    const drillDir = path.join(backupDir, `.drill-${randomBytes(4).toString('hex')}`);
    try {
      reached = await recoverInto({
        manifest,
        backupDir,
        targetDir: drillDir,
        target: { kind: 'lsn', lsn: manifest.countsLsn },
        runner: await clusterRunner(deps.osUser),
        logger: deps.logger,
        onProgress: (done) => onProgress?.(manifest.size + done, manifest.size * 2),
        inspect: async ({ pool, description }) => {
          const status = await databaseStatus({ pool, description, kind: 'embedded' });
          problems.push(...status.migrations.problems.map((p) => `migrations: ${p}`));
          const client = await pool.connect();
          try {
            counts = await rowCounts(client, countedTables);
          } finally {
            client.release();
          }
        },
      });
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    } finally {
      await fs.rm(drillDir, { recursive: true, force: true });
    }
    for (const [table, expected] of Object.entries(manifest.rowCounts)) {
      if (reached && counts[table] !== expected) {
        problems.push(
          `${table}: ${String(counts[table] ?? 'missing')} rows restored, ${expected} recorded at backup`,
        );
      }
    }
  }
  const verification: Verification = {
    verifiedAt: new Date().toISOString(),
    ok: problems.length === 0,
    problems,
    recoveredToLsn: reached?.lsn ?? null,
    rowCounts: counts,
    durationMs: Date.now() - started,
  };
  await writeVerification(backupDir, manifest.id, verification);
  return { backupId: manifest.id, ...verification };
}
