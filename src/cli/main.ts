// The sovi command line: one file per command group, each thin over the services.
import { Command } from 'commander';
import { registerAccountsCommands } from './accounts-commands.ts';
import { registerDbCommands } from './db-commands.ts';
import { registerEventsCommands } from './events-commands.ts';
import { registerKeysCommands } from './keys-commands.ts';
import { registerScheduleCommands } from './schedule-commands.ts';
import { registerWorkerCommand } from './worker-command.ts';
import { registerDevicesCommands } from './devices-commands.ts';
import { registerMigrateCommand } from './migrate-command.ts';
import { registerUpCommand } from './up-command.ts';
import packageJson from '../../package.json' with { type: 'json' };

const program = new Command('sovi')
  .description(
    'Operations platform for short-form video channels: fleet, accounts, warming, content, metrics.',
  )
  .version(packageJson.version)
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ showGlobalOptions: true });

program.addHelpText(
  'after',
  '\nDatabase: DATABASE_URL (or PGHOST…) selects a PostgreSQL 15–17; without it, sovi runs an embedded\n' +
    'PostgreSQL 17 with its data in $SOVI_HOME/pg (default ./.sovi). See README.md for every variable.',
);

registerUpCommand(program);
registerMigrateCommand(program);
registerDbCommands(program);
registerDevicesCommands(program);
registerAccountsCommands(program);
registerKeysCommands(program);
registerEventsCommands(program);
registerScheduleCommands(program);
registerWorkerCommand(program);

await program.parseAsync(process.argv);
