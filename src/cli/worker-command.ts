import type { Command } from 'commander';
import { assertDatabaseReady } from '../db/prepare.ts';
import { startHostServices } from '../host-services.ts';
import { action } from './context.ts';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      "run this host's warming worker and device health monitor (what `sovi up` runs beside the server)",
    )
    .option('--host <host>', 'the host whose devices to run (default SOVI_HOST_NAME, else the machine name)')
    .addHelpText(
      'after',
      '\nSeveral workers may share one database: each runs only its host’s devices, and two workers of the\n' +
        'same host share its sessions without ever running two at once on one device. The database must be\n' +
        'migrated (`sovi migrate` or `sovi up` on any host).',
    )
    .action(
      action(
        async (ctx, o: { host?: string }) => {
          const database = await ctx.database();
          await assertDatabaseReady(database);
          const services = await startHostServices(
            ctx.config,
            database,
            ctx.logger,
            o.host ?? ctx.config.host,
          );
          ctx.onClose(() => services.stop());
          ctx.print(`sovi worker running for host ${services.host} (database: ${database.description})`);
          await ctx.untilStopped();
        },
        { longRunning: true },
      ),
    );
}
