// People: adding them, their role and niche limits, disabling them, their passwords, and checking a sign-in.
// Disabling a user or setting their password ends their sessions in the same transaction, so the change and
// its effect cannot be seen apart.
import { forgetCachedAuth } from '../auth/auth-cache.ts';
import { endUserSessions } from '../auth/sessions-service.ts';
import { roles, type Role } from '../auth/roles.ts';
import type { Executor } from '../db/executor.ts';
import type { Db } from '../db/pool.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { SoviError, invalidInput, oneOf } from '../errors.ts';
import type { NewEvent } from '../events/event-model.ts';
import { recordEvent } from '../events/events-service.ts';
import { isUuid } from '../ids.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { checkPasswordRules, decoyHash, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { USER_NAME, type NicheRef, type User } from './users-model.ts';
import {
  clearSignInFailures,
  countSignInFailures,
  countUsers,
  incrementSignInFailures,
  insertUser,
  replaceUserNiches,
  selectPasswordHash,
  selectUserById,
  selectUserByName,
  selectUserNiches,
  selectUsers,
  touchSignIn,
  updateUserRow,
  type UserRow,
} from './users-repository.ts';

/**
 * Failed sign-ins one address may make for one user before that pair waits out the window. Counted per
 * (user, address), so someone hammering a name from elsewhere never locks its owner out; the API's
 * per-address budget (SOVI_AUTH_FAILURES_PER_MINUTE) bounds how many names one address may try.
 */
export const SIGN_IN_FAILURES_PER_USER = 10;
const SIGN_IN_WINDOW_SECONDS = 15 * 60;

export { countUsers };

async function toUsers(db: Executor, rows: UserRow[]): Promise<User[]> {
  const niches = new Map<string, NicheRef[]>();
  for (const n of await selectUserNiches(
    db,
    rows.map((r) => r.id),
  )) {
    const list = niches.get(n.user_id) ?? [];
    list.push({ id: n.id, slug: n.slug, name: n.name });
    niches.set(n.user_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    role: parseRole(r.role),
    niches: niches.get(r.id) ?? null,
    disabledAt: r.disabled_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    passwordChangedAt: r.password_changed_at,
    lastSignInAt: r.last_sign_in_at,
  }));
}

const toUser = async (db: Executor, row: UserRow): Promise<User> => (await toUsers(db, [row]))[0]!;

export function parseRole(value: string, field = 'role'): Role {
  return oneOf(roles, value, field);
}

function validateName(name: string, field = 'name'): string {
  if (!USER_NAME.test(name)) {
    throw invalidInput(
      field,
      `${field}: expected 1–100 letters, digits or . _ @ -, got ${JSON.stringify(name.slice(0, 120))}`,
    );
  }
  return name;
}

const nameTaken = (name: string) =>
  new SoviError('conflict', `a user named "${name}" exists already (names ignore case)`, { field: 'name' });

/** A user by id or name (case-insensitive); `field` names the argument in the error when there is none. */
export async function findUser(db: Executor, ref: string, field = 'user'): Promise<User> {
  const row =
    (isUuid(ref) ? await selectUserById(db, ref.toLowerCase()) : undefined) ??
    (await selectUserByName(db, ref));
  if (!row) throw new SoviError('not_found', `${field}: no user "${ref}" (sovi users list)`, { field });
  return toUser(db, row);
}

export async function listUsers(db: Executor): Promise<User[]> {
  return toUsers(db, await selectUsers(db));
}

async function nicheIds(db: Executor, refs: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) ids.push(await resolveNiche(db, ref, 'niche'));
  return [...new Set(ids)];
}

export interface NewUser {
  name: string;
  role: Role;
  password: string;
  /** Niche slugs or ids the user is limited to; none or empty: every niche. */
  niches?: readonly string[];
}

export async function addUser(db: Db, input: NewUser, actor: string): Promise<User> {
  const name = validateName(input.name);
  const role = parseRole(input.role);
  const hash = await hashPassword(checkPasswordRules(input.password));
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await insertUser(trx, { name, role, password_hash: hash });
      await replaceUserNiches(trx, row.id, await nicheIds(trx, input.niches ?? []));
      const user = await toUser(trx, row);
      await recordEvent(trx, {
        category: 'auth',
        severity: 'info',
        eventType: 'user_added',
        message: `user "${name}" (${role}) added by ${actor}`,
        context: { actor, id: user.id, name, role, niches: user.niches?.map((n) => n.slug) ?? null },
      });
      return user;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(name);
    throw err;
  }
}

