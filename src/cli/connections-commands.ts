// `sovi connect <account>`: prints the platform's authorization URL for the account's owner to open, then
// waits (with progress) until the callback served by `sovi up` finishes it, fails, or the link expires.
// `sovi connections list`: per account, the platform, scopes, expiry, last refresh, last call and status.
import type { Command } from 'commander';
import { Option } from 'commander';
import {
  connectionStatuses,
  type Connection,
  type ConnectionStatus,
} from '../connections/connection-model.ts';
import { connectOutcome, listConnections, startConnect } from '../connections/connections-service.ts';
import { SoviError } from '../errors.ts';
import { platforms, type Platform } from '../platforms.ts';
import { sleep } from '../time.ts';
import { findUser } from '../users/users-service.ts';
import { action, type CliContext } from './context.ts';
import { json, shortTime } from './format.ts';
import { printListing } from './read-command.ts';

async function who(ctx: CliContext) {
  const db = await ctx.db();
  const name = ctx.config.cliUser;
  const user = name === undefined ? undefined : await findUser(db, name, 'SOVI_USER');
  return { actor: ctx.config.actor, userId: user?.id ?? null };
}

export function registerConnectCommand(connect: Command): void {
  connect
    .argument('<account>', 'the account: id, platform:username or username')
    .option('--no-wait', 'print the URL and return; check later with sovi connections list')
    .option('--json', 'print JSON: {url, connectId, expiresAt, …} (implies --no-wait)')
    .addHelpText(
      'after',
      "\nThe account's owner opens the URL, signs in to the platform and allows sovi. The platform sends the\n" +
        'browser back to <SOVI_PUBLIC_URL>/oauth/callback/<platform>, served by `sovi up`, which stores the tokens\n' +
        'sealed in the vault. The link works once, for 15 minutes. Needs the developer app configured (see the\n' +
        'README: "Connect a TikTok account", "Connect an Instagram account").',
    )
    .action(
      action(async (ctx, account: string, o: { wait: boolean; json?: boolean }) => {
        const db = await ctx.db();
        const caller = await who(ctx);
        const started = await startConnect(
          { db, vault: ctx.vault, settings: ctx.config.connectors, logger: ctx.logger },
          account,
          caller,
        );
        if (o.json) {
          ctx.print(json(started));
          return;
        }
        ctx.print(started.url);
        process.stderr.write(
          `Open the URL above as the owner of ${started.platform} account ${started.username} and allow sovi ` +
            `(the link expires at ${shortTime(started.expiresAt)}).\n`,
        );
        if (!o.wait) {
          process.stderr.write('Check with: sovi connections list\n');
          return;
        }
        process.stderr.write('Waiting for the platform to send you back…\n');
        const stop = ctx.untilStopped();
        let stopped = false;
        void stop.then(() => (stopped = true));
        const startedAt = Date.now();
        let lastNote = 0;
        while (!stopped) {
          const outcome = await connectOutcome(db, started.connectId, caller);
          if (outcome.status === 'connected') {
            ctx.print(outcome.message);
            return;
          }
          if (outcome.status === 'failed')
            throw new SoviError('invalid_input', outcome.message, { field: 'account' });
          if (outcome.status === 'expired') {
            throw new SoviError(
              'invalid_input',
              'the authorization link expired before it was used: run sovi connect again',
              {
                field: 'account',
              },
            );
          }
          if (Date.now() - lastNote > 30_000) {
            lastNote = Date.now();
            if (Date.now() - startedAt > 1_000)
              process.stderr.write(`still waiting (${Math.round((Date.now() - startedAt) / 1000)} s)…\n`);
          }
          await sleep(1_000);
        }
      }),
    );
}

const expiry = (c: Connection) =>
  `${c.accessExpiresAt.getTime() <= Date.now() ? 'expired ' : ''}${shortTime(c.accessExpiresAt)}`;

export function registerConnectionsCommands(connections: Command): void {
  connections
    .command('list')
    .description(
      'connections to the official APIs: platform, scopes, expiry, last refresh, last call, status',
    )
    .addOption(new Option('--platform <platform>', 'only this platform').choices(platforms))
    .addOption(new Option('--status <status>', 'only this status').choices(connectionStatuses))
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { platform?: Platform; status?: ConnectionStatus; json?: boolean }) => {
        const db = await ctx.db();
        const list = await listConnections(db, { platform: o.platform, status: o.status });
        printListing(ctx, o.json, {
          items: list,
          empty: 'no connections: connect an account with sovi connect <account>',
          columns: [
            'account',
            'platform',
            'status',
            'scopes',
            'expires',
            'last refresh',
            'last call',
            'note',
          ],
          row: (c) => [
            c.username,
            c.platform,
            c.status === 'connected' ? c.status : `${c.status}: ${c.statusReason ?? ''}`.slice(0, 80),
            c.scopes.join(','),
            expiry(c),
            shortTime(c.lastRefreshedAt),
            shortTime(c.lastCallAt),
            c.postingNote ?? '',
          ],
        });
      }),
    );
}
