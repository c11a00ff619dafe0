// The rules for managed accounts: identity and uniqueness, the lifecycle, soft deletion, and the only paths
// by which a secret is written (sealed) or read (revealed, audited).
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/pool.ts';
import type { WarmingPolicy } from '../warming/warming-policy.ts';
import { SoviError, invalidInput, notFound } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Executor } from '../db/executor.ts';
import { decodeCursor, encodeCursor, isExactTime } from '../db/keyset.ts';
import { isUuid } from '../ids.ts';
import { envelopeKeyId, textEnvelopeKeyId, type Vault } from '../vault/vault.ts';
import { normaliseTotpSecret, totpCode, totpSecondsLeft } from '../vault/totp.ts';
import { assertTransition } from './account-lifecycle.ts';
import {
  accountStates,
  secretColumns,
  secretFields,
  type Account,
  type AccountState,
  type SecretField,
  type Secrets,
  type SecretSummary,
} from './account-model.ts';
import { findDeviceByRef } from '../devices/devices-service.ts';
import {
  compareAndSetState,
  findAccountRow,
  findLiveByUsername,
  insertAccountRows,
  insertActivity,
  listAccountRows,
  nicheIdsBySlug,
  updateAccountRow,
  type AccountCursor,
  type AccountFilter,
  type AccountRow,
  type NewAccountRow,
} from './accounts-repository.ts';
import { parsePlatform, platforms } from '../platforms.ts';

export interface AccountDeps {
  db: Db;
  vault: Vault;
  /** Decides which accounts a needsWarming listing shows: those the planner would pick. */
  warmingPolicy: WarmingPolicy;
  /** Who is acting, for the audit trail: a person, an agent, or a subsystem. */
  actor: string;
}

// Platform usernames: letters, digits, underscores and periods, at most 30 characters (both platforms' rule).
const USERNAME = /^[A-Za-z0-9_.]{1,30}$/;

export function validateUsername(value: string, field = 'username'): string {
  if (!USERNAME.test(value)) {
    throw invalidInput(
      field,
      `${field}: expected 1–30 letters, digits, underscores or periods, got "${value}"`,
    );
  }
  return value;
}

export function validateState(value: string, field = 'state'): AccountState {
  if (!accountStates.includes(value as AccountState)) {
    throw invalidInput(field, `${field}: expected one of ${accountStates.join(', ')}, got "${value}"`);
  }
  return value as AccountState;
}

function summarise(row: AccountRow, vault: Vault): Record<SecretField, SecretSummary> {
  const summary = {} as Record<SecretField, SecretSummary>;
  for (const field of secretFields) {
    const value = row[secretColumns[field]];
    const keyId =
      value === null
        ? null
        : typeof value === 'string'
          ? (textEnvelopeKeyId(value) ?? null)
          : (envelopeKeyId(value) ?? null);
    summary[field] = { set: value !== null, keyId, keyConfigured: keyId !== null && vault.hasKey(keyId) };
  }
  return summary;
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
    secrets: summarise(row, vault),
  };
}

/**
 * Finds an account by id, by "platform:username", or by a username that only one live account has.
 * Deleted accounts are found by id only.
 */
export async function findAccount(db: Executor, ref: string): Promise<AccountRow> {
  if (isUuid(ref)) {
    const row = await findAccountRow(db, ref);
    if (!row) throw notFound('account', ref);
    return row;
  }
  const [platform, username] = ref.includes(':') ? ref.split(':', 2) : [undefined, ref];
  if (platform !== undefined) parsePlatform(platform, 'account');
  const rows = await findLiveByUsername(db, username ?? '', platform);
  if (rows.length === 0) throw notFound('account', ref);
  if (rows.length > 1) {
    throw new SoviError(
      'invalid_input',
      `"${ref}" names accounts on several platforms: say ${platforms.map((p) => `${p}:${ref}`).join(' or ')}`,
      {
        field: 'account',
      },
    );
  }
  return rows[0]!;
}

export async function getAccount(deps: AccountDeps, ref: string): Promise<Account> {
  return toAccount(await findAccount(deps.db, ref), deps.vault);
}

