// Most `show` and `status` commands read one thing and print it: as JSON with --json, otherwise as the
// command's own text for people. readCommand is that shape, so each such command states only what it reads
// and how it reads to a person.
import type { Command } from 'commander';
import type { PageQuery } from '../db/keyset.ts';
import { action, type CliContext } from './context.ts';
import { json, printMore, table } from './format.ts';
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
 * A command that changes one thing and says what it did (remove, restore, retry): the same shape as a read,
 * `--json` printing the changed thing.
 */
export function changeCommand<Args extends string[], Value>(
  group: Command,
  { run, ...command }: Omit<ReadCommand<Args, Value>, 'read'> & { run: ReadCommand<Args, Value>['read'] },
): Command {
  return readCommand(group, { ...command, read: run });
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

type Cell = string | number | null | undefined;

export interface Listing<Item> {
  items: readonly Item[];
  /** What --json prints: the items unless said (a whole page, say, with its cursor). */
  asJson?: unknown;
  /** The line printed when there are no items, ideally saying how to make some. */
  empty: string;
  columns: string[];
  row: (item: Item) => Cell[];
  /** A paged listing's next page: the command and filters that print it, on stderr (see printMore). */
  more?: NextPage;
}

type Filters = Record<string, string | number | boolean | undefined>;

interface NextPage {
  command: string;
  filters: Filters;
  cursor: string | null;
}

/** The command that prints the page after this one: `command` with the same `filters`, from `cursor`. */
export const nextPage = (command: string, filters: Filters, cursor: string | null): NextPage => ({
  command,
  filters,
  cursor,
});

/** A listing of `items`; a function so that the rows' item type comes from the items. */
export function listing<Item>(items: readonly Item[], how: Omit<Listing<Item>, 'items'>): Listing<Item> {
  return { items, ...how };
}

/** A listing as people read it: a table, or the `empty` line. */
export function listingText<Item>(listing: Omit<Listing<Item>, 'asJson' | 'more'>): string {
  return listing.items.length === 0 ? listing.empty : table(listing.columns, listing.items.map(listing.row));
}

/** Prints a listing: JSON with --json, otherwise a table for people (or the `empty` line). */
export function printListing<Item>(ctx: CliContext, asJson: unknown, listing: Listing<Item>): void {
  ctx.print(asJson === true ? json(listing.asJson ?? listing.items) : listingText(listing));
  if (listing.more) printMore(listing.more.command, listing.more.filters, listing.more.cursor);
}

export interface PageFlags {
  limit: number;
  after?: string;
  json?: boolean;
}

export interface ListCommand<Options, Item> {
  /** The subcommand, e.g. 'list'. */
  spec: string;
  description: string;
  /** The command's own filters. */
  options?: (command: Command) => Command;
  defaultLimit: number;
  maxLimit?: number;
  /** Reads one page (--limit defaulted, --after) and says how it reads to a person. */
  list: (ctx: CliContext, options: Options, page: PageQuery) => Promise<Listing<Item>>;
}

/** A paged listing command: its filters, --limit/--after/--json, one page read and printed. */
export function listCommand<Options, Item>(group: Command, command: ListCommand<Options, Item>): Command {
  const base = group.command(command.spec).description(command.description);
  return pageOptions(
    command.options?.(base) ?? base,
    command.defaultLimit,
    command.maxLimit ?? 10_000,
  ).action(
    action(async (ctx, options: Options & Partial<PageFlags>) => {
      const page = { limit: options.limit ?? command.defaultLimit, after: options.after };
      const listing = await command.list(ctx, options, page);
      // The next page's command keeps the page size the user chose.
      if (listing.more && options.limit !== undefined) listing.more.filters.limit = options.limit;
      printListing(ctx, options.json, listing);
    }),
  );
}
