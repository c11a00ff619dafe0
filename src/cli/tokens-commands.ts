import { Option, type Command } from 'commander';
import { roles, type Role } from '../auth/roles.ts';
import { createToken, listTokens, revokeToken, type ApiToken } from '../auth/tokens-service.ts';
import { parseDuration } from '../time.ts';
import { findUser } from '../users/users-service.ts';
import { action } from './context.ts';
import { json, shortTime } from './format.ts';
import { printListing } from './read-command.ts';

interface CreateOptions {
  name: string;
  user?: string;
  role?: Role;
  readOnly?: boolean;
  expiresIn?: string;
  json?: boolean;
}

const expiry = (t: ApiToken) =>
  t.expiresAt ? `${t.expiresAt.getTime() <= Date.now() ? 'expired ' : ''}${shortTime(t.expiresAt)}` : 'never';

export function registerTokensCommands(tokens: Command): void {
  tokens
    .command('create')
    .description('create an API token; it is printed once, and only its SHA-256 is kept')
    .requiredOption(
      '--name <name>',
      'what the token is for, e.g. grafana or ops-laptop (unique among live tokens)',
    )
    .option('--user <user>', 'the user it belongs to and acts for (at most with their role)')
    .addOption(new Option('--role <role>', "narrow it below the user's role").choices(roles))
    .option('--read-only', 'the same as --role viewer: it may read, never change anything (403 on writes)')
    .option('--expires-in <duration>', 'e.g. 30d, 12h, 2w (default: never)')
    .option('--json', 'print JSON: {token, id, name, role, …}')
    .addHelpText(
      'after',
      '\nUse it as `Authorization: Bearer <token>`, or sign the dashboard in with it (POST /api/v1/session).\n' +
        'Without --user the token has no owner and acts as admin (viewer with --read-only), as tokens did\n' +
        'before sovi had users.',
    )
    .action(
      action(async (ctx, o: CreateOptions) => {
        const db = await ctx.db();
        const expiresInMs =
          o.expiresIn === undefined ? undefined : parseDuration('--expires-in', o.expiresIn);
        const owner = o.user === undefined ? undefined : await findUser(db, o.user, '--user');
        const { token, secret } = await createToken(
          db,
          {
            name: o.name,
            userId: owner?.id ?? null,
            readOnly: o.readOnly === true,
            ...(o.role ? { role: o.role } : {}),
            ...(expiresInMs === undefined ? {} : { expiresInMs }),
          },
          ctx.config.actor,
        );
        if (o.json) {
          ctx.print(json({ token: secret, ...token }));
          return;
        }
        ctx.print(secret);
        process.stderr.write(
          `created ${token.role} token "${token.name}" (${token.id})${owner ? ` for ${owner.name}` : ''}, ` +
            `expires ${expiry(token)}. It is shown this once: store it now.\n`,
        );
      }),
    );

  tokens
    .command('list')
    .description('list the live tokens (never their secrets)')
    .option('--all', 'revoked tokens too')
    .option('--user <user>', "only this user's")
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { all?: boolean; user?: string; json?: boolean }) => {
        const db = await ctx.db();
        const owner = o.user === undefined ? undefined : await findUser(db, o.user, '--user');
        const list = await listTokens(db, { all: o.all === true, ...(owner ? { userId: owner.id } : {}) });
        printListing(ctx, o.json, {
          items: list,
          empty: 'no tokens: create one with sovi tokens create --name <name> --user <user>',
          columns: ['id', 'name', 'user', 'role', 'created', 'last used', 'expires', 'revoked'],
          row: (t) => [
            t.id,
            t.name,
            t.owner?.name ?? '(none)',
            t.role,
            shortTime(t.createdAt),
            shortTime(t.lastUsedAt) || 'never',
            expiry(t),
            shortTime(t.revokedAt),
          ],
        });
      }),
    );

  tokens
    .command('revoke <token>')
    .description('revoke a token (by id or name): its requests, dashboard sessions and streams stop at once')
    .action(
      action(async (ctx, ref: string) => {
        const token = await revokeToken(await ctx.db(), ref, ctx.config.actor);
        ctx.print(`revoked token "${token.name}" (${token.id})`);
      }),
    );
}
