// SQL for dashboard sessions (migrations/019_users_sessions.sql). A session is found by the SHA-256 of the
// cookie's secret, in one query joined to its user and token, so that whether it still counts is decided on
// every request from the rows as they are now.
import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';

export interface SessionLookupRow {
  id: string;
  expires_at: Date;
  last_seen_at: Date;
  user_id: string | null;
  user_name: string | null;
  user_role: string | null;
  user_disabled_at: Date | null;
  niche_ids: string[] | null;
  token_id: string | null;
}

export async function insertSession(
  db: Executor,
  values: {
    secret_hash: Buffer;
    user_id: string | null;
    token_id: string | null;
    expires_at: Date;
    address: string | null;
    user_agent: string | null;
  },
): Promise<{ id: string; expires_at: Date }> {
  return db.insertInto('sessions').values(values).returning(['id', 'expires_at']).executeTakeFirstOrThrow();
}

/** A live, unexpired session by its secret's hash (served by the UNIQUE index on secret_hash). */
export async function selectLiveSession(db: Executor, hash: Buffer): Promise<SessionLookupRow | undefined> {
  const { rows } = await sql<SessionLookupRow>`
    SELECT s.id, s.expires_at, s.last_seen_at,
      u.id AS user_id, u.name AS user_name, u.role AS user_role, u.disabled_at AS user_disabled_at,
      (SELECT array_agg(un.niche_id) FROM user_niches un WHERE un.user_id = u.id) AS niche_ids,
      s.token_id
    FROM sessions s LEFT JOIN users u ON u.id = s.user_id
    WHERE s.secret_hash = ${hash} AND s.ended_at IS NULL AND s.expires_at > now()`.execute(db);
  return rows[0];
}

/** Seen at most once a minute per session: a busy dashboard would otherwise write on every read. */
export async function touchSession(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('last_seen_at', '<', sql<Date>`now() - interval '1 minute'`)
    .execute();
}

/** Ends the live sessions matching `where`; the ids of those it ended. */
export async function endSessionRows(
  db: Executor,
  where: { hash?: Buffer; userId?: string; tokenId?: string; exceptId?: string },
  reason: string,
): Promise<string[]> {
  let query = db
    .updateTable('sessions')
    .set({ ended_at: sql<Date>`now()`, ended_reason: reason })
    .where('ended_at', 'is', null);
  if (where.hash) query = query.where('secret_hash', '=', where.hash);
  if (where.userId) query = query.where('user_id', '=', where.userId);
  if (where.tokenId) query = query.where('token_id', '=', where.tokenId);
  if (where.exceptId) query = query.where('id', '!=', where.exceptId);
  return (await query.returning('id').execute()).map((r) => r.id);
}

/**
 * Of these sessions and bearer tokens, the ids still good: one query for every open event stream at once.
 * A session is good while not ended, not expired, its user not disabled and its token (if any) live; a
 * token while not revoked, not expired and its owner (if any) not disabled.
 */
export async function selectLiveIds(
  db: Executor,
  sessionIds: readonly string[],
  tokenIds: readonly string[],
): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT s.id FROM sessions s
      LEFT JOIN users u ON u.id = s.user_id
      LEFT JOIN api_tokens t ON t.id = s.token_id
    WHERE s.id = ANY(${sessionIds}::uuid[]) AND s.ended_at IS NULL AND s.expires_at > now()
      AND u.disabled_at IS NULL
      AND (s.token_id IS NULL OR (t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())))
    UNION ALL
    SELECT t.id FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
    WHERE t.id = ANY(${tokenIds}::uuid[]) AND t.revoked_at IS NULL
      AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.disabled_at IS NULL`.execute(db);
  return rows.map((r) => r.id);
}

/** Deletes sessions that ended or expired more than `olderThanSeconds` ago. */
/** Sessions that ended or expired over `olderThanSeconds` ago: deleted, or with `dryRun` only counted. */
export async function deleteOldSessions(
  db: Executor,
  olderThanSeconds: number,
  dryRun = false,
): Promise<number> {
  const old = (eb: ExpressionBuilder<DB, 'sessions'>) => {
    const cutoff = sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`;
    return eb.or([eb('expires_at', '<', cutoff), eb('ended_at', '<', cutoff)]);
  };
  if (dryRun) {
    const row = await db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where(old)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
  const result = await db.deleteFrom('sessions').where(old).executeTakeFirst();
  return Number(result.numDeletedRows);
}
