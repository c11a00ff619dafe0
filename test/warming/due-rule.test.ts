// One rule for "due": the planner's pick, the schedule status, the accounts listing and the TypeScript
// predicate agree on a fleet of generated accounts in every state, platform, gap and daily count.
import { beforeAll, describe, expect, it } from 'vitest';
import { listAccounts } from '../../src/accounts/accounts-service.ts';
import { isDue, type DueFacts } from '../../src/warming/due-rule.ts';
import { scheduleStatus } from '../../src/warming/schedule-reads.ts';
import { pickCandidates } from '../../src/warming/warming-repository.ts';
import { defaultWarmingPolicy, type WarmingPolicy } from '../../src/warming/warming-policy.ts';
import { utcDay } from '../../src/time.ts';
import { accountDeps } from '../helpers/accounts.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const now = new Date('2026-03-10T15:30:00Z');
// Shorter gaps than the defaults for some states, so that every branch of the rule is exercised.
const policy: WarmingPolicy = {
  ...defaultWarmingPolicy,
  warming_p1: { ...defaultWarmingPolicy.warming_p1, sessionsPerDay: 2, minGapMinutes: 120 },
  active: { ...defaultWarmingPolicy.active, sessionsPerDay: 3, minGapMinutes: 30 },
};

const states = [
  'created',
  'warming_p1',
  'warming_p2',
  'warming_p3',
  'active',
  'resting',
  'cooldown',
  'banned',
];
const platforms = ['tiktok', 'instagram'];
// Minutes ago; null: never warmed.
const gaps = [null, 5, 29, 31, 119, 121, 179, 181, 359, 361, 2_000];
const days = [utcDay(now), '2026-03-09', null];

let rows: (DueFacts & { id: string })[] = [];

beforeAll(async () => {
  let i = 0;
  const values: unknown[][] = [];
  for (const state of states)
    for (const platform of platforms)
      for (const gap of gaps)
        for (const day of days)
          for (const today of [0, 1, 2, 3]) {
            i++;
            values.push([
              platform,
              `due_${i}`,
              state,
              gap === null ? null : new Date(now.getTime() - gap * 60_000),
              day === null ? 0 : today,
              day,
              i % 17 === 0 ? now : null,
            ]);
          }
  const columns = values[0]!.map((_, c) => values.map((v) => v[c]));
  await t.pool.query(
    `INSERT INTO accounts (platform, username, current_state, last_warmed_at, sessions_today, sessions_day, deleted_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::date[], $7::timestamptz[])`,
    columns,
  );
  rows = (
    await t.pool.query<DueFacts & { id: string }>(
      `SELECT id, platform, current_state, deleted_at, last_warmed_at, sessions_today, sessions_day FROM accounts`,
    )
  ).rows;
});

const expected = () =>
  new Set(
    rows
      .filter((r) => isDue(policy, r, now))
      .map((r) => r.id)
      .sort(),
  );

describe('the due rule', () => {
  it('has accounts on both sides of each condition', () => {
    const due = expected();
    expect(due.size).toBeGreaterThan(50);
    expect(rows.length - due.size).toBeGreaterThan(50);
  });

  it('picks, in SQL, exactly the accounts the TypeScript rule says are due', async () => {
    const picked = await t.db
      .transaction()
      .execute((trx) => pickCandidates(trx, { policy, now, devices: [], limit: 100_000 }));
    expect(new Set(picked.map((c) => c.id).sort())).toEqual(expected());
  });

  it('counts and orders the same accounts in the schedule status', async () => {
    const status = await scheduleStatus(t.db, policy, { now, next: 1_000 });
    expect(status.dueAccounts).toBe(expected().size);
    const due = expected();
    expect(status.next.every((n) => due.has(n.id))).toBe(true);
  });

  it('lists the same accounts for needsWarming', async () => {
    const deps = { ...accountDeps(t.db), warmingPolicy: policy };
    const seen = new Set<string>();
    let after: string | undefined;
    do {
      // The listing judges "due" at the time of the request: give it the test's clock.
      const page = await listAccounts(deps, { needsWarming: true, limit: 500, after }, now);
      for (const a of page.accounts) seen.add(a.id);
      after = page.nextCursor ?? undefined;
    } while (after);
    expect(new Set([...seen].sort())).toEqual(expected());
  });
});
