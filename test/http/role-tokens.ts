// A bearer secret for each role, for tests that walk the roles.
import type { Role } from '../../src/auth/roles.ts';
import type { TestDatabase } from '../helpers/database.ts';
import type { TestApp } from './helpers.ts';

export async function roleSecrets(_t: TestDatabase, api: TestApp): Promise<Partial<Record<Role, string>>> {
  // Tokens without an owner: a read-only one is a viewer, a read-write one may do everything.
  return { viewer: api.reader.secret, admin: api.admin.secret };
}
