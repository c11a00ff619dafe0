// The SQL of platform connections and their authorization requests (oauth_states).
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

const connectionColumns = [
  'c.id',
  'c.account_id',
  'a.username',
  'a.niche_id',
  'c.platform',
  'c.platform_user_id',
  'c.scopes',
  'c.access_token_enc',
  'c.access_expires_at',
  'c.refresh_token_enc',
  'c.refresh_expires_at',
  'c.status',
  'c.status_reason',
  'c.posting_note',
  'c.last_refreshed_at',
  'c.refresh_failures',
  'c.last_refresh_error',
  'c.last_call_at',
  'c.connected_by',
  'c.connected_at',
] as const;

const selectConnections = (db: Executor) =>
  db
    .selectFrom('platform_connections as c')
    .innerJoin('accounts as a', 'a.id', 'c.account_id')
    .select(connectionColumns);

export type ConnectionRow = Awaited<
  ReturnType<ReturnType<typeof selectConnections>['executeTakeFirstOrThrow']>
>;

export const findConnectionRow = (db: Executor, accountId: string, platform: string) =>
  selectConnections(db)
    .where('c.account_id', '=', accountId)
    .where('c.platform', '=', platform)
    .executeTakeFirst();

/** The row, locked: refreshes of one connection take turns (a refresh token may be single-use). */
export const lockConnectionRow = (db: Executor, id: string) =>
  selectConnections(db).where('c.id', '=', id).forUpdate('c').executeTakeFirst();

export function listConnectionRows(
  db: Executor,
  filter: { accountIds?: string[] | null; platform?: string; status?: string } = {},
): Promise<ConnectionRow[]> {
  let q = selectConnections(db).where('a.deleted_at', 'is', null);
  if (filter.accountIds)
    q =
      filter.accountIds.length === 0
        ? q.where(sql<boolean>`false`)
        : q.where('c.account_id', 'in', filter.accountIds);
  if (filter.platform) q = q.where('c.platform', '=', filter.platform);
  if (filter.status) q = q.where('c.status', '=', filter.status);
  return q.orderBy('c.platform').orderBy('a.username').execute();
}

/** Connected ones whose access token expires before `before`: the refresh job's work. */
export const dueForRefresh = (db: Executor, before: Date, limit: number) =>
  db
    .selectFrom('platform_connections')
    .select(['id'])
    .where('status', '=', 'connected')
    .where('access_expires_at', '<', before)
    .orderBy('access_expires_at')
    .limit(limit)
    .execute();

export interface SealedGrant {
  platform_user_id: string;
  scopes: string[];
  access_token_enc: Buffer;
  access_expires_at: Date;
  refresh_token_enc: Buffer | null;
  refresh_expires_at: Date | null;
}

