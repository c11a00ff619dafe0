// SQL for accounts. Executor first, explicit columns; secrets travel only as ciphertext.
import { nicheScopeCondition, type NicheScope } from '../niches/niche-scope.ts';
import {
  sql,
  type ExpressionBuilder,
  type Insertable,
  type Selectable,
  type Updateable,
  type UpdateObject,
} from 'kysely';
import type { Accounts, DB } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';
import { exactTime } from '../db/keyset.ts';
import { dueCondition, dueOrder } from '../warming/due-rule.ts';
import type { WarmingPolicy } from '../warming/warming-policy.ts';
import { updatedAny } from '../db/updated.ts';
import type { OneOf } from '../errors.ts';

export type AccountRow = Selectable<Accounts> & { niche_slug: string | null; device_name: string | null };
export type NewAccountRow = Insertable<Accounts> & { id: string };

const columns = [
  'a.id',
  'a.platform',
  'a.username',
  'a.email_enc',
  'a.password_enc',
  'a.totp_secret_enc',
  'a.proxy_credentials',
  'a.niche_id',
  'a.device_id',
  'a.current_state',
  'a.warming_day_count',
  'a.followers',
  'a.following',
  'a.bio',
  'a.profile_pic_url',
  'a.last_activity_at',
  'a.last_warmed_at',
  'a.deleted_at',
  'a.created_at',
  'a.updated_at',
  'a.sessions_today',
  'a.sessions_day',
] as const;

const base = (db: Executor) =>
  db
    .selectFrom('accounts as a')
    .leftJoin('niches as n', 'n.id', 'a.niche_id')
    .leftJoin('devices as d', 'd.id', 'a.device_id')
    .select([...columns, 'n.slug as niche_slug', 'd.name as device_name'])
    // The account's column is kept by the publisher; posts recorded another way (a metrics import, a
    // restore, SQL) count too, so an account with posts never reads "last post: never". Served by
    // distributions_account_id_idx (001): (account_id, posted_at).
    .select(
      sql<Date | null>`greatest(a.last_post_at, (SELECT max(p.posted_at) FROM distributions p WHERE p.account_id = a.id))`.as(
        'last_post_at',
      ),
    );

export async function findAccountRow(db: Executor, id: string): Promise<AccountRow | undefined> {
  return base(db).where('a.id', '=', id).executeTakeFirst();
}

/** Only what naming an account by id needs (that it exists, and its niche for the caller's scope). */
export async function findAccountRef(
  db: Executor,
  id: string,
): Promise<{ id: string; niche_id: string | null } | undefined> {
  return db.selectFrom('accounts').select(['id', 'niche_id']).where('id', '=', id).executeTakeFirst();
}

/** Live accounts with this username (case-insensitive), on one platform or all. */
export async function findLiveByUsername(
  db: Executor,
  username: string,
  platform?: string,
): Promise<AccountRow[]> {
  let query = base(db)
    .where(sql<boolean>`lower(a.username) = lower(${username})`)
    .where('a.deleted_at', 'is', null);
  if (platform) query = query.where('a.platform', '=', platform);
  return query.execute();
}

export interface AccountFilter {
  platform?: string;
  states?: string[];
  nicheId?: string;
  /** Only accounts in these niches (a niche-limited caller's); null or absent: every niche. */
  scope?: NicheScope;
  deviceId?: string;
  /** Only accounts due for a warming session (the planner's rule), in its order (idx_accounts_needs_warming). */
  dueFor?: { policy: WarmingPolicy; now: Date };
  deleted?: 'exclude' | 'only' | 'include';
}

/** Times are exact PostgreSQL text (see src/db/keyset.ts). */
export type AccountCursor =
  | { order: 'created'; createdAt: string; id: string }
  | { order: 'warming'; lastWarmedAt: string | null; id: string };

export type ListedAccountRow = AccountRow & { cursor_time: string | null };

