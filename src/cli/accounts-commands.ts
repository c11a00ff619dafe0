import path from 'node:path';
import { Option, type Command } from 'commander';
import { allowedTransitions, transitions } from '../accounts/account-lifecycle.ts';
import {
  accountStates,
  secretFields,
  type Account,
  type AccountState,
  type SecretField,
} from '../accounts/account-model.ts';
import * as accountService from '../accounts/accounts-service.ts';
import { currentTotp, revealSecrets } from '../accounts/account-secrets.ts';
import { setAccountState } from '../accounts/account-state.ts';
import { invalidInput } from '../errors.ts';
import { action, type CliContext } from './context.ts';
import { fields, json, shortTime, table } from './format.ts';
import { parseInteger, parseList, readFileArgument } from './parse.ts';
import { progress } from './progress.ts';
import { readSecrets } from './secret-input.ts';
import { platforms } from '../platforms.ts';
import { changeCommand, listCommand, listing, nextPage } from './read-command.ts';
import { registerPostingScheduleCommands } from './posting-schedule-subcommands.ts';

async function deps(ctx: CliContext): Promise<accountService.AccountDeps> {
  return {
    db: await ctx.db(),
    vault: ctx.vault,
    actor: ctx.config.actor,
    warmingPolicy: ctx.policies().warming,
  };
}

const count = (option: string) => (value: string) => parseInteger(option, value, 0, 2_147_483_647);

function secretsLine(account: Account): string {
  return (
    secretFields
      .filter((f) => account.secrets[f].set)
      .map((f) =>
        account.secrets[f].keyConfigured ? f : `${f}(key ${account.secrets[f].keyId ?? '?'} missing)`,
      )
      .join(',') || '-'
  );
}

function describe(a: Account): string {
  const secret = (f: SecretField) => {
    const s = a.secrets[f];
    if (!s.set) return 'not set';
    return s.keyConfigured
      ? `set (key ${s.keyId})`
      : `set, under key "${s.keyId ?? '?'}" which is NOT configured`;
  };
  return fields([
    ['id', a.id],
    ['account', `${a.platform}:${a.username}${a.deletedAt ? `  (DELETED ${shortTime(a.deletedAt)})` : ''}`],
    ['state', `${a.state}   (next: ${allowedTransitions(a.state).join(', ') || 'none, terminal'})`],
    ['niche', a.nicheSlug ?? '-'],
    ['device', a.deviceName ?? '-'],
    ['warming day', a.warmingDayCount],
    ['followers', `${a.followers} (following ${a.following})`],
    ['last warmed', shortTime(a.lastWarmedAt) || 'never'],
    ['last post', shortTime(a.lastPostAt) || 'never'],
    ['last activity', shortTime(a.lastActivityAt) || 'never'],
    ['bio', a.bio ?? '-'],
    ...secretFields.map((f) => [f, secret(f)] as const),
    ['created', shortTime(a.createdAt)],
    ['updated', shortTime(a.updatedAt)],
  ]);
}

