// What every command gets: the validated config, a logger, stdout, and the database opened on first use.
// The wrapper owns the end of a command: it closes what was opened (stopping an embedded server this
// process started), maps errors to messages and exit statuses, and does the same on SIGINT/SIGTERM.
import closeWithGrace from 'close-with-grace';
import { Command } from 'commander';
import { constants } from 'node:os';
import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { translatePgError } from '../db/pg-errors.ts';
import { ensureDatabaseReady } from '../db/prepare.ts';
import { SoviError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { loadPolicies, type Policies } from '../policies.ts';
import { createVault, type Vault } from '../vault/vault.ts';
import { can, roleFor } from '../auth/roles.ts';
import type { Db } from '../db/pool.ts';
import { setPasswordCost } from '../users/password.ts';
import { commandActions, commandPath } from './command-roles.ts';

export interface CliContext {
  readonly config: Config;
  readonly logger: Logger;
  /** The credential vault; its keys are read on first use. */
  readonly vault: Vault;
  print(text: string): void;
  database(): Promise<Database>;
  /** The database's query builder (database().db), for the many commands that need nothing else of it. */
  db(): Promise<Db>;
  /** The warming and content policies, read from their files once, on first use. */
  policies(): Policies;
  /** Registers something to close when the command ends, in reverse order of registration. */
  onClose(fn: () => Promise<void>): void;
  /** For long-running commands: resolves when SIGINT or SIGTERM asks the process to stop. */
  untilStopped(): Promise<void>;
}

export interface CommandOptions {
  /** A long-running command logs at info by default and stops gracefully with exit status 0 on a signal. */
  longRunning?: boolean;
  /**
   * 'ready' (the default): database() first brings the embedded database up to date, or refuses an outdated
   * external one with what to run. 'as-is': the command deals with the schema itself (migrate, db status).
   */
  schema?: 'ready' | 'as-is';
}

export function action<Args extends unknown[]>(
  fn: (ctx: CliContext, ...args: Args) => Promise<void>,
  options: CommandOptions = {},
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    let config: Config;
    try {
      config = loadConfig();
    } catch (err) {
      report(err, undefined);
      return;
    }
    // Commander passes the command last: its path names the action its role check needs.
    const command = args.at(-1);
    const path = command instanceof Command ? commandPath(command) : undefined;
    if (config.passwordCost !== undefined) setPasswordCost(config.passwordCost);
    const acting = config.cliUser;
    if (acting !== undefined) config = { ...config, actor: `user:${acting} (cli)` };
    const logger = options.longRunning
      ? createLogger(config.log, 'info')
      : createLogger(config.log, 'warn', process.stderr, { oneShot: true });
    const closers: (() => Promise<void>)[] = [];
    let database: Promise<Database> | undefined;
    let policies: Policies | undefined;
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));

    // Both the signal handler and the command's own ending close; they must share one closing, in reverse
    // order of opening, which process.exit (after the signal handler) must not cut short.
    let closing: Promise<void> | undefined;
    const closeAll = () =>
      (closing ??= (async () => {
        for (const close of [...closers].reverse()) {
          await close().catch((err: unknown) => logger.warn({ err }, 'error while closing'));
        }
      })());
    const grace = closeWithGrace({ delay: 20_000, logger }, async ({ signal, err }) => {
      if (err) report(err, logger);
      if (signal && options.longRunning) {
        logger.info({ signal }, 'stopping');
        stop();
      }
      await closeAll();
      if (signal && !options.longRunning) {
        process.exit(128 + (constants.signals[signal as NodeJS.Signals] ?? 1));
      }
    });

    const ctx: CliContext = {
      config,
      logger,
      vault: createVault(config.vault),
      print: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
      database: () => {
        database ??= openDatabase(config, logger, { applicationName: 'sovi cli' }).then(async (db) => {
          closers.push(() => db.close());
          if (options.schema !== 'as-is') await ensureDatabaseReady(db, config, logger);
          return db;
        });
        return database;
      },
      db: async () => (await ctx.database()).db,
      policies: () => (policies ??= loadPolicies(config)),
      onClose: (close) => closers.push(close),
      untilStopped: () => stopped,
    };

    try {
      if (acting !== undefined && path !== undefined && path !== 'up') {
        await checkCommandRole(await ctx.db(), acting, path);
      }
      await fn(ctx, ...args);
    } catch (err) {
      report(err, logger);
    } finally {
      await closeAll();
      grace.uninstall();
    }
  };
}

/** Prints an error for a person: the message for what they can fix, never a stack for their mistakes. */
export function report(err: unknown, logger: Logger | undefined): void {
  const sovi = translatePgError(err);
  if (sovi) {
    process.stderr.write(`sovi: ${sovi.message}\n`);
    process.exitCode = sovi.exitCode;
    return;
  }
  // Not a mistake the user can fix: a bug. Keep the details for the log.
  logger?.error({ err }, 'unexpected error');
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`sovi: unexpected error: ${message}\n`);
  process.exitCode = new SoviError('internal', message).exitCode;
}

/**
 * With SOVI_USER set, a command runs only if that user may take its action (command-roles.ts), and is not
 * disabled. `sovi up` is the server itself, run by the machine, and is left out.
 */
async function checkCommandRole(db: Db, name: string, path: string): Promise<void> {
  const action = commandActions[path];
  if (action === undefined) throw new SoviError('internal', `command "${path}" names no action`);
  // Loaded only when SOVI_USER is set: other commands need nothing of the users domain.
  const { findUser } = await import('../users/users-service.ts');
  const user = await findUser(db, name, 'SOVI_USER');
  if (user.disabledAt) {
    throw new SoviError('forbidden', `SOVI_USER: user "${user.name}" is disabled`, { field: 'SOVI_USER' });
  }
  if (!can(user.role, action)) {
    throw new SoviError(
      'forbidden',
      `SOVI_USER: "${user.name}" is ${user.role}; "sovi ${path}" needs the ${roleFor(action)} role`,
      { field: 'SOVI_USER' },
    );
  }
}
