// The scheduled base backup (SOVI_BACKUP_CRON, 'off' to disable) and an hourly check of the WAL archive's
// freshness, for the embedded PostgreSQL only (an external server is backed up by its own tools). The queues
// hold one job at a time, so a manual `sovi db backup` may run beside it (PostgreSQL allows concurrent base
// backups) but two scheduled ones never overlap.
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { BackupSettings } from '../settings/backup-settings.ts';
import { checkArchive, runScheduledBackup, type ScheduledBackupResult } from '../backup/scheduled-backup.ts';
import { ensureCronQueue, stopWork } from './job-engine.ts';

export const backupQueues = { backup: 'backup-base', archiveCheck: 'backup-archive-check' } as const;
const ARCHIVE_CHECK_CRON = '41 * * * *';

export interface BackupWorkerOptions {
  database: Database;
  logger: Logger;
  boss: PgBoss;
  settings: BackupSettings;
  vaultKeyFile?: string | undefined;
  heartbeatSeconds?: number;
  /** false: no cron (tests call run()). Default true. */
  schedule?: boolean;
}

export interface BackupWorker {
  run(): Promise<ScheduledBackupResult>;
  stop(): Promise<void>;
}

export async function startBackupWorker(options: BackupWorkerOptions): Promise<BackupWorker | undefined> {
  const { database, logger, boss, settings } = options;
  if (database.kind !== 'embedded') return undefined;
  const deps = { database, settings, logger, vaultKeyFile: options.vaultKeyFile };
  const queueOptions = {
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    policy: 'exclusive' as const,
    notify: true,
    expireInSeconds: 6 * 3_600,
  };
  await ensureCronQueue(boss, backupQueues.backup, queueOptions);
  await ensureCronQueue(boss, backupQueues.archiveCheck, { ...queueOptions, expireInSeconds: 600 });
  await boss.work(backupQueues.backup, { pollingIntervalSeconds: 30 }, async () => {
    const r = await runScheduledBackup(deps);
    return { backupId: r.backupId };
  });
  await boss.work(backupQueues.archiveCheck, { pollingIntervalSeconds: 30 }, async () => {
    const r = await checkArchive(deps);
    return { ok: r.ok };
  });
  if (options.schedule !== false) {
    if (settings.cron === 'off') await boss.unschedule(backupQueues.backup);
    else await boss.schedule(backupQueues.backup, settings.cron, {}, { tz: 'UTC' });
    await boss.schedule(backupQueues.archiveCheck, ARCHIVE_CHECK_CRON, {}, { tz: 'UTC' });
  }
  logger.info({ cron: settings.cron, dir: settings.dir }, 'backup worker started');
  return {
    run: () => runScheduledBackup(deps),
    stop: async () => {
      await stopWork(boss, backupQueues);
    },
  };
}