/** A new grant for an account: the row is made (or replaced) and connected again. Returns its id. */
export async function upsertConnection(
  db: Executor,
  id: string,
  row: {
    account_id: string;
    platform: string;
    connected_by: string;
    posting_note: string | null;
  } & SealedGrant,
): Promise<string> {
  const result = await db
    .insertInto('platform_connections')
    .values({ id, ...row, status: 'connected', last_refreshed_at: new Date() })
    .onConflict((oc) =>
      oc.columns(['account_id', 'platform']).doUpdateSet((eb) => ({
        platform_user_id: eb.ref('excluded.platform_user_id'),
        scopes: eb.ref('excluded.scopes'),
        access_token_enc: eb.ref('excluded.access_token_enc'),
        access_expires_at: eb.ref('excluded.access_expires_at'),
        refresh_token_enc: eb.ref('excluded.refresh_token_enc'),
        refresh_expires_at: eb.ref('excluded.refresh_expires_at'),
        posting_note: eb.ref('excluded.posting_note'),
        connected_by: eb.ref('excluded.connected_by'),
        connected_at: sql`now()`,
        last_refreshed_at: sql`now()`,
        status: 'connected',
        status_reason: null,
        status_changed_at: sql`now()`,
        refresh_failures: 0,
        last_refresh_error: null,
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return result.id;
}

/** The id a connection's row has or will have: its tokens are sealed bound to it before the row is written. */
export const connectionIdFor = async (db: Executor, accountId: string, platform: string) =>
  (
    await db
      .selectFrom('platform_connections')
      .select('id')
      .where('account_id', '=', accountId)
      .where('platform', '=', platform)
      .executeTakeFirst()
  )?.id;

export const storeRefreshed = (
  db: Executor,
  id: string,
  grant: Omit<SealedGrant, 'platform_user_id' | 'scopes'> & { scopes?: string[] },
) =>
  db
    .updateTable('platform_connections')
    .set({
      access_token_enc: grant.access_token_enc,
      access_expires_at: grant.access_expires_at,
      // A platform that does not rotate the refresh token answers none: the old one stays.
      ...(grant.refresh_token_enc
        ? { refresh_token_enc: grant.refresh_token_enc, refresh_expires_at: grant.refresh_expires_at }
        : {}),
      ...(grant.scopes ? { scopes: grant.scopes } : {}),
      last_refreshed_at: sql`now()`,
      refresh_failures: 0,
      last_refresh_error: null,
    })
    .where('id', '=', id)
    .execute();

/** A transient refresh failure: counted, the tokens untouched. */
export const countRefreshFailure = (db: Executor, id: string, error: string) =>
  db
    .updateTable('platform_connections')
    .set((eb) => ({ refresh_failures: eb('refresh_failures', '+', 1), last_refresh_error: error }))
    .where('id', '=', id)
    .returning('refresh_failures')
    .executeTakeFirst();

/** Moves a connection to a status; true only when it changed (so its event is recorded once). */
export async function setConnectionStatus(
  db: Executor,
  id: string,
  status: string,
  reason: string | null,
): Promise<boolean> {
  const result = await db
    .updateTable('platform_connections')
    .set({ status, status_reason: reason, status_changed_at: sql`now()`, last_refresh_error: reason })
    .where('id', '=', id)
    .where('status', '<>', status)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export const touchConnection = (db: Executor, id: string, postingNote?: string | null) =>
  db
    .updateTable('platform_connections')
    .set({ last_call_at: sql`now()`, ...(postingNote === undefined ? {} : { posting_note: postingNote }) })
    .where('id', '=', id)
    .execute();

export const insertState = (
  db: Executor,
  row: {
    state_hash: Buffer;
    account_id: string;
    platform: string;
    started_by: string;
    user_id: string | null;
    code_verifier_enc: Buffer | null;
    expires_at: Date;
  },
) => db.insertInto('oauth_states').values(row).execute();

/** Takes a state for its callback: only once, only before it expires. */
export const takeState = (db: Executor, hash: Buffer) =>
  db
    .updateTable('oauth_states')
    .set({ used_at: sql`now()`, outcome: 'failed', outcome_message: 'the exchange did not finish' })
    .where('state_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['account_id', 'platform', 'started_by', 'user_id', 'code_verifier_enc'])
    .executeTakeFirst();

export const settleState = (db: Executor, hash: Buffer, outcome: 'connected' | 'failed', message: string) =>
  db
    .updateTable('oauth_states')
    .set({ outcome, outcome_message: message })
    .where('state_hash', '=', hash)
    .execute();

export const findState = (db: Executor, hash: Buffer) =>
  db
    .selectFrom('oauth_states')
    .select(['account_id', 'started_by', 'user_id', 'expires_at', 'used_at', 'outcome', 'outcome_message'])
    .where('state_hash', '=', hash)
    .executeTakeFirst();

export const deleteOldStates = (db: Executor, before: Date) =>
  db.deleteFrom('oauth_states').where('expires_at', '<', before).execute();
