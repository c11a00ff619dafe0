// People: add (password asked hidden, or read from stdin; never an argument), list, show, update, disable,
// enable, reset-password. Disabling a user or resetting their password ends their sessions at once.
import { Option, type Command } from 'commander';
import { roles, type Role } from '../auth/roles.ts';
import { invalidInput } from '../errors.ts';
import type { User } from '../users/users-model.ts';
import * as userService from '../users/users-service.ts';
import { action } from './context.ts';
import { fields, json, shortTime } from './format.ts';
import { parseList } from './parse.ts';
import { listingText, readCommand } from './read-command.ts';
import { readNewPassword } from './secret-input.ts';

interface UpdateUserOptions {
  name?: string;
  role?: Role;
  niche?: string[];
  allNiches?: boolean;
  json?: boolean;
}

const nichesText = (u: User) => (u.niches ? u.niches.map((n) => n.slug).join(', ') : 'all');
const state = (u: User) => (u.disabledAt ? 'disabled' : 'enabled');

const describe = (u: User): string =>
  fields([
    ['id', u.id],
    ['name', u.name],
    ['role', u.role],
    ['niches', nichesText(u)],
    ['state', `${state(u)}${u.disabledAt ? ` since ${shortTime(u.disabledAt)}` : ''}`],
    ['last sign-in', shortTime(u.lastSignInAt) || 'never'],
    ['password set', shortTime(u.passwordChangedAt)],
    ['created', `${shortTime(u.createdAt)}   updated ${shortTime(u.updatedAt)}`],
  ]);

const roleOption = (required: boolean) => {
  const option = new Option('--role <role>', 'viewer, reviewer, operator or admin').choices(roles);
  return required ? option.makeOptionMandatory() : option;
};
const nicheOption = () =>
  new Option('--niche <slug>', 'limit the user to this niche (repeat for several)').argParser(parseList);

export function registerUsersCommands(users: Command): void {
  users
    .command('add')
    .description('add a user; the password is asked (hidden) on a terminal, or read from stdin')
    .requiredOption('--name <name>', 'what they sign in with: letters, digits or . _ @ - (unique)')
    .addOption(roleOption(true))
    .addOption(nicheOption())
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { name: string; role: Role; niche?: string[]; json?: boolean }) => {
        const db = await ctx.db();
        const password = await readNewPassword();
        const user = await userService.addUser(
          db,
          { name: o.name, role: o.role, password, ...(o.niche ? { niches: o.niche } : {}) },
          ctx.config.actor,
        );
        ctx.print(
          o.json ? json(user) : `added ${user.role} ${user.name} (${user.id}), niches: ${nichesText(user)}`,
        );
      }),
    );

  readCommand(users, {
    spec: 'list',
    description: 'every user, by name',
    read: async (ctx) => userService.listUsers(await ctx.db()),
    text: (all) =>
      listingText({
        items: all,
        empty: 'no users: add the first admin with sovi users add --name you --role admin',
        columns: ['name', 'role', 'niches', 'state', 'last sign-in', 'id'],
        row: (u) => [u.name, u.role, nichesText(u), state(u), shortTime(u.lastSignInAt) || 'never', u.id],
      }),
  });

  readCommand(users, {
    spec: 'show <user>',
    description: 'one user, by name or id',
    read: async (ctx, ref: string) => userService.findUser(await ctx.db(), ref),
    text: describe,
  });

  users
    .command('update <user>')
    .description("change a user's name, role or niches")
    .option('--name <name>', 'a new name')
    .addOption(roleOption(false))
    .addOption(nicheOption())
    .option('--all-niches', 'lift the niche limit: every niche')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, ref: string, o: UpdateUserOptions) => {
        if (o.niche && o.allNiches)
          throw invalidInput('niche', '--niche and --all-niches contradict each other');
        const patch: userService.UserPatch = {
          ...(o.name === undefined ? {} : { name: o.name }),
          ...(o.role === undefined ? {} : { role: o.role }),
          ...(o.niche ? { niches: o.niche } : o.allNiches ? { niches: null } : {}),
        };
        if (Object.keys(patch).length === 0) {
          throw invalidInput('options', 'nothing to change: give --name, --role, --niche or --all-niches');
        }
        const user = await userService.updateUser(await ctx.db(), ref, patch, ctx.config.actor);
        ctx.print(o.json ? json(user) : describe(user));
      }),
    );

  for (const [verb, description, change] of [
    [
      'disable',
      'disable a user: their sessions, tokens and event streams stop at once',
      userService.disableUser,
    ],
    ['enable', 'enable a disabled user again', userService.enableUser],
  ] as const) {
    users
      .command(`${verb} <user>`)
      .description(description)
      .action(
        action(async (ctx, ref: string) => {
          const user = await change(await ctx.db(), ref, ctx.config.actor);
          ctx.print(`${verb}d ${user.name}`);
        }),
      );
  }

  users
    .command('reset-password <user>')
    .description('set a new password (asked hidden, or from stdin); their sessions end')
    .action(
      action(async (ctx, ref: string) => {
        const db = await ctx.db();
        const target = await userService.findUser(db, ref);
        const user = await userService.setPassword(
          db,
          target.id,
          await readNewPassword(`new password for ${target.name}`),
          ctx.config.actor,
        );
        ctx.print(`password of ${user.name} set; their sessions ended`);
      }),
    );
}
