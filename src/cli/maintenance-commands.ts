import type { Command } from 'commander';
import { activityPartitions } from '../maintenance/partition-maintenance.ts';
import { rolledUpBefore } from '../maintenance/rollup-watermark.ts';
import { runMaintenance, type MaintenanceRunResult } from '../maintenance/run-maintenance.ts';
import { action } from './context.ts';
import { bytes, fields, json, shortTime, table } from './format.ts';
import { progress } from './progress.ts';
import { readCommand } from './read-command.ts';

export function registerMaintenanceCommands(maintenance: Command): void {
  maintenance
    .command('run')
    .description(
      'create activity_log partitions ahead, drop those past retention, delete old sessions, prune old raw snapshots (when configured)',
    )
    .option('--dry-run', 'print what would be created, dropped and deleted, and change nothing')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { dryRun?: boolean; json?: boolean }) => {
        const database = await ctx.database();
        const settings = ctx.config.maintenance;
        const bar = progress('prune snapshots');
        const controller = new AbortController();
        ctx.onClose(async () => controller.abort());
        try {
          const result = await runMaintenance(
            {
              db: database.db,
              logger: ctx.logger,
              settings,
              safeBefore: () => rolledUpBefore(database.pool),
            },
            {
              dryRun: o.dryRun,
              signal: controller.signal,
              onSnapshotProgress: (p) => bar.update(p.deleted, p.total),
            },
          );
          bar.stop();
          ctx.print(o.json ? json(result) : describeRun(result, settings.activityRetentionDays));
        } finally {
          bar.stop();
        }
      }),
    );

  readCommand(maintenance, {
    spec: 'partitions',
    description: "activity_log's partitions: their ranges, estimated rows and size",
    read: async (ctx) => activityPartitions(await ctx.db()),
    text: (partitions, { config: { maintenance: settings } }) =>
      [
        table(
          ['partition', 'from', 'to', 'rows (est.)', 'size'],
          partitions.map((p) => [
            p.name,
            p.isDefault ? '(default)' : shortTime(p.rangeStart),
            shortTime(p.rangeEnd),
            p.rowEstimate ?? '?',
            bytes(p.totalBytes),
          ]),
        ),
        '',
        `kept: ${settings.partitionMonthsAhead} month(s) ahead; dropped once a month ended over ` +
          `${settings.activityRetentionDays} days ago (\`sovi maintenance run --dry-run\` shows what is due)`,
      ].join('\n'),
  });
}

function describeRun(r: MaintenanceRunResult, retentionDays: number): string {
  const p = r.partitions;
  if (p.skipped) return 'another session is maintaining the partitions right now: nothing was done here';
  const list = (names: string[]) => (names.length === 0 ? 'none' : names.join(', '));
  const done = p.dryRun ? 'to delete' : 'deleted';
  const s = r.snapshots;
  const lines: [string, string][] = [
    ['retention', `${retentionDays} days: activity from before ${shortTime(p.cutoff)} goes`],
    [p.dryRun ? 'partitions to create' : 'partitions created', list(p.created)],
    [p.dryRun ? 'partitions to drop' : 'partitions dropped', list(p.dropped)],
    ['default partition', `${p.defaultRowsDeleted} old row(s) ${done}`],
    [
      'old sessions',
      `${r.sessions.deleted} ${done} (ended or expired over ${r.sessions.olderThanDays} days ago)`,
    ],
    [
      'raw snapshots',
      'deleted' in s
        ? `${s.deleted} ${done} (rolled up before ${shortTime(s.safeBefore)})`
        : s.skipped === 'disabled'
          ? 'kept: no retention configured (SOVI_SNAPSHOT_RETENTION_DAYS)'
          : 'kept: the rollup watermark is unknown',
    ],
  ];
  return fields([...(p.dryRun ? ['dry run: nothing was changed'] : []), ...lines]);
}
