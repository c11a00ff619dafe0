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

// `sovi accounts list | head`: once the reader has what it wants and closes the pipe, the rest of the output
// has nowhere to go. End quietly, as Unix tools do, instead of with an unhandled EPIPE and its stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('sovi')
  .description(
    'Operations platform for short-form video channels: fleet, accounts, warming, content, metrics.',
  )
  .version(packageJson.version)
  .configureHelp({ showGlobalOptions: true })
  // Usage mistakes throw instead of exiting and print nothing themselves, so that they end like every other
  // bad input: one `sovi: …` line and exit status 2 (below). Help and --version still print. Set before the
  // subcommands are added: they inherit it.
  .configureOutput({ outputError: () => undefined })
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

/**
 * The command a usage mistake is about: the deepest one the operands name (`sovi accounts shw` is about
 * `sovi accounts`), whose --help says what it takes.
 */
function commandNamed(args: readonly string[]): string {
  const path: string[] = [program.name()];
  let command: Command = program;
  for (const arg of args) {
    if (arg.startsWith('-')) continue;
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    path.push(sub.name());
    command = sub;
  }
  return path.join(' ');
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and the version are printed already; so is the help of a group named without its subcommand
    // (code commander.help, exit 1), which is a usage mistake too. Any other mistake is one line, like every
    // other error's (see report in context.ts), with where to read the usage: "(Did you mean list?)" and all.
    if (err.code !== 'commander.help' && err.exitCode !== 0) {
      const message = err.message
        .replace(/^error: /, '')
        .replace(/\s*\n\(Did you mean (.+)\?\)$/, '; did you mean $1?')
        .replace(/\.$/, '');
      process.stderr.write(`sovi: ${message} (run ${commandNamed(process.argv.slice(2))} --help)\n`);
    }
    // Loaded only for a mistake: `sovi --help` stays within src/cli.
    process.exitCode = err.exitCode === 0 ? 0 : (await import('../errors.ts')).errorCodes.invalid_input.exit;
  } else {
    // An option's parser refused its value: a SoviError naming the option.
    const { report } = await import('./context.ts');
    report(err, undefined);
  }
}
