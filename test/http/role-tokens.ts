// A signed-in user of each role, for tests that walk the roles: the session cookie and CSRF token a
// dashboard would hold, so the walk goes through sign-in, the session lookup and the CSRF check as well.
import { roles, type Role } from '../../src/auth/roles.ts';
import { addUser } from '../../src/users/users-service.ts';
import type { TestDatabase } from '../helpers/database.ts';
import type { TestApp } from './helpers.ts';

export interface SignedIn {
  name: string;
  userId: string;
  password: string;
  /** cookie and x-csrf-token. */
  headers: Record<string, string>;
}

let n = 0;

/** A new user of this role, signed in through POST /api/v1/session. */
export async function signedInUser(t: TestDatabase, api: TestApp, role: Role): Promise<SignedIn> {
  const name = `${role}-${process.pid}-${++n}`;
  const password = `a long password for ${name}`;
  const user = await addUser(t.db, { name, role, password }, 'test');
  const response = await api.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { name, password },
  });
  if (response.statusCode !== 201)
    throw new Error(`sign-in as ${name}: ${response.statusCode} ${response.body}`);
  const cookie = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const { csrfToken } = response.json<{ csrfToken: string }>();
  return { name, userId: user.id, password, headers: { cookie, 'x-csrf-token': csrfToken } };
}

export async function signedInUsers(t: TestDatabase, api: TestApp): Promise<Record<Role, SignedIn>> {
  const users = {} as Record<Role, SignedIn>;
  for (const role of roles) users[role] = await signedInUser(t, api, role);
  return users;
}
