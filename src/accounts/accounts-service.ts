// The rules for managed accounts: identity and uniqueness, finding one by what people type, adding,
// listing, changing, and soft deletion. Secrets: account-secrets.ts; the lifecycle: account-state.ts.
export { countLiveAccounts } from './accounts-repository.ts';
import { randomUUID } from 'node:crypto';
import { recordActivity, recordEventWithActivity } from '../activity/activity-log.ts';
import type { Executor } from '../db/executor.ts';
import { isExactTime, keysetPage, type Keyset } from '../db/keyset.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import type { Db } from '../db/pool.ts';
import { resolveDevice } from '../devices/devices-service.ts';
import { SoviError, invalidInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { inNicheScope, type NicheScope } from '../niches/niche-scope.ts';
import { optionalNiche, resolveNiche } from '../niches/niches-service.ts';
import { parsePlatform, platforms } from '../platforms.ts';
import type { Vault } from '../vault/vault.ts';
import type { WarmingPolicy } from '../warming/warming-policy.ts';
import type { Account, AccountState, SecretField, Secrets } from './account-model.ts';
import { sealSecrets, summariseSecrets } from './account-secrets.ts';
import { auditAccount } from './account-audit.ts';
import { validateCount, validateState, validateUsername } from './account-validation.ts';
import {
  findAccountRef,
  findAccountRow,
  findLiveByUsername,
  insertAccountRows,
  listAccountRows,
  softDeleteAccountRow,
  updateAccountRow,
  type AccountCursor,
  type AccountFilter,
  type AccountRow,
  type ListedAccountRow,
  type NewAccountRow,
} from './accounts-repository.ts';

export interface AccountDeps {
  db: Db;
  vault: Vault;
  /** Decides which accounts a needsWarming listing shows: those the planner would pick. */
  warmingPolicy: WarmingPolicy;
  /** Who is acting, for the audit trail: a person, an agent, or a subsystem. */
  actor: string;
  /** The niches the caller may see and change; absent or null: every niche (niche-scope.ts). */
  scope?: NicheScope;
}

export function toAccount(row: AccountRow, vault: Vault): Account {
  return {
    id: row.id,
    platform: parsePlatform(row.platform),
    username: row.username,
    nicheId: row.niche_id,
    nicheSlug: row.niche_slug,
    deviceId: row.device_id,
    deviceName: row.device_name,
    state: row.current_state as AccountState,
    warmingDayCount: row.warming_day_count,
    followers: row.followers,
    following: row.following,
    bio: row.bio,
    profilePicUrl: row.profile_pic_url,
    lastActivityAt: row.last_activity_at,
    lastWarmedAt: row.last_warmed_at,
    lastPostAt: row.last_post_at,
    deletedAt: row.deleted_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    secrets: summariseSecrets(row, vault),
  };
}

/**
 * Finds an account by id, by "platform:username", or by a username that only one live account has: what
 * every command, route and filter that takes an account reads it with. Deleted accounts are found by id
 * only. `field` names the argument in the error (the CLI's `--account`, say). An account outside the
 * caller's niches is not found, like one that does not exist.
 */
export async function findAccount(
  db: Executor,
  ref: string,
  field = 'account',
  scope?: NicheScope,
): Promise<AccountRow> {
  const row = await findAnyAccount(db, ref, field);
  if (!inNicheScope(scope, row.niche_id)) throw notFoundAccount(ref, field);
  return row;
}

/**
 * The id of the account a reference names (as findAccount finds it), for a caller that needs no more: by
 * id, one narrow read instead of the whole row with its niche, device and last post.
 */
export async function resolveAccount(
  db: Executor,
  ref: string,
  field = 'account',
  scope?: NicheScope,
): Promise<string> {
  const row = isUuid(ref) ? await findAccountRef(db, ref) : await findAnyAccount(db, ref, field);
  if (!row || !inNicheScope(scope, row.niche_id)) throw notFoundAccount(ref, field);
  return row.id;
}

async function findAnyAccount(db: Executor, ref: string, field: string): Promise<AccountRow> {
  if (isUuid(ref)) {
    const row = await findAccountRow(db, ref);
    if (!row) throw notFoundAccount(ref, field);
    return row;
  }
  const at = ref.indexOf(':');
  const [platform, username] = at < 0 ? [undefined, ref] : [ref.slice(0, at), ref.slice(at + 1)];
  if (platform !== undefined) parsePlatform(platform, field);
  const rows = await findLiveByUsername(db, username, platform);
  if (rows.length === 0) throw notFoundAccount(ref, field);
  if (rows.length > 1) {
    throw new SoviError(
      'invalid_input',
      `${field}: "${ref}" names accounts on several platforms: say ${platforms.map((p) => `${p}:${ref}`).join(' or ')}`,
      { field },
    );
  }
  return rows[0]!;
}

function notFoundAccount(ref: string, field: string): SoviError {
  return new SoviError(
    'not_found',
    `${field}: no account "${ref}" (an account is named by its id, platform:username or username)`,
    { field },
  );
}

/** The account a caller names, within their niches: what every one-account operation starts from. */
export const findOwnAccount = (deps: Pick<AccountDeps, 'db' | 'scope'>, ref: string, field = 'account') =>
  findAccount(deps.db, ref, field, deps.scope);

export async function getAccount(deps: AccountDeps, ref: string): Promise<Account> {
  return toAccount(await findOwnAccount(deps, ref), deps.vault);
}

export interface NewAccount {
  platform: string;
  username: string;
  niche?: string;
  device?: string;
  state?: string;
  bio?: string;
  profilePicUrl?: string;
  followers?: number;
  following?: number;
  secrets?: Secrets;
}

/** The niche an account goes into: one of the caller's niches; a niche-limited caller must name one. */
async function nicheFor(
  db: Executor,
  ref: string | null | undefined,
  scope?: NicheScope,
): Promise<string | null> {
  if (ref) return resolveNiche(db, ref, 'niche', scope);
  if (scope) throw invalidInput('niche', 'niche: you are limited to some niches: name one of them');
  return null;
}

function liveConflict(platform: string, username: string): SoviError {
  return new SoviError('conflict', `a live ${platform} account named "${username}" already exists`, {
    field: 'username',
  });
}

export async function addAccount(deps: AccountDeps, input: NewAccount): Promise<Account> {
  const platform = parsePlatform(input.platform);
  const username = validateUsername(input.username);
  const state = input.state === undefined ? 'created' : validateState(input.state);
  if (input.followers !== undefined) validateCount('followers', input.followers);
  if (input.following !== undefined) validateCount('following', input.following);
  const id = randomUUID();
  const sealed = sealSecrets(deps.vault, id, input.secrets ?? {});
  try {
    await deps.db.transaction().execute(async (trx) => {
      const row: NewAccountRow = {
        id,
        platform,
        username,
        niche_id: await nicheFor(trx, input.niche, deps.scope),
        device_id: input.device ? await resolveDevice(trx, input.device) : null,
        current_state: state,
        bio: input.bio ?? null,
        profile_pic_url: input.profilePicUrl ?? null,
        followers: input.followers ?? 0,
        following: input.following ?? 0,
        ...sealed,
      };
      await insertAccountRows(trx, [row]);
      await recordActivity(trx, [
        {
          account_id: id,
          device_id: row.device_id ?? null,
          action_type: 'account_created',
          detail: { actor: deps.actor, state, secrets: Object.keys(input.secrets ?? {}) },
        },
      ]);
      await auditAccount(trx, { actor: deps.actor, action: 'account.create', id, before: undefined });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw liveConflict(platform, username);
    throw err;
  }
  return getAccount(deps, id);
}

export interface AccountListQuery extends Pick<AccountFilter, 'platform' | 'deleted'> {
  /** Only accounts due for a warming session, in the planner's order. */
  needsWarming?: boolean;
  state?: string[];
  niche?: string;
  device?: string;
  limit?: number;
  after?: string;
}

export async function listAccounts(
  deps: AccountDeps,
  query: AccountListQuery,
  now: Date = new Date(),
): Promise<{ accounts: Account[]; nextCursor: string | null }> {
  const limit = query.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw invalidInput('limit', `limit: expected an integer between 1 and 10000, got ${limit}`);
  }
  const filter: AccountFilter = {
    platform: query.platform ? parsePlatform(query.platform) : undefined,
    states: query.state?.map((s) => validateState(s)),
    nicheId: await optionalNiche(deps.db, query.niche, 'niche', deps.scope),
    scope: deps.scope,
    deviceId: query.device ? await resolveDevice(deps.db, query.device) : undefined,
    dueFor: query.needsWarming ? { policy: deps.warmingPolicy, now } : undefined,
    deleted: query.deleted,
  };
  const order = query.needsWarming ? 'warming' : 'created';
  const page = await keysetPage(
    // An empty cursor is no cursor: the first page.
    { after: query.after || undefined, limit },
    accountOrder(order),
    (after, rows) => listAccountRows(deps.db, filter, rows, after && toCursor(after)),
    (row) => toAccount(row, deps.vault),
  );
  return { accounts: page.items, nextCursor: page.nextCursor };
}

type AccountKey = [AccountCursor['order'], string | null, string];

/**
 * A listing's key: its order (a cursor from one order is refused by the other), the row's time (created_at,
 * or last_warmed_at, which is null for an account never warmed) and its id.
 */
const accountOrder = (order: AccountCursor['order']): Keyset<ListedAccountRow, AccountKey> => ({
  keyOf: (row) => [order, row.cursor_time, row.id],
  isKey: ([o, t, i]) =>
    o === order &&
    typeof i === 'string' &&
    isUuid(i) &&
    (isExactTime(t) || (t === null && order === 'warming')),
});

function toCursor([order, time, id]: AccountKey): AccountCursor {
  return order === 'warming' ? { order, lastWarmedAt: time, id } : { order, createdAt: time ?? '', id };
}

export interface AccountPatch {
  username?: string;
  niche?: string | null;
  device?: string | null;
  bio?: string | null;
  profilePicUrl?: string | null;
  followers?: number;
  following?: number;
  /** New secret values; null (or '') clears one. */
  secrets?: Partial<Record<SecretField, string | null>>;
}

export async function updateAccount(deps: AccountDeps, ref: string, patch: AccountPatch): Promise<Account> {
  const row = await findOwnAccount(deps, ref);
  if (row.deleted_at)
    throw new SoviError('conflict', `account ${row.id} is deleted: restore it first`, { field: 'id' });
  const changes: Record<string, unknown> = {};
  const newUsername = patch.username === undefined ? undefined : validateUsername(patch.username);
  if (newUsername !== undefined) changes.username = newUsername;
  if (patch.bio !== undefined) changes.bio = patch.bio;
  if (patch.profilePicUrl !== undefined) changes.profile_pic_url = patch.profilePicUrl;
  for (const field of ['followers', 'following'] as const) {
    const value = patch[field];
    if (value !== undefined) changes[field] = validateCount(field, value);
  }
  if (patch.niche !== undefined) changes.niche_id = await nicheFor(deps.db, patch.niche, deps.scope);
  if (patch.device !== undefined)
    changes.device_id = patch.device === null ? null : await resolveDevice(deps.db, patch.device);
  const sealed = sealSecrets(deps.vault, row.id, patch.secrets ?? {});
  if (Object.keys(changes).length === 0 && Object.keys(sealed).length === 0) {
    throw invalidInput('patch', 'nothing to update: give at least one field to change');
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await updateAccountRow(trx, row.id, { ...changes, ...sealed });
      await recordActivity(trx, [
        {
          account_id: row.id,
          device_id: row.device_id,
          action_type: 'account_updated',
          // Names of what changed, never secret values.
          detail: {
            actor: deps.actor,
            fields: Object.keys(changes),
            secrets: Object.keys(patch.secrets ?? {}),
          },
        },
      ]);
      await auditAccount(trx, { actor: deps.actor, action: 'account.update', id: row.id, before: row });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw liveConflict(row.platform, newUsername ?? row.username);
    throw err;
  }
  return getAccount(deps, row.id);
}

export async function deleteAccount(deps: AccountDeps, ref: string, reason?: string): Promise<Account> {
  const row = await findOwnAccount(deps, ref);
  if (row.deleted_at)
    throw new SoviError('conflict', `account ${row.id} is already deleted`, { field: 'id' });
  await deps.db.transaction().execute(async (trx) => {
    if (!(await softDeleteAccountRow(trx, row.id)))
      throw new SoviError('conflict', `account ${row.id} is already deleted`, { field: 'id' });
    await recordEventWithActivity(trx, {
      category: 'account',
      severity: 'info',
      eventType: 'account_deleted',
      accountId: row.id,
      message: `${row.platform} account ${row.username} deleted by ${deps.actor}${reason ? `: ${reason}` : ''}`,
      context: { actor: deps.actor, ...(reason ? { reason } : {}) },
    });
    await auditAccount(trx, {
      actor: deps.actor,
      action: 'account.delete',
      id: row.id,
      before: row,
      note: reason,
    });
  });
  return getAccount(deps, row.id);
}

export async function restoreAccount(deps: AccountDeps, ref: string): Promise<Account> {
  const row = await findOwnAccount(deps, ref);
  if (!row.deleted_at) throw new SoviError('conflict', `account ${row.id} is not deleted`, { field: 'id' });
  try {
    await deps.db.transaction().execute(async (trx) => {
      await updateAccountRow(trx, row.id, { deleted_at: null });
      await recordEventWithActivity(trx, {
        category: 'account',
        severity: 'info',
        eventType: 'account_restored',
        accountId: row.id,
        message: `${row.platform} account ${row.username} restored by ${deps.actor}`,
        context: { actor: deps.actor },
      });
      await auditAccount(trx, { actor: deps.actor, action: 'account.restore', id: row.id, before: row });
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new SoviError(
        'conflict',
        `cannot restore: a live ${row.platform} account named "${row.username}" exists now; rename or delete it first`,
        { field: 'username' },
      );
    }
    throw err;
  }
  return getAccount(deps, row.id);
}
