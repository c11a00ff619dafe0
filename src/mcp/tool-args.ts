// Arguments several tools share, and the account deps a tool's caller gives the accounts service.
import { z } from 'zod';
import type { AccountDeps } from '../accounts/accounts-service.ts';
import type { ToolContext } from './tool-kit.ts';

/** An id, or the name people use (a device's udid or name, an account's platform:username). */
export const ref = z.string().trim().min(1).max(200);
export const nicheRef = ref.describe('niche slug');
export const eventId = z.number().int().min(1).describe('event id');
export const uuidArg = (what: string) =>
  z.uuid({ error: `expected a ${what} id (a uuid)` }).describe(`${what} id`);
export const limit = z.number().int().min(1).max(200).optional().describe('at most this many (default 20)');

export const accountDeps = (ctx: ToolContext): AccountDeps => ({
  db: ctx.db,
  vault: ctx.vault,
  actor: ctx.caller.actor,
  warmingPolicy: ctx.policies.warming,
  scope: ctx.caller.scope,
});
