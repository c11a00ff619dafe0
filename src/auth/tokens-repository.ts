// SQL for API tokens. Executor first, explicit columns; the hash is written and matched, never read back.
import { sql, type Selectable } from 'kysely';
import type { ApiTokens } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';
import { updatedAny } from '../db/updated.ts';

/** A token with its owner's name, role and state (null for tokens made before tokens had owners). */
export type TokenRow = Omit<Selectable<ApiTokens>, 'token_hash'> & {
  owner_name: string | null;
  owner_role: string | null;
  owner_disabled_at: Date | null;
  owner_niche_ids: string[] | null;
};

/** The token (every column but its hash) joined to its owner: one query serves a bearer request. */
const selectTokenRows = (db: Executor) =>
  db
    .selectFrom('api_tokens as t')
    .leftJoin('users as u', 'u.id', 't.user_id')
    .select([
      't.id',
      't.name',
      't.read_only',
      't.role',
      't.user_id',
      't.expires_at',
      't.created_at',
      't.last_used_at',
      't.revoked_at',
      'u.name as owner_name',
      'u.role as owner_role',
      'u.disabled_at as owner_disabled_at',
      sql<string[] | null>`(SELECT array_agg(un.niche_id) FROM user_niches un WHERE un.user_id = u.id)`.as(
        'owner_niche_ids',
      ),
    ]);

export async function insertToken(
  db: Executor,
  values: { name: string; token_hash: Buffer; role: string; user_id: string | null; expires_at: Date | null },
): Promise<string> {
  const row = await db.insertInto('api_tokens').values(values).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Served by the UNIQUE index on token_hash. Expired tokens are returned, so that the 401 can say so. */
export async function selectLiveTokenByHash(db: Executor, hash: Buffer): Promise<TokenRow | undefined> {
  return selectTokenRows(db)
    .where('t.token_hash', '=', hash)
    .where('t.revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function selectTokenById(db: Executor, id: string): Promise<TokenRow | undefined> {
  return selectTokenRows(db).where('t.id', '=', id).executeTakeFirst();
}

/** Tokens with this name: the live one (at most one, by api_tokens_live_name_key) first, then revoked ones. */
export async function selectTokensByName(db: Executor, name: string): Promise<TokenRow[]> {
  return selectTokenRows(db)
    .where(sql<boolean>`lower(t.name) = lower(${name})`)
    .orderBy(sql`t.revoked_at IS NOT NULL`)
    .orderBy('t.created_at', 'desc')
    .execute();
}

export async function selectTokens(
  db: Executor,
  options: { includeRevoked: boolean; userId?: string },
): Promise<TokenRow[]> {
  let query = selectTokenRows(db);
  if (!options.includeRevoked) query = query.where('t.revoked_at', 'is', null);
  if (options.userId !== undefined) query = query.where('t.user_id', '=', options.userId);
  return query.orderBy('t.created_at').orderBy('t.id').execute();
}

/** Revokes a live token; false when it was revoked already (or is gone). */
export async function revokeTokenRow(db: Executor, id: string): Promise<boolean> {
  return updatedAny(
    db
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('revoked_at', 'is', null),
  );
}

/**
 * Records that a token was used, at most once a minute per token: a busy client would otherwise turn every
 * read into a write of the same row.
 */
export async function touchToken(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`),
      ]),
    )
    .execute();
}
