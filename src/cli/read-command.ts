// Most `show` and `status` commands read one thing and print it: as JSON with --json, otherwise as the
// command's own text for people. readCommand is that shape, so each such command states only what it reads
// and how it reads to a person.
import type { Command } from 'commander';
import { action, type CliContext } from './context.ts';
import { json } from './format.ts';
import { parseInteger } from './parse.ts';

export interface ReadCommand<Args extends string[], Value> {
  /** The subcommand with its arguments, e.g. 'show <id>'. */
  spec: string;
  description: string;
  read: (ctx: CliContext, ...args: Args) => Promise<Value>;
  text: (value: Value, ctx: CliContext) => string;
  /** What --json prints; the value itself unless said. */
  asJson?: (value: Value) => unknown;
}

export function readCommand<Args extends string[], Value>(
  group: Command,
  command: ReadCommand<Args, Value>,
): Command {
  return group
    .command(command.spec)
    .description(command.description)
    .option('--json', 'print JSON')
    .action(
      // Commander passes the arguments, then the options, then the command itself.
      action(async (ctx, ...passed: unknown[]) => {
        const args = passed.slice(0, -2) as Args;
        const options = passed.at(-2) as { json?: boolean };
        const value = await command.read(ctx, ...args);
        ctx.print(options.json ? json((command.asJson ?? ((v) => v))(value)) : command.text(value, ctx));
      }),
    );
}

/**
 * The options of a paged listing: --limit (the page size), --after (the cursor the previous page printed
 * under it) and --json.
 */
export function pageOptions(command: Command, defaultLimit: number, maxLimit: number): Command {
  return command
    .option('--limit <n>', `page size (default ${defaultLimit})`, (v) =>
      parseInteger('--limit', v, 1, maxLimit),
    )
    .option('--after <cursor>', 'the next page, from the cursor a previous page printed')
    .option('--json', 'print JSON');
}