export async function listAccountRows(
  db: Executor,
  filter: AccountFilter,
  limit: number,
  after?: AccountCursor,
): Promise<ListedAccountRow[]> {
  let query = base(db)
    .select(exactTime(filter.dueFor ? 'a.last_warmed_at' : 'a.created_at').as('cursor_time'))
    .where((eb: ExpressionBuilder<DB & { a: Accounts }, 'a'>) => {
      const all = [];
      if (filter.platform) all.push(eb('a.platform', '=', filter.platform));
      if (filter.states?.length) all.push(eb('a.current_state', 'in', filter.states));
      if (filter.nicheId) all.push(eb('a.niche_id', '=', filter.nicheId));
      if (filter.deviceId) all.push(eb('a.device_id', '=', filter.deviceId));
      const inScope = nicheScopeCondition(eb.ref('a.niche_id'), filter.scope);
      if (inScope) all.push(inScope);
      const deleted = filter.dueFor ? 'exclude' : (filter.deleted ?? 'exclude');
      if (deleted === 'exclude') all.push(eb('a.deleted_at', 'is', null));
      if (deleted === 'only') all.push(eb('a.deleted_at', 'is not', null));
      if (filter.dueFor) all.push(dueCondition(filter.dueFor.policy, filter.dueFor.now));
      return eb.and(all);
    });
  if (filter.dueFor) {
    if (after?.order === 'warming') {
      query =
        after.lastWarmedAt === null
          ? query.where((eb) =>
              eb.or([
                eb.and([eb('a.last_warmed_at', 'is', null), eb('a.id', '>', after.id)]),
                eb('a.last_warmed_at', 'is not', null),
              ]),
            )
          : query.where(
              sql<boolean>`(a.last_warmed_at, a.id) > (${after.lastWarmedAt}::timestamptz, ${after.id}::uuid)`,
            );
    }
    return query.orderBy(dueOrder).orderBy('a.id').limit(limit).execute();
  }
  if (after?.order === 'created') {
    query = query.where(
      sql<boolean>`(a.created_at, a.id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
    );
  }
  return query.orderBy('a.created_at').orderBy('a.id').limit(limit).execute();
}

/** What a warming session reads of its account. */
export interface WarmingRow {
  id: string;
  platform: string;
  username: string;
  current_state: string;
  device_id: string | null;
  deleted_at: Date | null;
  warming_day_count: number;
  last_warmed_at: Date | null;
}

/** The account as a warming session sees it. */
export async function selectWarmingRow(db: Executor, id: string): Promise<WarmingRow | undefined> {
  return db
    .selectFrom('accounts')
    .select([
      'id',
      'platform',
      'username',
      'current_state',
      'device_id',
      'deleted_at',
      'warming_day_count',
      'last_warmed_at',
    ])
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * Marks a finished session on its account and returns the state and day count the row has now, locked until
 * the transaction ends: the lock, the re-read and the write in one statement. `set` may use the row's values
 * before the update (an expression over warming_day_count, say). Undefined when the account is gone.
 */
export async function markSessionRow(
  db: Executor,
  id: string,
  set: UpdateObject<DB, 'accounts'>,
): Promise<{ current_state: string; warming_day_count: number } | undefined> {
  return db
    .updateTable('accounts')
    .set(set)
    .where('id', '=', id)
    .returning(['current_state', 'warming_day_count'])
    .executeTakeFirst();
}

/** Counts a session against the account's UTC day (`day`, e.g. 2026-12-05): the due rule's daily quota. */
export async function countSessionOnDay(db: Executor, id: string, day: string): Promise<void> {
  await sql`
    UPDATE accounts a
    SET sessions_today = CASE WHEN a.sessions_day = ${day}::date THEN a.sessions_today + 1 ELSE 1 END,
        sessions_day = ${day}::date
    WHERE a.id = ${id}`.execute(db);
}

/** Gives accounts their devices, in one statement. */
export async function assignDeviceRows(
  db: Executor,
  pairs: { accountId: string; deviceId: string }[],
): Promise<void> {
  if (pairs.length === 0) return;
  await sql`
    UPDATE accounts a SET device_id = p.device_id
    FROM unnest(${pairs.map((p) => p.accountId)}::uuid[], ${pairs.map((p) => p.deviceId)}::uuid[]) AS p(account_id, device_id)
    WHERE a.id = p.account_id`.execute(db);
}

const insertColumns = [
  'id',
  'platform',
  'username',
  'email_enc',
  'password_enc',
  'totp_secret_enc',
  'proxy_credentials',
  'niche_id',
  'device_id',
  'current_state',
  'followers',
  'following',
  'bio',
  'profile_pic_url',
] as const;

const columnTypes: Record<OneOf<typeof insertColumns>, string> = {
  id: 'uuid',
  platform: 'text',
  username: 'text',
  email_enc: 'bytea',
  password_enc: 'bytea',
  totp_secret_enc: 'bytea',
  proxy_credentials: 'text',
  niche_id: 'uuid',
  device_id: 'uuid',
  current_state: 'text',
  followers: 'int',
  following: 'int',
  bio: 'text',
  profile_pic_url: 'text',
};

/**
 * Inserts many accounts in one statement: one array per column, unnested server-side. Measured faster than
 * multi-row VALUES, and it has no 65,535-parameter ceiling (see bench/README.md).
 */
export async function insertAccountRows(db: Executor, rows: NewAccountRow[]): Promise<void> {
  if (rows.length === 0) return;
  const arrays = insertColumns.map((column) => {
    const values = rows.map((r) => (r as Record<string, unknown>)[column] ?? null);
    return sql`${values}::${sql.raw(columnTypes[column])}[]`;
  });
  const defaults = { current_state: 'created', followers: 0, following: 0 } as const;
  const selectList = insertColumns.map((c, i) =>
    c in defaults
      ? sql`coalesce(${sql.ref(`u.c${i}`)}, ${defaults[c as keyof typeof defaults]})`
      : sql.ref(`u.c${i}`),
  );
  await sql`
    INSERT INTO accounts (${sql.join(insertColumns.map((c) => sql.ref(c)))})
    SELECT ${sql.join(selectList)}
    FROM unnest(${sql.join(arrays)}) AS u(${sql.join(insertColumns.map((_, i) => sql.ref(`c${i}`)))})
  `.execute(db);
}

export async function updateAccountRow(
  db: Executor,
  id: string,
  patch: Updateable<Accounts>,
): Promise<boolean> {
  return updatedAny(db.updateTable('accounts').set(patch).where('id', '=', id));
}

/**
 * Changes a live account only while it is as the caller last read it (compare-and-set): `expected` holds
 * the columns that must still have those values. False when the account was deleted or changed meanwhile.
 */
async function updateLiveAccountIf(
  db: Executor,
  id: string,
  set: Updateable<Accounts>,
  expected: { current_state?: string } = {},
): Promise<boolean> {
  let query = db.updateTable('accounts').set(set).where('id', '=', id).where('deleted_at', 'is', null);
  if (expected.current_state !== undefined) query = query.where('current_state', '=', expected.current_state);
  return updatedAny(query);
}

/** Soft-deletes a live account; false when it was deleted already. */
export const softDeleteAccountRow = (db: Executor, id: string): Promise<boolean> =>
  updateLiveAccountIf(db, id, { deleted_at: new Date() });

/** Moves an account from one state to another only if it is still in `from` (compare-and-set). */
export const compareAndSetState = (db: Executor, id: string, from: string, to: string): Promise<boolean> =>
  updateLiveAccountIf(db, id, { current_state: to }, { current_state: from });

/** Live (platform, lower(username)) pairs that already exist, among the given ones. */
export async function existingLiveUsernames(
  db: Executor,
  pairs: { platform: string; username: string }[],
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const rows = await sql<{ key: string }>`
    SELECT a.platform || ':' || lower(a.username) AS key
    FROM accounts a
    JOIN unnest(${pairs.map((p) => p.platform)}::text[], ${pairs.map((p) => p.username.toLowerCase())}::text[])
      AS want(platform, username)
      ON a.platform = want.platform AND lower(a.username) = want.username
    WHERE a.deleted_at IS NULL`.execute(db);
  return new Set(rows.rows.map((r) => r.key));
}

/**
 * Live (not soft-deleted) accounts on a device or in a niche: what removing the device or deactivating the
 * niche would strand. Served by accounts_device_id_idx and accounts_niche_id_idx.
 */
export async function countLiveAccounts(
  db: Executor,
  where: { deviceId: string } | { nicheId: string },
): Promise<number> {
  const [column, id] =
    'deviceId' in where ? (['device_id', where.deviceId] as const) : (['niche_id', where.nicheId] as const);
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(column, '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
