import type { Command } from 'commander';
import { prepareDatabase } from '../db/prepare.ts';
import { action } from './context.ts';

export function registerMigrateCommand(migrate: Command): void {
  migrate
    .addHelpText(
      'after',
      '\nSafe to run twice and from several processes at once: an advisory lock serialises them.\n' +
        'Refuses to run when an applied migration file was edited or is missing.',
    )
    .action(
      action(
        async (ctx) => {
          const database = await ctx.database();
          const result = await prepareDatabase(database, ctx.config, ctx.logger, (name, ms) =>
            ctx.print(`applied ${name} (${ms} ms)`),
          );
          const total = result.applied.length + result.alreadyApplied;
          ctx.print(
            result.applied.length === 0
              ? `database is up to date (${total} migrations applied)`
              : `applied ${result.applied.length} migration(s); ${total} applied in all`,
          );
          ctx.print(`job engine schema: version ${result.jobSchemaVersion ?? '?'}`);
        },
        { schema: 'as-is' },
      ),
    );
}