export interface UserPatch {
  name?: string;
  role?: Role;
  /** Niche slugs or ids; null: every niche. */
  niches?: readonly string[] | null;
}

/** Keeps at least one enabled admin: without one, nobody could manage users from the API again. */
async function keepAnAdmin(db: Executor, user: User, what: string): Promise<void> {
  if (user.role !== 'admin' || user.disabledAt) return;
  const others = (await selectUsers(db)).filter(
    (u) => u.id !== user.id && u.role === 'admin' && u.disabled_at === null,
  );
  if (others.length === 0) {
    throw new SoviError('conflict', `${user.name} is the last enabled admin: ${what} would leave none`, {
      field: 'user',
    });
  }
}

export async function updateUser(db: Db, ref: string, patch: UserPatch, actor: string): Promise<User> {
  try {
    const updated = await db.transaction().execute(async (trx) => {
      const user = await findUser(trx, ref);
      const name = patch.name === undefined ? undefined : validateName(patch.name);
      const role = patch.role === undefined ? undefined : parseRole(patch.role);
      if (role !== undefined && role !== 'admin') await keepAnAdmin(trx, user, `making them ${role}`);
      await updateUserRow(trx, user.id, {
        ...(name === undefined ? {} : { name }),
        ...(role === undefined ? {} : { role }),
      });
      if (patch.niches !== undefined) {
        await replaceUserNiches(trx, user.id, await nicheIds(trx, patch.niches ?? []));
      }
      const updated = await findUser(trx, user.id);
      const changed = Object.keys(patch).filter((k) => patch[k as keyof UserPatch] !== undefined);
      await recordEvent(trx, {
        category: 'auth',
        severity: 'info',
        eventType: 'user_updated',
        message: `user "${updated.name}" updated by ${actor}: ${changed.join(', ') || 'nothing'}`,
        context: {
          actor,
          id: user.id,
          before: { name: user.name, role: user.role, niches: user.niches?.map((n) => n.slug) ?? null },
          after: {
            name: updated.name,
            role: updated.role,
            niches: updated.niches?.map((n) => n.slug) ?? null,
          },
        },
      });
      return updated;
    });
    // Their tokens and sessions act with their name, role and niches: this process's caches forget them now.
    forgetCachedAuth();
    return updated;
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(patch.name ?? '');
    throw err;
  }
}

/** The auth event (at info) that records a change to a user. */
type UserEvent = Pick<NewEvent, 'eventType' | 'message' | 'context'>;

/**
 * Changes one user in a transaction: `change` makes the change and returns its event, or undefined when
 * there was nothing to change. Their tokens and sessions act with their state, and a change may end
 * sessions: this process's caches forget them once it commits.
 */
async function changeUser(
  db: Db,
  ref: string,
  change: (trx: Executor, user: User) => Promise<UserEvent | undefined>,
): Promise<User> {
  const changed = await db.transaction().execute(async (trx) => {
    const user = await findUser(trx, ref);
    const event = await change(trx, user);
    if (!event) return user;
    await recordEvent(trx, { category: 'auth', severity: 'info', ...event });
    return findUser(trx, user.id);
  });
  forgetCachedAuth();
  return changed;
}

const sessionsEnded = (n: number) => `${n} session${n === 1 ? '' : 's'} ended`;

/** Disables a user: their sessions end now, their tokens stop working, and they cannot sign in. */
export async function disableUser(db: Db, ref: string, actor: string): Promise<User> {
  return changeUser(db, ref, async (trx, user) => {
    if (user.disabledAt) return undefined;
    await keepAnAdmin(trx, user, 'disabling them');
    await updateUserRow(trx, user.id, { disabled_at: new Date() });
    const ended = await endUserSessions(trx, user.id, 'user_disabled');
    return {
      eventType: 'user_disabled',
      message: `user "${user.name}" disabled by ${actor} (${sessionsEnded(ended)})`,
      context: { actor, id: user.id, name: user.name, sessionsEnded: ended },
    };
  });
}

