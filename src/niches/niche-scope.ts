// The niches a caller may see and change. A user can be limited to some niches (`sovi users update
// --niche`); a request by that user, or by one of their tokens, carries those niches' ids as its scope, and
// every read of accounts, content and metrics is narrowed to them. Something outside the scope is answered
// exactly as if it did not exist (404, "no account …"): a limited user learns nothing about other niches,
// not even that a name is taken there.
//
// null is every niche: admins, unlimited users, the CLI without SOVI_USER, and sovi's own jobs.
import { sql, type Expression, type SqlBool } from 'kysely';

export type NicheScope = readonly string[] | null;

/** Whether something in `nicheId` (null: in no niche) is visible to a caller with this scope. */
export function inNicheScope(scope: NicheScope | undefined, nicheId: string | null): boolean {
  return !scope || (nicheId !== null && scope.includes(nicheId));
}

/**
 * The SQL condition "column is one of the scope's niches", for a listing's WHERE; undefined for every
 * niche, so a query without a scope is the one it always was.
 */
export function nicheScopeCondition(
  column: Expression<string | null>,
  scope: NicheScope | undefined,
): Expression<SqlBool> | undefined {
  if (!scope) return undefined;
  // An empty scope sees nothing (users.niches never stores one, but a narrowed token could).
  if (scope.length === 0) return sql<SqlBool>`false`;
  return sql<SqlBool>`${column} = any(${[...scope]}::uuid[])`;
}