/** Seals each given secret for its column of this row; null clears it, undefined leaves it alone. */
interface SealedSecrets {
  email_enc?: Buffer | null;
  password_enc?: Buffer | null;
  totp_secret_enc?: Buffer | null;
  proxy_credentials?: string | null;
}

function sealSecrets(
  vault: Vault,
  rowId: string,
  secrets: Partial<Record<SecretField, string | null>>,
): SealedSecrets {
  const sealed: SealedSecrets = {};
  for (const field of secretFields) {
    const value = secrets[field];
    if (value === undefined) continue;
    const column = secretColumns[field];
    const plaintext =
      value === null || value === '' ? null : field === 'totp_secret' ? normaliseTotpSecret(value) : value;
    const binding = { table: 'accounts', column, rowId };
    if (column === 'proxy_credentials')
      sealed[column] = plaintext === null ? null : vault.sealText(plaintext, binding);
    else sealed[column] = plaintext === null ? null : vault.seal(plaintext, binding);
  }
  return sealed;
}

export async function resolveNiche(db: Executor, ref: string, field = 'niche'): Promise<string> {
  if (isUuid(ref)) {
    const row = await db.selectFrom('niches').select('id').where('id', '=', ref).executeTakeFirst();
    if (row) return row.id;
  }
  const id = (await nicheIdsBySlug(db, [ref])).get(ref);
  if (!id)
    throw new SoviError(
      'not_found',
      `${field}: no niche "${ref}" (sovi niches are by slug, e.g. personal_finance)`,
      { field },
    );
  return id;
}

