// API tokens: created with a secret shown once, stored as its SHA-256, looked up by that hash on every
// request, and revoked (never deleted) so that who had access stays on record. A token belongs to a user and
// acts with at most that user's role, narrowed further by its own; it may expire. Tokens made before tokens
// had owners keep the power they had: read-only ones are viewers, the others admins.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/pool.ts';
import { SoviError, invalidInput, notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import { isUuid } from '../ids.ts';
import { lowerRole, roleAtLeast, roles, type Role } from './roles.ts';
import { findUser } from '../users/users-service.ts';
import { endTokenSessions } from './sessions-service.ts';
import { forgetCachedAuth, type AuthCache } from './auth-cache.ts';
import {
  insertToken,
  revokeTokenRow,
  selectLiveTokenByHash,
  selectTokenById,
  selectTokens,
  selectTokensByName,
  touchToken,
  type TokenRow,
} from './tokens-repository.ts';

export interface TokenOwner {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  /** The niches the owner is limited to, or null: every niche. */
  nicheIds: string[] | null;
}

export interface ApiToken {
  id: string;
  name: string;
  /** The token's own role: it acts with at most this, and at most its owner's. */
  role: Role;
  /** The token's role is viewer: it may read, and change nothing. */
  readOnly: boolean;
  /** Null for tokens made before tokens had owners. */
  owner: TokenOwner | null;
  /** What the token may do now: the lower of its role and its owner's. */
  effectiveRole: Role;
  expiresAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Recognisable in logs, pastes and secret scanners; the 32 random bytes are the secret. */
export const TOKEN_PREFIX = 'sovi_';
const TOKEN_SHAPE = /^sovi_[A-Za-z0-9_-]{43}$/;
const NAME = /^[A-Za-z0-9_.@-]{1,100}$/;

export const hashToken = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

export const looksLikeToken = (value: string): boolean => TOKEN_SHAPE.test(value);

const asRole = (value: string | null): Role | undefined => roles.find((r) => r === value);

function toToken(row: TokenRow): ApiToken {
  const role = asRole(row.role) ?? 'viewer';
  const ownerRole = asRole(row.owner_role);
  const owner =
    row.user_id && row.owner_name && ownerRole
      ? {
          id: row.user_id,
          name: row.owner_name,
          role: ownerRole,
          disabled: row.owner_disabled_at !== null,
          nicheIds: row.owner_niche_ids,
        }
      : null;
  return {
    id: row.id,
    name: row.name,
    role,
    readOnly: role === 'viewer',
    owner,
    effectiveRole: owner ? lowerRole(owner.role, role) : role,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export function validateTokenName(name: string, field = 'name'): string {
  if (!NAME.test(name)) {
    throw invalidInput(
      field,
      `${field}: expected 1–100 letters, digits or . _ @ -, got ${JSON.stringify(name.slice(0, 120))}`,
    );
  }
  return name;
}

/** Who acts when a token does, in events and audit: `token:<name>`, and its owner when it has one. */
export const tokenActor = (token: ApiToken): string =>
  token.owner ? `token:${token.name} (user:${token.owner.name})` : `token:${token.name}`;

export interface NewToken {
  name: string;
  /** The owner's id; null only for the CLI's ownerless tokens (the old kind). */
  userId?: string | null;
  /** Narrows the owner's role; defaults to it (or, ownerless, to admin). */
  role?: Role;
  /** Same as role viewer. */
  readOnly?: boolean;
  /** Milliseconds from now; unset: never. */
  expiresInMs?: number;
}

/**
 * Creates a token. The secret is returned here and nowhere else: only its hash is stored. Creating and
 * revoking tokens are `auth` events naming the token and who acted.
 */
export async function createToken(
  db: Db,
  input: NewToken,
  actor: string,
): Promise<{ token: ApiToken; secret: string }> {
  const name = validateTokenName(input.name);
  if (input.readOnly && input.role !== undefined && input.role !== 'viewer') {
    throw invalidInput(
      'role',
      `role: a read-only token is a viewer; got --role ${input.role} with --read-only`,
    );
  }
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  try {
    const token = await db.transaction().execute(async (trx) => {
      const owner = input.userId ? await findUser(trx, input.userId, 'user') : undefined;
      if (owner?.disabledAt) throw invalidInput('user', `user: ${owner.name} is disabled`);
      const role: Role = input.readOnly ? 'viewer' : (input.role ?? owner?.role ?? 'admin');
      if (owner && !roleAtLeast(owner.role, role)) {
        throw invalidInput(
          'role',
          `role: a token acts with at most its user's role; ${owner.name} is ${owner.role}, not ${role}`,
        );
      }
      const id = await insertToken(trx, {
        name,
        token_hash: hashToken(secret),
        role,
        user_id: owner?.id ?? null,
        expires_at: input.expiresInMs === undefined ? null : new Date(Date.now() + input.expiresInMs),
      });
      const created = toToken((await selectTokenById(trx, id))!);
      await recordEvent(trx, {
        category: 'auth',
        severity: 'info',
        eventType: 'api_token_created',
        message: `${created.role} API token "${name}"${owner ? ` of ${owner.name}` : ''} created by ${actor}`,
        context: {
          actor,
          name,
          id: created.id,
          role: created.role,
          readOnly: created.readOnly,
          user: owner?.name ?? null,
          expiresAt: created.expiresAt?.toISOString() ?? null,
        },
      });
      // The token's name and access; its secret is never recorded (only its hash is even stored).
      await recordAudit(trx, {
        actor,
        action: 'token.create',
        targetType: 'token',
        targetId: created.id,
        targetLabel: name,
        changes: diffChanges(
          undefined,
          { name, readOnly: created.readOnly, secret: 'set' },
          { secret: ['secret'] },
        ),
      });
      return created;
    });
    return { token, secret };
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'api_tokens_live_name_key') {
      throw new SoviError(
        'conflict',
        `a live token named "${name}" exists already: revoke it or pick another name`,
        { field: 'name' },
      );
    }
    throw err;
  }
}

export async function listTokens(
  db: Executor,
  options: { all?: boolean; userId?: string } = {},
): Promise<ApiToken[]> {
  return (
    await selectTokens(db, {
      includeRevoked: options.all === true,
      ...(options.userId === undefined ? {} : { userId: options.userId }),
    })
  ).map(toToken);
}

/** A token by id, or the live token with this name (else the newest revoked one). */
export async function findToken(db: Executor, ref: string): Promise<ApiToken> {
  const byId = isUuid(ref) ? await selectTokenById(db, ref.toLowerCase()) : undefined;
  const row = byId ?? (await selectTokensByName(db, ref))[0];
  if (!row) throw notFound('token', `"${ref}"`);
  return toToken(row);
}

/**
 * Revokes a token (by id or name): its bearer use and its sessions end at once. With `ownerId`, only a
 * token of that user (people revoking their own; admins pass none).
 */
export async function revokeToken(
  db: Db,
  ref: string,
  actor: string,
  options: { ownerId?: string } = {},
): Promise<ApiToken> {
  const revoked = await db.transaction().execute(async (trx) => {
    const token = await findToken(trx, ref);
    if (options.ownerId !== undefined && token.owner?.id !== options.ownerId) {
      throw notFound('token', `"${ref}"`);
    }
    if (!(await revokeTokenRow(trx, token.id))) {
      throw new SoviError(
        'conflict',
        `token "${token.name}" was revoked already, at ${token.revokedAt?.toISOString() ?? '?'}`,
        { field: 'token' },
      );
    }
    await endTokenSessions(trx, token.id);
    const revoked = toToken((await selectTokenById(trx, token.id))!);
    await recordEvent(trx, {
      category: 'auth',
      severity: 'info',
      eventType: 'api_token_revoked',
      message: `${revoked.role} API token "${revoked.name}" revoked by ${actor}`,
      context: { actor, name: revoked.name, id: revoked.id },
    });
    await recordAudit(trx, {
      actor,
      action: 'token.revoke',
      targetType: 'token',
      targetId: revoked.id,
      targetLabel: revoked.name,
      changes: diffChanges({ revokedAt: null }, { revokedAt: revoked.revokedAt }),
    });
    return revoked;
  });
  // This process's caches forget it and its sessions now; the others when the trigger's notification reaches
  // them.
  forgetCachedAuth(revoked.id);
  return revoked;
}

export type TokenCheck = { ok: true; token: ApiToken } | { ok: false; reason: string };

/** Why a live token may not act now (expired, owner disabled), or undefined when it may. */
function unusable(token: ApiToken): string | undefined {
  if (token.revokedAt) return `token "${token.name}" was revoked`;
  if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) {
    return `token "${token.name}" expired at ${token.expiresAt.toISOString()}: create a new one`;
  }
  if (token.owner?.disabled) return `token "${token.name}" belongs to a disabled user`;
  return undefined;
}

/**
 * The token a bearer secret belongs to, if it may act: not malformed, unknown, revoked or expired. With a
 * cache (the API's), a token looked up before is not looked up again until it or its owner changes; whether
 * it has expired is decided here on every call all the same.
 */
export async function authenticateToken(
  db: Executor,
  secret: string,
  cache?: AuthCache,
): Promise<TokenCheck> {
  if (!looksLikeToken(secret)) return { ok: false, reason: 'invalid or revoked token' };
  const hash = hashToken(secret);
  const read = () => selectLiveTokenByHash(db, hash);
  const row = cache ? await cache.token(hash, read) : await read();
  if (!row) return { ok: false, reason: 'invalid or revoked token' };
  return use(db, row);
}

/**
 * The token of a session, if it may still act: revoking a token ends its sessions. With a cache, kept as
 * authenticateToken keeps a bearer's.
 */
export async function liveTokenById(
  db: Executor,
  id: string,
  cache?: AuthCache,
): Promise<ApiToken | undefined> {
  if (!isUuid(id)) return undefined;
  const read = () => selectTokenById(db, id);
  const row = cache ? await cache.tokenById(id, read) : await read();
  const check = row && (await use(db, row));
  return check?.ok ? check.token : undefined;
}

/** The token of a row as it may act now, its use noted; or why it may not. */
async function use(db: Executor, row: TokenRow): Promise<TokenCheck> {
  const token = toToken(row);
  const reason = unusable(token);
  if (reason) return { ok: false, reason };
  await noteUse(db, row);
  return { ok: true, token };
}

/**
 * last_used_at is kept to the minute: most requests need no write at all. The touch is noted on the row, which
 * may be the one the cache keeps (no notification announces a touch: migrations/034), so this process writes
 * again a minute later, not on every request. Another process's kept row learns of it only then: its guarded
 * write is then a no-op, and its note as good as the row's to the minute.
 */
async function noteUse(db: Executor, row: TokenRow): Promise<void> {
  if (row.last_used_at && Date.now() - row.last_used_at.getTime() < 60_000) return;
  await touchToken(db, row.id);
  row.last_used_at = new Date();
}
