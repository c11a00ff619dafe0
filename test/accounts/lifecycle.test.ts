// Every state transition, legal or not, applied through the service against the database; and the race of
// two changes from one starting state.
import { describe, expect, it } from 'vitest';
import { canTransition, transitions } from '../../src/accounts/account-lifecycle.ts';
import { accountStates, type AccountState } from '../../src/accounts/account-model.ts';
import { setAccountState } from '../../src/accounts/account-state.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const deps = () => ({ db: t.db, actor: 'tester' });

const accountIn = async (state: AccountState) =>
  String((await factories.account(t.pool, { current_state: state })).id);

describe('the lifecycle table', () => {
  it('follows the spec diagram and the recovery paths', () => {
    expect(transitions.created).toContain('warming_p1');
    expect(transitions.warming_p1).toContain('warming_p2');
    expect(transitions.warming_p2).toContain('warming_p3');
    expect(transitions.warming_p3).toContain('active');
    for (const to of [
      'resting',
      'cooldown',
      'flagged',
      'restricted',
      'shadowbanned',
      'suspended',
      'banned',
    ] as const) {
      expect(canTransition('active', to), `active → ${to}`).toBe(true);
    }
    expect(canTransition('resting', 'active')).toBe(true);
    expect(canTransition('cooldown', 'active')).toBe(true);
    expect(canTransition('flagged', 'cooldown')).toBe(true);
    expect(canTransition('restricted', 'cooldown')).toBe(true);
    expect(transitions.banned).toEqual([]);
    // No shortcut into active: an account is warmed or cools down before it posts.
    expect(canTransition('created', 'active')).toBe(false);
    expect(canTransition('flagged', 'active')).toBe(false);
  });
});

describe('applying transitions', () => {
  const pairs = accountStates.flatMap((from) =>
    accountStates.filter((to) => to !== from).map((to) => [from, to] as const),
  );

  it.each(pairs)('%s → %s is applied exactly when the table allows it', async (from, to) => {
    const id = await accountIn(from);
    const attempt = setAccountState(deps(), id, to, { reason: 'test' });
    if (canTransition(from, to)) {
      await expect(attempt).resolves.toEqual({ from, to });
      const { rows } = await t.pool.query(
        `SELECT (SELECT current_state FROM accounts WHERE id = $1) AS state,
                (SELECT count(*)::int FROM system_events WHERE account_id = $1 AND event_type = 'state_changed'
                   AND category = 'account' AND context->>'from' = $2 AND context->>'to' = $3
                   AND context->>'reason' = 'test' AND context->>'actor' = 'tester') AS events,
                (SELECT count(*)::int FROM activity_log WHERE account_id = $1 AND action_type = 'state_changed') AS activity`,
        [id, from, to],
      );
      expect(rows[0]).toEqual({ state: to, events: 1, activity: 1 });
    } else {
      const allowed = transitions[from];
      await expect(attempt).rejects.toMatchObject({
        code: 'conflict',
        message:
          allowed.length === 0
            ? `an account in ${from} cannot change state: ${from} is terminal`
            : `an account cannot go from ${from} to ${to}; from ${from} it can go to: ${allowed.join(', ')}`,
      });
      const { rows } = await t.pool.query(
        `SELECT current_state, (SELECT count(*)::int FROM system_events WHERE account_id = $1) AS events FROM accounts WHERE id = $1`,
        [id],
      );
      expect(rows[0]).toEqual({ current_state: from, events: 0 });
    }
  });

  it('refuses a change without a reason, to an unknown state, and on a deleted account', async () => {
    const id = await accountIn('active');
    await expect(setAccountState(deps(), id, 'resting', { reason: '  ' })).rejects.toThrow(/reason: say why/);
    await expect(setAccountState(deps(), id, 'asleep', { reason: 'x' })).rejects.toThrow(
      /state: expected one of/,
    );
    await t.pool.query('UPDATE accounts SET deleted_at = now() WHERE id = $1', [id]);
    await expect(setAccountState(deps(), id, 'resting', { reason: 'x' })).rejects.toThrow(/is deleted/);
  });
});

describe('concurrent transitions', () => {
  it('lets only one of many simultaneous changes from the same starting state apply', async () => {
    for (let round = 0; round < 10; round++) {
      const id = await accountIn('active');
      const targets: AccountState[] = [
        'resting',
        'cooldown',
        'flagged',
        'restricted',
        'shadowbanned',
        'suspended',
      ];
      const results = await Promise.allSettled(
        targets.map((to) =>
          setAccountState(deps(), id, to, { reason: `race ${round}`, expectedFrom: 'active' }),
        ),
      );
      const applied = results.filter((r) => r.status === 'fulfilled');
      expect(applied).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('conflict');
      }
      const { rows } = await t.pool.query(
        `SELECT a.current_state, count(e.id)::int AS events FROM accounts a
         LEFT JOIN system_events e ON e.account_id = a.id AND e.event_type = 'state_changed'
         WHERE a.id = $1 GROUP BY a.current_state`,
        [id],
      );
      const winner = (applied[0] as PromiseFulfilledResult<{ to: string }>).value.to;
      expect(rows[0]).toEqual({ current_state: winner, events: 1 });
    }
  });

  it('refuses the second of two changes that both read the same state before either wrote', async () => {
    const id = await accountIn('active');
    // Two transactions interleaved by hand: both check "active", then both try to write.
    const a = await t.pool.connect();
    const b = await t.pool.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      const read = `SELECT current_state FROM accounts WHERE id = $1`;
      expect((await a.query(read, [id])).rows[0].current_state).toBe('active');
      expect((await b.query(read, [id])).rows[0].current_state).toBe('active');
      const cas = `UPDATE accounts SET current_state = $2 WHERE id = $1 AND current_state = 'active' AND deleted_at IS NULL`;
      expect((await a.query(cas, [id, 'resting'])).rowCount).toBe(1);
      const second = b.query(cas, [id, 'flagged']); // Waits for a's row lock…
      await a.query('COMMIT');
      expect((await second).rowCount).toBe(0); // …then re-checks the row and no longer matches.
      await b.query('ROLLBACK');
    } finally {
      a.release();
      b.release();
    }
    // The service runs that same compare-and-set; this is the statement it relies on.
    const { compareAndSetState } = await import('../../src/accounts/accounts-repository.ts');
    expect(await compareAndSetState(t.db, id, 'active', 'cooldown')).toBe(false);
    expect(await compareAndSetState(t.db, id, 'resting', 'cooldown')).toBe(true);
  });
});
