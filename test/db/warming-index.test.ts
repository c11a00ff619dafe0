// The planner serves the warming pick query from idx_accounts_needs_warming on a realistic table.
import { beforeAll, describe, expect, it } from 'vitest';
import { pickCandidatesQuery } from '../../src/warming/warming-repository.ts';
import { defaultWarmingPolicy } from '../../src/warming/warming-policy.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const PICK = `
  SELECT id, last_warmed_at FROM accounts
  WHERE current_state IN ('created', 'warming_p1', 'warming_p2', 'warming_p3', 'active')
    AND platform IN ('tiktok', 'instagram')
    AND deleted_at IS NULL
  ORDER BY last_warmed_at ASC NULLS FIRST
  LIMIT 10`;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe('the warming pick on 50,000 accounts', () => {
  beforeAll(async () => {
    // A fleet in every state, a fifth never warmed, some deleted: the mix the scheduler sees.
    await t.pool.query(`
      INSERT INTO accounts (platform, username, current_state, last_warmed_at, deleted_at)
      SELECT (ARRAY['tiktok', 'instagram'])[1 + i % 2],
             'user_' || i,
             (ARRAY['created', 'warming_p1', 'warming_p2', 'warming_p3', 'active', 'active', 'resting',
                    'cooldown', 'flagged', 'banned'])[1 + i % 10],
             CASE WHEN i % 5 = 0 THEN NULL ELSE now() - make_interval(mins => (i * 7919) % 100000) END,
             CASE WHEN i % 50 = 0 THEN now() ELSE NULL END
      FROM generate_series(1, 50000) AS i`);
    await t.pool.query('ANALYZE accounts');
  });

  it('reads the head of idx_accounts_needs_warming instead of sorting the table', async () => {
    const { rows } = await t.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${PICK}`,
    );
    const plan = rows[0]?.['QUERY PLAN'][0].Plan;
    expect(plan).toBeDefined();
    const all = nodes(plan as PlanNode);
    expect(all.some((n) => n['Index Name'] === 'idx_accounts_needs_warming')).toBe(true);
    expect(all.some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Seq Scan')).toBe(false);
  });

  it("serves the planner's own statement, lists passed as parameters, from the index", async () => {
    const query = pickCandidatesQuery({
      policy: defaultWarmingPolicy,
      now: new Date(),
      devices: [],
      limit: 500,
    }).compile(t.db);
    // Sent as the driver sends it: an unnamed statement with its parameters, planned with their values.
    const { rows } = await t.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${query.sql}`,
      [...query.parameters],
    );
    const all = nodes(rows[0]!['QUERY PLAN'][0].Plan);
    expect(all.some((n) => n['Index Name'] === 'idx_accounts_needs_warming')).toBe(true);
    expect(all.some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Seq Scan')).toBe(false);
  });

  it('returns never-warmed accounts first, then the least recently warmed', async () => {
    const { rows } = await t.pool.query<{ last_warmed_at: Date | null }>(
      PICK.replace('LIMIT 10', 'LIMIT 12000'),
    );
    const nulls = rows.findIndex((r) => r.last_warmed_at !== null);
    expect(nulls).toBeGreaterThan(0);
    expect(rows.slice(0, nulls).every((r) => r.last_warmed_at === null)).toBe(true);
    const times = rows.slice(nulls).map((r) => (r.last_warmed_at as Date).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
