// SQL for API tokens. Executor first, explicit columns; the hash is written and matched, never read back.
import { sql, type Selectable } from 'kysely';
import type { ApiTokens } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';

export type TokenRow = Omit<Selectable<ApiTokens>, 'token_hash'>;

const columns = ['id', 'name', 'read_only', 'created_at', 'last_used_at', 'revoked_at'] as const;

export async function insertToken(
  db: Executor,
  values: { name: string; token_hash: Buffer; read_only: boolean },
): Promise<TokenRow> {
  return db.insertInto('api_tokens').values(values).returning(columns).executeTakeFirstOrThrow();
}

/** Served by the UNIQUE index on token_hash. */
export async function selectLiveTokenByHash(db: Executor, hash: Buffer): Promise<TokenRow | undefined> {
  return db
    .selectFrom('api_tokens')
    .select(columns)
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function selectTokenById(db: Executor, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').select(columns).where('id', '=', id).executeTakeFirst();
}

/** Tokens with this name: the live one (at most one, by api_tokens_live_name_key) first, then revoked ones. */
export async function selectTokensByName(db: Executor, name: string): Promise<TokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .select(columns)
    .where(sql<boolean>`lower(name) = lower(${name})`)
    .orderBy(sql`revoked_at IS NOT NULL`)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function selectTokens(db: Executor, options: { includeRevoked: boolean }): Promise<TokenRow[]> {
  let query = db.selectFrom('api_tokens').select(columns);
  if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
  return query.orderBy('created_at').orderBy('id').execute();
}

/** Revokes a live token; undefined when it was revoked already (or is gone). */
export async function revokeTokenRow(db: Executor, id: string): Promise<TokenRow | undefined> {
  return db
    .updateTable('api_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning(columns)
    .executeTakeFirst();
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
