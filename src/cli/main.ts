// The sovi command line: one file per command group, each thin over the services. Only the group the
// command line names is imported: `sovi --help` loads none of them, `sovi accounts list` only accounts'.
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { groups } from './command-groups.ts';

/**
 * The group commander will run: the first operand, or the one after `help` (`sovi help accounts`). The
 * program's own options (--help, --version) take no value, so no operand is an option's value.
 */
function groupNamed(args: readonly string[]): string | undefined {
  const operands = args.filter((arg) => !arg.startsWith('-'));
  return operands[0] === 'help' ? operands[1] : operands[0];
}

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

// Every group is listed (help, and "did you mean" for a misspelt one); only the named one gets its
// subcommands and options, which is all commander looks at when it runs that group.
const named = groupNamed(process.argv.slice(2));
for (const group of groups) {
  const command = program.command(group.name).description(group.description);
  if (group.name === named) (await group.load())(command);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help, or the version) already.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    // An option's parser refused its value: a SoviError naming the option.
    const { report } = await import('./context.ts');
    report(err, undefined);
  }
}
