import type { Command } from 'commander';
import { stopEmbeddedPostgres } from '../db/embedded/server.ts';
import { databaseStatus, type DatabaseStatus } from '../db/status.ts';
import { SoviError } from '../errors.ts';
import { registerBackupCommands } from './backup-commands.ts';
import { action } from './context.ts';
import { fields } from './format.ts';

export function registerDbCommands(db: Command): void {
  db.command('status')
    .description('show the server, TimescaleDB, and the applied and pending migrations')
    .option('--json', 'print the status as JSON')
    .action(
      action(
        async (ctx, options: { json?: boolean }) => {
          const status = await databaseStatus(await ctx.database());
          ctx.print(options.json ? JSON.stringify(status, null, 2) : formatStatus(status));
          if (status.migrations.problems.length > 0)
            process.exitCode = new SoviError('conflict', '').exitCode;
        },
        { schema: 'as-is' },
      ),
    );

  db.command('stop')
    .description('stop the embedded PostgreSQL, e.g. one left running by a killed sovi process')
    .action(
      action(async (ctx) => {
        const { target } = ctx.config.database;
        if (target.kind !== 'embedded') {
          throw new SoviError(
            'invalid_input',
            'DATABASE_URL is set: sovi does not run that server, so it will not stop it',
            {
              field: 'DATABASE_URL',
            },
          );
        }
        const outcome = await stopEmbeddedPostgres(ctx.config.home, target.osUser);
        ctx.print(
          outcome === 'stopped' ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL is not running',
        );
      }),
    );

  registerBackupCommands(db);
}

function formatStatus(s: DatabaseStatus): string {
  const ts =
    s.timescaledb.state === 'installed'
      ? `installed ${s.timescaledb.version ?? ''}${s.timescaledb.hypertable ? ', metric_snapshots is a hypertable' : ''}`
      : s.timescaledb.state === 'available'
        ? 'available, not installed (rollups are plain tables refreshed by sovi)'
        : 'absent (rollups are plain tables refreshed by sovi)';
  const width = Math.max(
    0,
    ...s.migrations.applied.map((m) => m.name.length),
    ...s.migrations.pending.map((n) => n.length),
  );
  const lines: (string | [string, string])[] = [
    ['database', s.database],
    ['server', `PostgreSQL ${s.server.version}`],
    ['timescaledb', ts],
    ['migrations', `${s.migrations.applied.length} applied, ${s.migrations.pending.length} pending`],
    ...s.migrations.applied.map(
      (m) =>
        `  applied  ${m.name.padEnd(width)}  ${m.appliedAt.toISOString()}  ${m.state === 'ok' ? 'ok' : m.state.toUpperCase()}`,
    ),
    ...s.migrations.pending.map((name) => `  pending  ${name}`),
  ];
  if (s.migrations.problems.length > 0) {
    lines.push('problems:', ...s.migrations.problems.map((p) => `  ${p}`));
  }
  return fields(lines);
}
