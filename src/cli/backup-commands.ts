// The backup commands of the `db` group: backup, backups, restore, verify-backup (src/backup does the work).
import type { Command } from 'commander';
import { listBackups } from '../backup/backup-catalog-service.ts';
import type { BackupSummary } from '../backup/backup-model.ts';
import { externalServerRefusal, takeBackup } from '../backup/backup-service.ts';
import { restoreBackup } from '../backup/restore-service.ts';
import { verifyBackup } from '../backup/verify-service.ts';
import { SoviError } from '../errors.ts';
import { parseTime } from '../time.ts';
import { action, type CliContext } from './context.ts';
import { bytes, json, table } from './format.ts';
import { progress } from './progress.ts';
import { readCommand } from './read-command.ts';

const osUserOf = (ctx: CliContext): string => {
  const { target } = ctx.config.database;
  if (target.kind !== 'embedded') throw externalServerRefusal();
  return target.osUser;
};

export function registerBackupCommands(db: Command): void {
  db.command('backup')
    .description('take a base backup of the embedded PostgreSQL now (into SOVI_BACKUP_DIR)')
    .option('--json', 'print the manifest summary as JSON')
    .action(
      action(async (ctx, o: { json?: boolean }) => {
        osUserOf(ctx);
        const database = await ctx.database();
        const bar = progress('backup');
        try {
          const m = await takeBackup(
            {
              database,
              settings: ctx.config.backup,
              logger: ctx.logger,
              vaultKeyFile: ctx.config.vault.keyFile,
            },
            { onProgress: (done, total) => bar.update(done, total) },
          );
          bar.stop();
          const summary = {
            id: m.id,
            size: m.size,
            files: m.files.length,
            startLsn: m.startLsn,
            stopLsn: m.stopLsn,
            walSegments: m.wal.length,
            rowCounts: m.rowCounts,
            dir: ctx.config.backup.dir,
          };
          ctx.print(
            o.json
              ? json(summary)
              : `backup ${m.id}: ${bytes(m.size)} in ${m.files.length} files, LSN ${m.startLsn}..${m.stopLsn}, ` +
                  `${m.wal.length} WAL segments, in ${ctx.config.backup.dir}`,
          );
        } finally {
          bar.stop();
        }
      }),
    );

  readCommand(db, {
    spec: 'backups',
    description: 'list the base backups, the span of time each can restore to, and their verification',
    read: async (ctx) => {
      osUserOf(ctx);
      return listBackups(ctx.config.backup.dir);
    },
    text: (rows: BackupSummary[], ctx) =>
      rows.length === 0
        ? `no backups in ${ctx.config.backup.dir}`
        : table(
            ['id', 'time', 'size', 'restores from', 'restores to', 'verified'],
            rows.map((r) => [
              r.id,
              r.time,
              bytes(r.size),
              r.earliestRestore,
              r.latestRestore,
              r.verified ? `${r.verified.ok ? 'ok' : 'FAILED'} ${r.verified.at}` : 'no',
            ]),
          ),
  });

  db.command('restore')
    .description('restore a backup (to a point in time) into a new data directory')
    .option('--backup <id>', 'the backup to restore (default: the newest one before --to-time)')
    .option(
      '--to-time <time>',
      'the point in time: ISO-8601, or a duration ago like 2h (default: all archived WAL)',
    )
    .option('--into <dir>', 'the new data directory (default: $SOVI_HOME/restored-<time>)')
    .option('--force', 'replace the live data directory (--into it; the server must be stopped)')
    .action(
      action(async (ctx, o: { backup?: string; toTime?: string; into?: string; force?: boolean }) => {
        const osUser = osUserOf(ctx);
        const toTime = o.toTime === undefined ? undefined : parseTime('--to-time', o.toTime);
        const bar = progress('restore');
        try {
          const r = await restoreBackup(
            {
              settings: ctx.config.backup,
              home: ctx.config.home,
              osUser,
              vault: ctx.vault,
              logger: ctx.logger,
            },
            {
              backupId: o.backup,
              toTime,
              into: o.into,
              force: o.force,
              onProgress: (done, total) => bar.update(done, total),
            },
          );
          bar.stop();
          const lines = [
            `restored backup ${r.backupId} into ${r.dataDir}`,
            `recovered to LSN ${r.recoveredTo.lsn ?? 'unknown'}, last transaction at ${r.recoveredTo.time?.toISOString() ?? 'none replayed'}`,
          ];
          if (r.archiveEndedBeforeTarget) {
            lines.push(`the archive ends before ${o.toTime ?? ''}: everything archived was restored`);
          }
          if (r.previousDataDir) lines.push(`the previous data directory was kept in ${r.previousDataDir}`);
          else {
            lines.push(
              'to make it live: stop sovi, `sovi db stop`, then `sovi db restore --force --into <live data dir>` ' +
                'or move this directory to $SOVI_HOME/pg/data',
            );
          }
          ctx.print(lines.join('\n'));
          for (const k of r.missingKeys) {
            process.stderr.write(
              `warning: ${k.values} sealed values use vault key ${k.keyId}, which is not configured: ` +
                'add it to SOVI_VAULT_KEYS or the key file before opening them\n',
            );
          }
        } finally {
          bar.stop();
        }
      }),
    );

  db.command('verify-backup [id]')
    .description(
      'restore drill: check a backup (default the newest) in a throwaway cluster and record the result',
    )
    .option('--json', 'print the result as JSON')
    .action(
      action(async (ctx, id: string | undefined, o: { json?: boolean }) => {
        const osUser = osUserOf(ctx);
        const bar = progress('verify');
        try {
          const v = await verifyBackup(
            { settings: ctx.config.backup, osUser, logger: ctx.logger },
            id,
            (done, total) => bar.update(done, total),
          );
          bar.stop();
          ctx.print(
            o.json
              ? json(v)
              : v.ok
                ? `backup ${v.backupId} verified: restored to LSN ${v.recoveredToLsn ?? ''}, row counts match ` +
                  `(${Object.entries(v.rowCounts)
                    .map(([t, n]) => `${t} ${n}`)
                    .join(', ')}), in ${(v.durationMs / 1000).toFixed(1)} s`
                : `backup ${v.backupId} FAILED verification:\n  ${v.problems.join('\n  ')}`,
          );
          if (!v.ok) process.exitCode = new SoviError('invalid_input', '').exitCode;
        } finally {
          bar.stop();
        }
      }),
    );
}
