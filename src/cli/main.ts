// The sovi command line: one file per command group, each thin over the services.
import { Command, CommanderError } from 'commander';
import { registerAccountsCommands } from './accounts-commands.ts';
import { registerContentCommands } from './content-commands.ts';
import { report } from './context.ts';
import { registerDbCommands } from './db-commands.ts';
import { registerDistributionsCommands } from './distributions-commands.ts';
import { registerEventsCommands } from './events-commands.ts';
import { registerHooksCommands } from './hooks-commands.ts';
import { registerKeysCommands } from './keys-commands.ts';
import { registerMaintenanceCommands } from './maintenance-commands.ts';
import { registerMetricsCommands } from './metrics-commands.ts';
import { registerScheduleCommands } from './schedule-commands.ts';
import { registerTokensCommands } from './tokens-commands.ts';
import { registerTrendsCommands } from './trends-commands.ts';
import { registerWorkerCommand } from './worker-command.ts';
import { registerDevicesCommands } from './devices-commands.ts';
import { registerMigrateCommand } from './migrate-command.ts';
import { registerNichesCommands } from './niches-commands.ts';
import { registerUpCommand } from './up-command.ts';
import packageJson from '../../package.json' with { type: 'json' };

const program = new Command('sovi')
  .description(
    'Operations platform for short-form video channels: fleet, accounts, warming, content, metrics.',
  )
  .version(packageJson.version)
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ showGlobalOptions: true })
  // Usage mistakes throw instead of exiting, so they end with the same exit status as other bad input.
  // Set before the subcommands are added: they inherit it.
  .exitOverride();

program.addHelpText(
  'after',
  '\nDatabase: DATABASE_URL (or PGHOST…) selects a PostgreSQL 15–17; without it, sovi runs an embedded\n' +
    'PostgreSQL 17 with its data in $SOVI_HOME/pg (default ./.sovi). See README.md for every variable.',
);

registerUpCommand(program);
registerMigrateCommand(program);
registerDbCommands(program);
registerNichesCommands(program);
registerDevicesCommands(program);
registerAccountsCommands(program);
registerKeysCommands(program);
registerTokensCommands(program);
registerEventsCommands(program);
registerScheduleCommands(program);
registerHooksCommands(program);
registerContentCommands(program);
registerDistributionsCommands(program);
registerMetricsCommands(program);
registerTrendsCommands(program);
registerMaintenanceCommands(program);
registerWorkerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help, or the version) already.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    // An option's parser refused its value: a SoviError naming the option.
    report(err, undefined);
  }
}