export async function resolveDevice(db: Executor, ref: string, field = 'device'): Promise<string> {
  try {
    return (await findDeviceByRef(db, ref)).id;
  } catch (err) {
    if (err instanceof SoviError && err.code === 'not_found') {
      throw new SoviError('not_found', `${field}: no device with id, udid or name "${ref}"`, { field });
    }
    throw err;
  }
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

function liveConflict(platform: string, username: string): SoviError {
  return new SoviError('conflict', `a live ${platform} account named "${username}" already exists`, {
    field: 'username',
  });
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

export async function addAccount(deps: AccountDeps, input: NewAccount): Promise<Account> {
  const platform = parsePlatform(input.platform);
  const username = validateUsername(input.username);
  const state = input.state === undefined ? 'created' : validateState(input.state);
  for (const [field, value] of [
    ['followers', input.followers],
    ['following', input.following],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw invalidInput(field, `${field}: expected a whole number ≥ 0, got ${value}`);
    }
  }
  const id = randomUUID();
  const sealed = sealSecrets(deps.vault, id, input.secrets ?? {});
  try {
    await deps.db.transaction().execute(async (trx) => {
      const row: NewAccountRow = {
        id,
        platform,
        username,
        niche_id: input.niche ? await resolveNiche(trx, input.niche) : null,
        device_id: input.device ? await resolveDevice(trx, input.device) : null,
        current_state: state,
        bio: input.bio ?? null,
        profile_pic_url: input.profilePicUrl ?? null,
        followers: input.followers ?? 0,
        following: input.following ?? 0,
        ...sealed,
      };
      await insertAccountRows(trx, [row]);
      await insertActivity(trx, [
        {
          account_id: id,
          device_id: row.device_id ?? null,
          action_type: 'account_created',
          detail: { actor: deps.actor, state, secrets: Object.keys(input.secrets ?? {}) },
        },
      ]);
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
    nicheId: query.niche ? await resolveNiche(deps.db, query.niche) : undefined,
    deviceId: query.device ? await resolveDevice(deps.db, query.device) : undefined,
    dueFor: query.needsWarming ? { policy: deps.warmingPolicy, now } : undefined,
    deleted: query.deleted,
  };
  const order = query.needsWarming ? 'warming' : 'created';
  const rows = await listAccountRows(
    deps.db,
    filter,
    limit + 1,
    query.after ? readCursor(query.after, order) : undefined,
  );
  const accounts = rows.slice(0, limit).map((r) => toAccount(r, deps.vault));
  const last = rows[limit - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor([order, last.cursor_time, last.id]) : null;
  return { accounts, nextCursor };
}

function readCursor(text: string, order: AccountCursor['order']): AccountCursor {
  const [, time, id] = decodeCursor<[string, string | null, string]>(
    text,
    'after',
    ([o, t, i]) =>
      o === order &&
      typeof i === 'string' &&
      isUuid(i) &&
      (isExactTime(t) || (t === null && order === 'warming')),
  );
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
  const row = await findAccount(deps.db, ref);
  if (row.deleted_at)
    throw new SoviError('conflict', `account ${row.id} is deleted: restore it first`, { field: 'id' });
  const changes: Record<string, unknown> = {};
  const newUsername = patch.username === undefined ? undefined : validateUsername(patch.username);
  if (newUsername !== undefined) changes.username = newUsername;
  if (patch.bio !== undefined) changes.bio = patch.bio;
  if (patch.profilePicUrl !== undefined) changes.profile_pic_url = patch.profilePicUrl;
  for (const field of ['followers', 'following'] as const) {
    const value = patch[field];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0)
      throw invalidInput(field, `${field}: expected a whole number ≥ 0, got ${value}`);
    changes[field] = value;
  }
  if (patch.niche !== undefined)
    changes.niche_id = patch.niche === null ? null : await resolveNiche(deps.db, patch.niche);
  if (patch.device !== undefined)
    changes.device_id = patch.device === null ? null : await resolveDevice(deps.db, patch.device);
  const sealed = sealSecrets(deps.vault, row.id, patch.secrets ?? {});
  if (Object.keys(changes).length === 0 && Object.keys(sealed).length === 0) {
    throw invalidInput('patch', 'nothing to update: give at least one field to change');
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await updateAccountRow(trx, row.id, { ...changes, ...sealed });
      await insertActivity(trx, [
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
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw liveConflict(row.platform, newUsername ?? row.username);
    throw err;
  }
  return getAccount(deps, row.id);
}

export async function deleteAccount(deps: AccountDeps, ref: string, reason?: string): Promise<Account> {
  const row = await findAccount(deps.db, ref);
  if (row.deleted_at)
    throw new SoviError('conflict', `account ${row.id} is already deleted`, { field: 'id' });
  await deps.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('accounts')
      .set({ deleted_at: new Date() })
      .where('id', '=', row.id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (done.numUpdatedRows === 0n)
      throw new SoviError('conflict', `account ${row.id} is already deleted`, { field: 'id' });
    await recordEvent(trx, {
      category: 'account',
      severity: 'info',
      eventType: 'account_deleted',
      accountId: row.id,
      message: `${row.platform} account ${row.username} deleted by ${deps.actor}${reason ? `: ${reason}` : ''}`,
      context: { actor: deps.actor, ...(reason ? { reason } : {}) },
    });
    await insertActivity(trx, [
      { account_id: row.id, action_type: 'account_deleted', detail: { actor: deps.actor, reason } },
    ]);
  });
  return getAccount(deps, row.id);
}

export async function restoreAccount(deps: AccountDeps, ref: string): Promise<Account> {
  const row = await findAccount(deps.db, ref);
  if (!row.deleted_at) throw new SoviError('conflict', `account ${row.id} is not deleted`, { field: 'id' });
  try {
    await deps.db.transaction().execute(async (trx) => {
      await updateAccountRow(trx, row.id, { deleted_at: null });
      await recordEvent(trx, {
        category: 'account',
        severity: 'info',
        eventType: 'account_restored',
        accountId: row.id,
        message: `${row.platform} account ${row.username} restored by ${deps.actor}`,
        context: { actor: deps.actor },
      });
      await insertActivity(trx, [
        { account_id: row.id, action_type: 'account_restored', detail: { actor: deps.actor } },
      ]);
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

const stateSeverity = (to: AccountState) =>
  to === 'banned' || to === 'suspended'
    ? 'error'
    : to === 'flagged' || to === 'restricted' || to === 'shadowbanned'
      ? 'warning'
      : 'info';

export interface StateChange {
  reason: string;
  /** The state the caller saw; the change is refused if the account has moved on since. */
  expectedFrom?: AccountState;
  /** Defaults to deps.actor. */
  actor?: string;
  /** Where the change came from, e.g. a session id; kept in the event's context. */
  context?: Record<string, unknown>;
}

/**
 * Applies a lifecycle transition. Two concurrent changes of one account cannot both apply from the same
 * starting state: the update only matches while the account is still in the state the transition was
 * checked against.
 */
export async function setAccountState(
  deps: Pick<AccountDeps, 'db' | 'actor'>,
  ref: string,
  toState: string,
  change: StateChange,
  executor?: Executor,
): Promise<{ from: AccountState; to: AccountState }> {
  const to = validateState(toState);
  if (!change.reason.trim()) throw invalidInput('reason', 'reason: say why the state changes');
  const actor = change.actor ?? deps.actor;
  const apply = async (trx: Executor) => {
    const row = await findAccount(trx, ref);
    const from = row.current_state as AccountState;
    if (row.deleted_at)
      throw new SoviError('conflict', `account ${row.id} is deleted: restore it first`, { field: 'id' });
    if (change.expectedFrom !== undefined && change.expectedFrom !== from) {
      throw new SoviError(
        'conflict',
        `account ${row.id} is ${from} now, not ${change.expectedFrom}; check and retry`,
        {
          field: 'state',
          from: change.expectedFrom,
          current: from,
        },
      );
    }
    assertTransition(from, to);
    if (!(await compareAndSetState(trx, row.id, from, to))) {
      const now = await findAccountRow(trx, row.id);
      throw new SoviError(
        'conflict',
        `account ${row.id} changed concurrently (it is now ${now?.current_state ?? 'gone'}, not ${from}); check and retry`,
        { field: 'state', from, current: now?.current_state },
      );
    }
    const detail = { from, to, reason: change.reason, actor, ...change.context };
    await recordEvent(trx, {
      category: 'account',
      severity: stateSeverity(to),
      eventType: 'state_changed',
      accountId: row.id,
      deviceId: row.device_id,
      message: `${row.platform} account ${row.username}: ${from} → ${to} (${change.reason})`,
      context: detail,
    });
    await insertActivity(trx, [
      { account_id: row.id, device_id: row.device_id, action_type: 'state_changed', detail },
    ]);
    return { from, to };
  };
  return executor ? apply(executor) : deps.db.transaction().execute(apply);
}

/** The one way to read secrets: decrypts, and records who revealed which fields (never the values). */
export async function revealSecrets(
  deps: AccountDeps,
  ref: string,
  fields: SecretField[] = [...secretFields],
): Promise<Secrets> {
  const row = await findAccount(deps.db, ref);
  const secrets: Secrets = {};
  for (const field of fields) {
    const column = secretColumns[field];
    const value = row[column];
    if (value === null) continue;
    const binding = { table: 'accounts', column, rowId: row.id };
    secrets[field] =
      typeof value === 'string' ? deps.vault.openText(value, binding) : deps.vault.open(value, binding);
  }
  await audit(
    deps,
    row,
    'secret_revealed',
    `${deps.actor} revealed ${Object.keys(secrets).join(', ') || 'nothing'}`,
    {
      fields: Object.keys(secrets),
    },
  );
  return secrets;
}

export async function currentTotp(
  deps: AccountDeps,
  ref: string,
  at: Date = new Date(),
): Promise<{ code: string; secondsLeft: number }> {
  const row = await findAccount(deps.db, ref);
  if (row.totp_secret_enc === null) {
    throw new SoviError('not_found', `account ${row.username} has no TOTP secret`, { field: 'totp_secret' });
  }
  const secret = deps.vault.open(row.totp_secret_enc, {
    table: 'accounts',
    column: 'totp_secret_enc',
    rowId: row.id,
  });
  await audit(deps, row, 'totp_generated', `${deps.actor} generated a TOTP code`, {});
  return { code: totpCode(secret, at), secondsLeft: totpSecondsLeft(at) };
}

async function audit(
  deps: AccountDeps,
  row: AccountRow,
  eventType: string,
  message: string,
  context: Record<string, unknown>,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await recordEvent(trx, {
      category: 'auth',
      severity: 'info',
      eventType,
      accountId: row.id,
      message: `${row.platform} account ${row.username}: ${message}`,
      context: { actor: deps.actor, ...context },
    });
    await insertActivity(trx, [
      { account_id: row.id, action_type: eventType, detail: { actor: deps.actor, ...context } },
    ]);
  });
}
