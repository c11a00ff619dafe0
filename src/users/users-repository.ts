// SQL for users, their niche limits and their failed sign-ins (migrations/019_users_sessions.sql). Explicit
// columns; the password hash is read only by selectPasswordHash, for the one check that needs it.
import { sql, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../db/executor.ts';
import type { Users } from '../db/types.generated.ts';

export type UserRow = Omit<Selectable<Users>, 'password_hash'>;

const columns = [
  'id',
  'name',
  'role',
  'disabled_at',
  'created_at',
  'updated_at',
  'password_changed_at',
  'last_sign_in_at',
] as const;

export async function insertUser(
  db: Executor,
  values: { name: string; password_hash: string; role: string },
): Promise<UserRow> {
  return db.insertInto('users').values(values).returning(columns).executeTakeFirstOrThrow();
}

export async function selectUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
}

/** Served by users_name_key (lower(name)). */
export async function selectUserByName(db: Executor, name: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .select(columns)
    .where(sql<boolean>`lower(name) = lower(${name})`)
    .executeTakeFirst();
}

export async function selectUsers(db: Executor): Promise<UserRow[]> {
  return db
    .selectFrom('users')
    .select(columns)
    .orderBy(sql`lower(name)`)
    .execute();
}

export async function countUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function selectPasswordHash(db: Executor, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
  return row?.password_hash;
}

export async function updateUserRow(
  db: Executor,
  id: string,
  patch: Omit<Updateable<Users>, 'id' | 'created_at' | 'updated_at'>,
): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(columns)
    .executeTakeFirst();
}

export async function touchSignIn(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ last_sign_in_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

/** The niches each of these users is limited to (users with none are absent). */
export async function selectUserNiches(
  db: Executor,
  userIds: readonly string[],
): Promise<{ user_id: string; id: string; slug: string; name: string }[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('user_niches as un')
    .innerJoin('niches as n', 'n.id', 'un.niche_id')
    .select(['un.user_id', 'n.id', 'n.slug', 'n.name'])
    .where('un.user_id', 'in', userIds)
    .orderBy('n.slug')
    .execute();
}

/** Replaces a user's niche limits; an empty list means every niche. */
export async function replaceUserNiches(
  db: Executor,
  userId: string,
  nicheIds: readonly string[],
): Promise<void> {
  await db.deleteFrom('user_niches').where('user_id', '=', userId).execute();
  if (nicheIds.length === 0) return;
  await db
    .insertInto('user_niches')
    .values(nicheIds.map((niche_id) => ({ user_id: userId, niche_id })))
    .execute();
}

/** Failed sign-ins for (user, address) in the current window, without counting one. */
export async function countSignInFailures(
  db: Executor,
  userId: string,
  address: string,
  windowSeconds: number,
): Promise<{ failures: number; retryAfterSeconds: number }> {
  const { rows } = await sql<{ failures: number; retryAfterSeconds: number }>`
    SELECT failures AS "failures",
      ceil(extract(epoch FROM window_start + make_interval(secs => ${windowSeconds}) - now()))::int
        AS "retryAfterSeconds"
    FROM sign_in_failures
    WHERE user_id = ${userId} AND address = ${address}
      AND window_start > now() - make_interval(secs => ${windowSeconds})`.execute(db);
  return rows[0] ?? { failures: 0, retryAfterSeconds: 0 };
}

/** Counts a failed sign-in for (user, address), starting a new window when the last one is over. */
export async function incrementSignInFailures(
  db: Executor,
  userId: string,
  address: string,
  windowSeconds: number,
): Promise<void> {
  await sql`
    INSERT INTO sign_in_failures AS f (user_id, address, window_start, failures)
    VALUES (${userId}, ${address}, now(), 1)
    ON CONFLICT (user_id, address) DO UPDATE SET
      failures = CASE WHEN f.window_start > now() - make_interval(secs => ${windowSeconds})
                      THEN f.failures + 1 ELSE 1 END,
      window_start = CASE WHEN f.window_start > now() - make_interval(secs => ${windowSeconds})
                          THEN f.window_start ELSE now() END`.execute(db);
}

/** A successful sign-in clears its (user, address) counter, and old windows of anyone's go. */
export async function clearSignInFailures(
  db: Executor,
  userId: string,
  address: string,
  olderThanSeconds: number,
): Promise<void> {
  await db
    .deleteFrom('sign_in_failures')
    .where((eb) =>
      eb.or([
        eb.and([eb('user_id', '=', userId), eb('address', '=', address)]),
        eb('window_start', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`),
      ]),
    )
    .execute();
}
