import type { Command } from 'commander';
import { stubMediaFromConfig } from '../content/stub-media.ts';
import { assertDatabaseReady } from '../db/prepare.ts';
import { startHostServices } from '../host-services.ts';
import { action } from './context.ts';

export function registerWorkerCommand(worker: Command): void {
  worker
    .option('--host <host>', 'the host whose devices to run (default SOVI_HOST_NAME, else the machine name)')
    .addHelpText(
      'after',
      '\nSeveral workers may share one database: each runs only its host’s devices, and two workers of the\n' +
        'same host share its sessions without ever running two at once on one device. Content production and\n' +
        'publishing are shared by all hosts (SOVI_CONTENT_CONCURRENCY=0 keeps a host out of production). The\n' +
        'database must be migrated (`sovi migrate` or `sovi up` on any host).',
    )
    .action(
      action(
        async (ctx, o: { host?: string }) => {
          const database = await ctx.database();
          await assertDatabaseReady(database);
          // SOVI_STUB_MEDIA is for tests that kill workers mid-production: no rendering, stages of a set length.
          const stub = ctx.config.content.stubMedia;
          const services = await startHostServices(ctx.config, database, ctx.logger, {
            policies: ctx.policies(),
            host: o.host ?? ctx.config.host,
            ...(stub ? { media: stubMediaFromConfig(stub) } : {}),
          });
          ctx.onClose(() => services.stop());
          ctx.print(`sovi worker running for host ${services.host} (database: ${database.description})`);
          await ctx.untilStopped();
        },
        // A worker never migrates, not even the embedded database: it refuses with what to run.
        { longRunning: true, schema: 'as-is' },
      ),
    );
}
