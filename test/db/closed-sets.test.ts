// The closed sets declared once in src/ are the ones the database enforces: the platform list
// (src/platforms.ts) in the CHECK constraints, and the scheduled states (account-model.ts) and platforms in
// idx_accounts_needs_warming's predicate, which the due rule must match for the planner to read the index.
import { describe, expect, it } from 'vitest';
import { accountStates, scheduledStates } from '../../src/accounts/account-model.ts';
import { roles } from '../../src/auth/roles.ts';
import { reviewStates } from '../../src/content/content-model.ts';
import { distributionReviews } from '../../src/distributions/distribution-model.ts';
import { platforms } from '../../src/platforms.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

/** The quoted literals of a SQL expression, e.g. "platform IN ('tiktok', 'instagram')". */
const literals = (expression: string) => [...expression.matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1]);

async function checkOf(table: string, column: string): Promise<string> {
  const { rows } = await t.pool.query<{ def: string }>(
    `SELECT pg_get_constraintdef(c.oid) AS def
     FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
     WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND a.attname = $2`,
    [table, column],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.def;
}

describe('closed sets in the database', () => {
  it.each(['accounts', 'distributions'])('%s.platform accepts exactly the platform list', async (table) => {
    expect(literals(await checkOf(table, 'platform')).sort()).toEqual([...platforms].sort());
  });

  it.each(['users', 'api_tokens'])(
    '%s.role accepts exactly the roles of src/auth/roles.ts',
    async (table) => {
      expect(literals(await checkOf(table, 'role')).sort()).toEqual([...roles].sort());
    },
  );

  it('accounts.current_state accepts exactly the account states', async () => {
    expect(literals(await checkOf('accounts', 'current_state')).sort()).toEqual([...accountStates].sort());
  });

  it('content.review_state and distributions.review accept exactly the review states', async () => {
    expect(literals(await checkOf('content', 'review_state')).sort()).toEqual([...reviewStates].sort());
    expect(literals(await checkOf('distributions', 'review')).sort()).toEqual(
      [...distributionReviews].sort(),
    );
  });

  it("idx_accounts_needs_warming's predicate lists the scheduled states and the platforms", async () => {
    const { rows } = await t.pool.query<{ predicate: string }>(
      `SELECT pg_get_expr(i.indpred, i.indrelid) AS predicate
       FROM pg_index i WHERE i.indexrelid = 'idx_accounts_needs_warming'::regclass`,
    );
    const predicate = rows[0]?.predicate ?? '';
    const [states = '', platformPart = ''] = predicate.split(/\bAND\b/);
    expect(states).toMatch(/current_state/);
    expect(literals(states).sort()).toEqual([...scheduledStates].sort());
    expect(platformPart).toMatch(/platform/);
    expect(literals(platformPart).sort()).toEqual([...platforms].sort());
    expect(predicate).toMatch(/deleted_at IS NULL/);
  });
});
