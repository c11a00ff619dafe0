// Dashboard sessions, kept in the database: the cookie carries 32 random bytes, the row their SHA-256. Any
// sovi process on the database can check a session, and one that restarts keeps them: no per-process secret
// takes part. The CSRF token is derived from the cookie's secret (an HMAC of it), so it too is the same in
// every process, differs per session, and cannot be computed by a page that cannot read the HttpOnly cookie.
// The API keeps the sessions it has looked up (src/auth/auth-cache.ts) until they change.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/pool.ts';
import type { Executor } from '../db/executor.ts';
import type { SessionEndReason } from '../users/users-model.ts';
import { forgetCachedAuth, sessionName, type AuthCache } from './auth-cache.ts';
import { roles, type Role } from './roles.ts';
import {
  deleteOldSessions,
  endSessionRows,
  insertSession,
  selectLiveIds,
  selectLiveSession,
  touchSession,
  type SessionLookupRow,
} from './sessions-repository.ts';

const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

export interface Session {
  id: string;
  expiresAt: Date;
  /** The signed-in user (for a token session, the token's owner; null for an ownerless token). */
  user: { id: string; name: string; role: Role; disabled: boolean; nicheIds: string[] | null } | null;
  /** Set when the session was signed in with an API token. */
  tokenId: string | null;
}

export async function startSession(
  db: Executor,
  input: {
    userId: string | null;
    tokenId: string | null;
    ttlMs: number;
    address: string | null;
    userAgent: string | null;
  },
): Promise<{ secret: string; id: string; expiresAt: Date }> {
  const secret = randomBytes(32).toString('base64url');
  const row = await insertSession(db, {
    secret_hash: hashSecret(secret),
    user_id: input.userId,
    token_id: input.tokenId,
    expires_at: new Date(Date.now() + input.ttlMs),
    address: input.address?.slice(0, 100) ?? null,
    user_agent: input.userAgent?.slice(0, 300) ?? null,
  });
  return { secret, id: row.id, expiresAt: row.expires_at };
}

/**
 * The live session a cookie's secret belongs to, or undefined (malformed, unknown, ended or expired). With a
 * cache (the API's), a session looked up before is not looked up again until it, its user or its token
 * changes; whether it has expired is decided here on every call all the same.
 */
export async function sessionBySecret(
  db: Executor,
  secret: string,
  cache?: AuthCache,
): Promise<Session | undefined> {
  if (!SECRET_SHAPE.test(secret)) return undefined;
  const hash = hashSecret(secret);
  const read = () => selectLiveSession(db, hash);
  const row = cache ? await cache.session(hash, read) : await read();
  if (!row || row.expires_at.getTime() <= Date.now()) return undefined;
  await noteSeen(db, row);
  const role = roles.find((r) => r === row.user_role);
  return {
    id: row.id,
    expiresAt: row.expires_at,
    user:
      row.user_id && row.user_name && role
        ? {
            id: row.user_id,
            name: row.user_name,
            role,
            disabled: row.user_disabled_at !== null,
            nicheIds: row.niche_ids,
          }
        : null,
    tokenId: row.token_id,
  };
}

/**
 * last_seen_at is kept to the minute: a busy dashboard would otherwise write on every read. The row is marked
 * before the write: a kept row is every request's of this process (and no notification says it was touched),
 * so the mark is what spares the next requests, the ones already on their way included, the same write.
 */
async function noteSeen(db: Executor, row: SessionLookupRow): Promise<void> {
  if (Date.now() - row.last_seen_at.getTime() <= 60_000) return;
  row.last_seen_at = new Date();
  await touchSession(db, row.id);
}

/** The CSRF token of the session this cookie secret opens. */
export const csrfTokenFor = (secret: string): string =>
  createHmac('sha256', secret).update('sovi csrf').digest('base64url');

/** Whether `given` is the CSRF token of the session `secret` opens, compared in constant time. */
export function csrfMatches(secret: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(csrfTokenFor(secret));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Ends the session this cookie secret opens (sign-out); false when there was none live. Not in a
 * transaction: this process's caches forget the session once it is written.
 */
export async function endSessionBySecret(db: Db, secret: string): Promise<boolean> {
  if (!SECRET_SHAPE.test(secret)) return false;
  const ended = await endSessionRows(db, { hash: hashSecret(secret) }, 'signed_out');
  for (const id of ended) forgetCachedAuth(sessionName(id));
  return ended.length > 0;
}

/**
 * Ends every live session of a user (disabled, or a new password), but `exceptId` (the one that changed it).
 * In the caller's transaction: the caller forgets cached sessions once it commits (forgetCachedAuth()).
 */
export async function endUserSessions(
  db: Executor,
  userId: string,
  reason: Extract<SessionEndReason, 'user_disabled' | 'password_changed'>,
  exceptId?: string,
): Promise<number> {
  return (await endSessionRows(db, { userId, ...(exceptId ? { exceptId } : {}) }, reason)).length;
}

/** In the caller's transaction: the caller forgets the token (and so its sessions) once it commits. */
export async function endTokenSessions(db: Executor, tokenId: string): Promise<number> {
  return (await endSessionRows(db, { tokenId }, 'token_revoked')).length;
}

/** Of these sessions and bearer tokens, the ids still good (one query; see selectLiveIds). */
export async function stillLive(
  db: Executor,
  sessionIds: readonly string[],
  tokenIds: readonly string[],
): Promise<Set<string>> {
  if (sessionIds.length === 0 && tokenIds.length === 0) return new Set();
  return new Set(await selectLiveIds(db, sessionIds, tokenIds));
}

/** How long ended and expired sessions are kept (who was signed in, from where) before the daily job deletes them. */
export const SESSION_HISTORY_DAYS = 30;

/** Deletes (with dryRun, counts) sessions that ended or expired over SESSION_HISTORY_DAYS ago. */
export const pruneSessions = (db: Executor, dryRun = false): Promise<number> =>
  deleteOldSessions(db, SESSION_HISTORY_DAYS * 86_400, dryRun);