export async function enableUser(db: Db, ref: string, actor: string): Promise<User> {
  return changeUser(db, ref, async (trx, user) => {
    if (!user.disabledAt) return undefined;
    await updateUserRow(trx, user.id, { disabled_at: null });
    return {
      eventType: 'user_enabled',
      message: `user "${user.name}" enabled by ${actor}`,
      context: { actor, id: user.id, name: user.name },
    };
  });
}

/**
 * Sets a user's password (an admin's reset, or their own change) and ends their sessions, but
 * `keepSessionId`: the session that changed its own password stays signed in.
 */
export async function setPassword(
  db: Db,
  ref: string,
  password: string,
  actor: string,
  options: { keepSessionId?: string } = {},
): Promise<User> {
  const hash = await hashPassword(checkPasswordRules(password));
  return changeUser(db, ref, async (trx, user) => {
    await updateUserRow(trx, user.id, { password_hash: hash, password_changed_at: new Date() });
    const ended = await endUserSessions(trx, user.id, 'password_changed', options.keepSessionId);
    return {
      eventType: 'user_password_changed',
      // The password itself never reaches an event: only that it changed.
      message: `password of user "${user.name}" changed by ${actor} (${sessionsEnded(ended)})`,
      context: { actor, id: user.id, name: user.name, password: 'changed', sessionsEnded: ended },
    };
  });
}

/** One's own password: the current one is checked first (a borrowed session cannot take the account). */
export async function changeOwnPassword(
  db: Db,
  userId: string,
  input: { current: string; next: string },
  actor: string,
  keepSessionId?: string,
): Promise<User> {
  const hash = await selectPasswordHash(db, userId);
  if (hash === undefined || !(await verifyPassword(input.current, hash))) {
    throw new SoviError('forbidden', 'current: the current password is wrong', { field: 'current' });
  }
  return setPassword(db, userId, input.next, actor, keepSessionId ? { keepSessionId } : {});
}

export type SignInVerdict =
  | { ok: true; user: User }
  | { ok: false; limited: false; message: string }
  | { ok: false; limited: true; retryAfterSeconds: number };

/** The same words for an unknown name and a wrong password: a failed sign-in does not say which names exist. */
export const WRONG_CREDENTIALS = 'wrong name or password';

/**
 * Checks a name and password from `address`. An unknown name costs the same scrypt work as a wrong
 * password. Too many failures for this (user, address) pair refuse further tries from it, without checking
 * the password, until the window ends; other addresses are unaffected.
 */
export async function verifySignIn(
  db: Executor,
  input: { name: string; password: string; address: string },
): Promise<SignInVerdict> {
  const address = input.address.slice(0, 100);
  const row = USER_NAME.test(input.name) ? await selectUserByName(db, input.name) : undefined;
  if (row) {
    const count = await countSignInFailures(db, row.id, address, SIGN_IN_WINDOW_SECONDS);
    if (count.failures >= SIGN_IN_FAILURES_PER_USER) {
      return { ok: false, limited: true, retryAfterSeconds: Math.max(1, count.retryAfterSeconds) };
    }
  }
  const hash = row ? await selectPasswordHash(db, row.id) : undefined;
  const matches = await verifyPassword(input.password, hash ?? (await decoyHash()));
  if (!row || hash === undefined || !matches) {
    if (row) await incrementSignInFailures(db, row.id, address, SIGN_IN_WINDOW_SECONDS);
    return { ok: false, limited: false, message: WRONG_CREDENTIALS };
  }
  if (row.disabled_at) {
    return { ok: false, limited: false, message: `user ${row.name} is disabled: ask an admin to enable it` };
  }
  await clearSignInFailures(db, row.id, address, SIGN_IN_WINDOW_SECONDS);
  await touchSignIn(db, row.id);
  // Hashes made with weaker parameters are upgraded while the password is at hand.
  if (needsRehash(hash))
    await updateUserRow(db, row.id, { password_hash: await hashPassword(input.password) });
  return { ok: true, user: await toUser(db, row) };
}
