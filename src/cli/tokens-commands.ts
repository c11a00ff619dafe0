import type { Command } from 'commander';
import { createToken, listTokens, revokeToken, type ApiToken } from '../auth/tokens-service.ts';
import { action } from './context.ts';
import { json, shortTime } from './format.ts';
import { printListing } from './read-command.ts';

const access = (t: ApiToken) => (t.readOnly ? 'read-only' : 'read-write');

export function registerTokensCommands(tokens: Command): void {
  tokens
    .command('create')
    .description('create an API token; it is printed once, and only its SHA-256 is kept')
    .requiredOption(
      '--name <name>',
      'what the token is for, e.g. grafana or ops-laptop (unique among live tokens)',
    )
    .option('--read-only', 'the token may read, never change anything (403 on writes)')
    .option('--json', 'print JSON: {token, id, name, readOnly, createdAt}')
    .addHelpText(
      'after',
      '\nUse it as `Authorization: Bearer <token>`, or sign the dashboard in with it (POST /api/v1/session).',
    )
    .action(
      action(async (ctx, o: { name: string; readOnly?: boolean; json?: boolean }) => {
        const { db } = await ctx.database();
        const { token, secret } = await createToken(
          db,
          { name: o.name, readOnly: o.readOnly === true },
          ctx.config.actor,
        );
        if (o.json) {
          ctx.print(json({ token: secret, ...token }));
          return;
        }
        ctx.print(secret);
        process.stderr.write(
          `created ${access(token)} token "${token.name}" (${token.id}). It is shown this once: store it now.\n`,
        );
      }),
    );

  tokens
    .command('list')
    .description('list the live tokens (never their secrets)')
    .option('--all', 'revoked tokens too')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { all?: boolean; json?: boolean }) => {
        const list = await listTokens((await ctx.database()).db, { all: o.all === true });
        printListing(ctx, o.json, {
          items: list,
          empty: 'no tokens: create one with sovi tokens create --name <name>',
          columns: ['id', 'name', 'access', 'created', 'last used', 'revoked'],
          row: (t) => [
            t.id,
            t.name,
            access(t),
            shortTime(t.createdAt),
            shortTime(t.lastUsedAt) || 'never',
            shortTime(t.revokedAt),
          ],
        });
      }),
    );

  tokens
    .command('revoke <token>')
    .description('revoke a token (by id or name): its requests and its dashboard sessions stop at once')
    .action(
      action(async (ctx, ref: string) => {
        const token = await revokeToken((await ctx.database()).db, ref, ctx.config.actor);
        ctx.print(`revoked token "${token.name}" (${token.id})`);
      }),
    );
}
