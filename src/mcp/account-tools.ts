// Accounts for agents: one account (secrets only as "set or not", never values) and lifecycle changes with
// a reason, which only the lifecycle's transitions allow (a refusal lists the allowed ones).
import { z } from 'zod';
import { accountStates } from '../accounts/account-model.ts';
import { getAccount } from '../accounts/accounts-service.ts';
import { setAccountState } from '../accounts/account-state.ts';
import { accountDeps, ref } from './tool-args.ts';
import { defineTool } from './tool-kit.ts';

const accountRef = ref.describe('account id, platform:username, or a username only one account has');

export const accountTools = [
  defineTool({
    name: 'get_account',
    title: 'One account',
    description:
      'One managed account: platform, username, niche, device, lifecycle state, warming progress, followers ' +
      'and last activity. Secrets are shown only as whether each is set; no tool reveals them.',
    action: 'read',
    input: { account: accountRef },
    run: (ctx, a) => getAccount(accountDeps(ctx), a.account),
  }),
  defineTool({
    name: 'set_account_state',
    title: "Change an account's state",
    description:
      'Moves an account along its lifecycle with a reason (kept in the event log and the audit trail): e.g. ' +
      'cooldown after a challenge or removals. Only allowed transitions apply; a refusal lists the states ' +
      'allowed from the current one.',
    action: 'accounts.write',
    input: {
      account: accountRef,
      state: z.enum(accountStates).describe('the new state'),
      reason: z.string().trim().min(1).max(1000).describe('why: required'),
    },
    async run(ctx, a) {
      const deps = accountDeps(ctx);
      const change = await setAccountState(deps, a.account, a.state, { reason: a.reason });
      return { ...change, account: await getAccount(deps, a.account) };
    },
  }),
];
