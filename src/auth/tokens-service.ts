// API tokens: created with a secret shown once, stored as its SHA-256, looked up by that hash on every
// request, and revoked (never deleted) so that who had access stays on record.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/pool.ts';
import { SoviError, invalidInput, notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import { isUuid } from '../ids.ts';
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

export interface ApiToken {
  id: string;
  name: string;
  /** A read-only token may read everything an API token can, and change nothing. */
  readOnly: boolean;
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

const toToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  name: row.name,
  readOnly: row.read_only,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

export function validateTokenName(name: string, field = 'name'): string {
  if (!NAME.test(name)) {
    throw invalidInput(
      field,
      `${field}: expected 1–100 letters, digits or . _ @ -, got ${JSON.stringify(name.slice(0, 120))}`,
    );
  }
  return name;
}

const access = (token: ApiToken) => (token.readOnly ? 'read-only' : 'read-write');

/**
 * Creates a token. The secret is returned here and nowhere else: only its hash is stored. Creating and
 * revoking tokens are `auth` events naming the token and who acted.
 */
export async function createToken(
  db: Db,
  input: { name: string; readOnly?: boolean },
  actor: string,
): Promise<{ token: ApiToken; secret: string }> {
  const name = validateTokenName(input.name);
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  try {
    const token = await db.transaction().execute(async (trx) => {
      const created = toToken(
        await insertToken(trx, { name, token_hash: hashToken(secret), read_only: input.readOnly ?? false }),
      );
      await recordEvent(trx, {
        category: 'auth',
        severity: 'info',
        eventType: 'api_token_created',
        message: `${access(created)} API token "${name}" created by ${actor}`,
        context: { actor, name, id: created.id, readOnly: created.readOnly },
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
        {
          field: 'name',
        },
      );
    }
    throw err;
  }
}

export async function listTokens(db: Executor, options: { all?: boolean } = {}): Promise<ApiToken[]> {
  return (await selectTokens(db, { includeRevoked: options.all === true })).map(toToken);
}

/** A token by id, or the live token with this name (else the newest revoked one). */
export async function findToken(db: Executor, ref: string): Promise<ApiToken> {
  const byId = isUuid(ref) ? await selectTokenById(db, ref.toLowerCase()) : undefined;
  const row = byId ?? (await selectTokensByName(db, ref))[0];
  if (!row) throw notFound('token', `"${ref}"`);
  return toToken(row);
}

/** Revokes a token (by id or name): its bearer use and its sessions end at once. */
export async function revokeToken(db: Db, ref: string, actor: string): Promise<ApiToken> {
  return db.transaction().execute(async (trx) => {
    const token = await findToken(trx, ref);
    const row = await revokeTokenRow(trx, token.id);
    if (!row) {
      throw new SoviError(
        'conflict',
        `token "${token.name}" was revoked already, at ${token.revokedAt?.toISOString() ?? '?'}`,
        { field: 'token' },
      );
    }
    const revoked = toToken(row);
    await recordEvent(trx, {
      category: 'auth',
      severity: 'info',
      eventType: 'api_token_revoked',
      message: `${access(revoked)} API token "${revoked.name}" revoked by ${actor}`,
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
}

/** The live token a bearer secret belongs to, or undefined (malformed, unknown or revoked). */
export async function authenticateToken(db: Executor, secret: string): Promise<ApiToken | undefined> {
  if (!looksLikeToken(secret)) return undefined;
  const hash = hashToken(secret);
  const row = await selectLiveTokenByHash(db, hash);
  if (!row) return undefined;
  await noteUse(db, row);
  return toToken(row);
}

/** The token of a session, if it is still live: revoking a token ends its sessions. */
export async function liveTokenById(db: Executor, id: string): Promise<ApiToken | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await selectTokenById(db, id);
  if (!row || row.revoked_at !== null) return undefined;
  await noteUse(db, row);
  return toToken(row);
}

/** last_used_at is kept to the minute: most requests need no write at all. */
async function noteUse(db: Executor, row: TokenRow): Promise<void> {
  if (row.last_used_at && Date.now() - row.last_used_at.getTime() < 60_000) return;
  await touchToken(db, row.id);
}