export function registerAccountsCommands(accounts: Command): void {
  accounts
    .command('add')
    .description('add an account; secrets are asked for (or read from stdin), never taken from arguments')
    .addOption(new Option('--platform <platform>', 'platform').choices(platforms).makeOptionMandatory())
    .requiredOption('--username <username>', 'platform username')
    .option('--niche <slug>', 'niche slug, e.g. personal_finance')
    .option('--device <ref>', 'device id, udid or name')
    .addOption(new Option('--state <state>', 'initial state (default created)').choices(accountStates))
    .option('--bio <text>', 'profile bio')
    .option('--profile-pic-url <url>', 'profile picture URL')
    .option('--followers <n>', 'follower count', count('--followers'))
    .option('--following <n>', 'following count', count('--following'))
    .option('--no-secrets', 'do not ask for secrets')
    .option('--json', 'print the account as JSON')
    .addHelpText(
      'after',
      '\nSecrets: on a terminal you are asked for each (hidden); otherwise stdin is read, as JSON\n' +
        '({"email": "…", "password": "…", "totp_secret": "…", "proxy_credentials": "…"}) or KEY=value lines.',
    )
    .action(
      action(async (ctx, o: Record<string, string | number | boolean | undefined>) => {
        const secrets = o.secrets === false ? {} : await readSecrets();
        const account = await accountService.addAccount(await deps(ctx), {
          platform: String(o.platform),
          username: String(o.username),
          niche: o.niche as string | undefined,
          device: o.device as string | undefined,
          state: o.state as string | undefined,
          bio: o.bio as string | undefined,
          profilePicUrl: o.profilePicUrl as string | undefined,
          followers: o.followers as number | undefined,
          following: o.following as number | undefined,
          secrets,
        });
        ctx.print(o.json ? json(account) : `added ${account.platform}:${account.username} (${account.id})`);
      }),
    );

  accounts
    .command('import <file>')
    .description('import accounts from a CSV file: every row is checked first, then all are written or none')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nColumns (header line required): platform, username (both required), niche, device, state, bio,\n' +
        'profile_pic_url, followers, following, email, password, totp_secret, proxy_credentials.\n' +
        'Every bad row is reported with its line number, and then nothing is imported.',
    )
    .action(
      action(async (ctx, file: string, o: { json?: boolean }) => {
        const text = await readFileArgument(file);
        // The importer (a CSV parser, the event log's writer) only for an import, not every accounts command.
        const { importAccountsCsv } = await import('../accounts/account-import.ts');
        const bar = progress(`import ${path.basename(file)}`);
        let phase = '';
        try {
          const result = await importAccountsCsv(await deps(ctx), text, {
            source: path.basename(file),
            onProgress: (p, done, total) => {
              if (total < 1_000) return; // Small files finish before a bar helps.
              if (p !== phase) {
                phase = p;
                bar.stop();
              }
              bar.update(done, total);
            },
          });
          bar.stop();
          ctx.print(o.json ? json(result) : `imported ${result.imported} accounts from ${file}`);
        } finally {
          bar.stop();
        }
      }),
    );

  listCommand(accounts, {
    spec: 'list',
    description: 'list accounts',
    options: (c) =>
      c
        .addOption(new Option('--platform <platform>', 'only this platform').choices(platforms))
        .option('--state <states>', 'only these states (comma-separated)', parseList)
        .option('--niche <slug>', 'only this niche')
        .option('--device <ref>', 'only accounts on this device')
        .option('--needs-warming', 'the warming queue: due states, least recently warmed first')
        .option('--deleted', 'only deleted accounts')
        .option('--all', 'live and deleted accounts'),
    defaultLimit: 100,
    list: async (
      ctx,
      o: {
        platform?: string;
        state?: string[];
        niche?: string;
        device?: string;
        needsWarming?: boolean;
        deleted?: boolean;
        all?: boolean;
      },
      page,
    ) => {
      const found = await accountService.listAccounts(await deps(ctx), {
        platform: o.platform,
        state: o.state,
        niche: o.niche,
        device: o.device,
        needsWarming: o.needsWarming === true,
        deleted: o.all ? 'include' : o.deleted ? 'only' : 'exclude',
        ...page,
      });
      return listing(found.accounts, {
        asJson: found,
        empty: 'no accounts match',
        columns: [
          'id',
          'platform',
          'username',
          'state',
          'niche',
          'device',
          'day',
          'followers',
          'last warmed',
          'secrets',
        ],
        row: (a) => [
          a.id,
          a.platform,
          a.username + (a.deletedAt ? ' (deleted)' : ''),
          a.state,
          a.nicheSlug,
          a.deviceName,
          a.warmingDayCount,
          a.followers,
          shortTime(a.lastWarmedAt) || 'never',
          secretsLine(a),
        ],
        more: nextPage(
          'sovi accounts list',
          {
            platform: o.platform,
            state: o.state?.join(','),
            niche: o.niche,
            device: o.device,
            'needs-warming': o.needsWarming,
            deleted: o.deleted,
            all: o.all,
          },
          found.nextCursor,
        ),
      });
    },
  });

  accounts
    .command('show <account>')
    .description('show one account (by id, platform:username, or username)')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, ref: string, o: { json?: boolean }) => {
        const account = await accountService.getAccount(await deps(ctx), ref);
        ctx.print(o.json ? json(account) : describe(account));
      }),
    );

  accounts
    .command('update <account>')
    .description('change an account; --secrets reads new secret values from a prompt or stdin')
    .option('--username <username>', 'new username')
    .option('--niche <slug>', 'move to this niche')
    .option('--no-niche', 'remove from its niche')
    .option('--device <ref>', 'assign to this device')
    .option('--no-device', 'unassign from its device')
    .option('--bio <text>', 'profile bio')
    .option('--profile-pic-url <url>', 'profile picture URL')
    .option('--followers <n>', 'follower count', count('--followers'))
    .option('--following <n>', 'following count', count('--following'))
    .option('--secrets', 'set secrets: asked for on a terminal, else read from stdin (JSON or KEY=value)')
    .option('--clear <fields>', `remove secrets (comma-separated: ${secretFields.join(', ')})`, parseList)
    .option('--json', 'print the account as JSON')
    .action(
      action(async (ctx, ref: string, o: Record<string, unknown>) => {
        const secrets: Partial<Record<SecretField, string | null>> = o.secrets ? await readSecrets() : {};
        for (const field of (o.clear as string[] | undefined) ?? []) {
          if (!secretFields.includes(field as SecretField)) {
            throw invalidInput('--clear', `--clear: expected ${secretFields.join(', ')}, got "${field}"`);
          }
          secrets[field as SecretField] = null;
        }
        const account = await accountService.updateAccount(await deps(ctx), ref, {
          username: o.username as string | undefined,
          niche: o.niche === false ? null : (o.niche as string | undefined),
          device: o.device === false ? null : (o.device as string | undefined),
          bio: o.bio as string | undefined,
          profilePicUrl: o.profilePicUrl as string | undefined,
          followers: o.followers as number | undefined,
          following: o.following as number | undefined,
          secrets,
        });
        ctx.print(o.json ? json(account) : `updated ${account.platform}:${account.username}`);
      }),
    );

  accounts
    .command('delete <account>')
    .description('soft-delete an account (it keeps its history; restore brings it back)')
    .option('--reason <text>', 'why')
    .action(
      action(async (ctx, ref: string, o: { reason?: string }) => {
        const account = await accountService.deleteAccount(await deps(ctx), ref, o.reason);
        ctx.print(`deleted ${account.platform}:${account.username} (${account.id})`);
      }),
    );

  changeCommand(accounts, {
    spec: 'restore <account>',
    description: 'restore a soft-deleted account (by id)',
    run: async (ctx, ref: string) => accountService.restoreAccount(await deps(ctx), ref),
    text: (account) => `restored ${account.platform}:${account.username}`,
  });

  accounts
    .command('set-state <account> <state>')
    .description('move an account through its lifecycle (see `sovi accounts states`)')
    .requiredOption('--reason <text>', 'why the state changes (kept in the event log)')
    .addOption(
      new Option('--from <state>', 'only if the account is still in this state').choices(accountStates),
    )
    .action(
      action(async (ctx, ref: string, state: string, o: { reason: string; from?: AccountState }) => {
        const change = await setAccountState(await deps(ctx), ref, state, {
          reason: o.reason,
          expectedFrom: o.from,
        });
        ctx.print(`${ref}: ${change.from} → ${change.to}`);
      }),
    );

  accounts
    .command('states')
    .description('the account lifecycle: which state can follow which')
    .action(
      action(async (ctx) => {
        ctx.print(
          table(
            ['from', 'can go to'],
            accountStates.map((s) => [s, transitions[s].join(', ') || '(terminal)']),
          ),
        );
      }),
    );

  accounts
    .command('reveal <account>')
    .description(
      "print an account's secrets; the reveal is recorded in the event log (who and what, never the values)",
    )
    .option('--field <fields>', `only these (comma-separated: ${secretFields.join(', ')})`, parseList)
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, ref: string, o: { field?: string[]; json?: boolean }) => {
        for (const f of o.field ?? []) {
          if (!secretFields.includes(f as SecretField)) {
            throw invalidInput('--field', `--field: expected ${secretFields.join(', ')}, got "${f}"`);
          }
        }
        const secrets = await revealSecrets(await deps(ctx), ref, o.field as SecretField[] | undefined);
        ctx.print(
          o.json
            ? json(secrets)
            : Object.keys(secrets).length === 0
              ? 'no secrets are set'
              : Object.entries(secrets)
                  .map(([k, v]) => [k, v] as const)
                  .join('\n'),
        );
      }),
    );

  accounts
    .command('totp <account>')
    .description("print the account's current TOTP code (RFC 6238); recorded in the event log")
    .action(
      action(async (ctx, ref: string) => {
        const { code, secondsLeft } = await currentTotp(await deps(ctx), ref);
        ctx.print(code);
        process.stderr.write(`valid for ${secondsLeft} more seconds\n`);
      }),
    );

  registerPostingScheduleCommands(accounts, 'account');
}
