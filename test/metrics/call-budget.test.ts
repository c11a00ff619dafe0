// The metric pulls' call budget is one per key for every sovi process: two budgets on two pools (as two
// processes would hold) never grant more than the limit between them, however their takes interleave; a
// pause one sets stops the other; the window slides; and budgets that hold nothing are deleted.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, createPool, type Db } from '../../src/db/pool.ts';
import { createCallBudget, type CallBudget } from '../../src/metrics/call-budget.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();
/** A second "process": its own pool of connections. */
let other: Db;

beforeAll(() => {
  other = createDb(
    createPool(
      { url: t.url },
      { min: 0, max: 10, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'sovi test 2' },
      quietLogger,
    ),
  );
});
afterAll(async () => {
  await other.destroy();
});
beforeEach(async () => {
  await t.pool.query('DELETE FROM platform_call_budget');
});

/** A clock the test moves by hand. */
function manualClock(start = new Date('2026-12-06T10:00:00Z')) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

const granted = (results: boolean[]) => results.filter(Boolean).length;

describe('a call budget shared by two processes', () => {
  it('grants exactly the limit between them when 50 takes race for 10 calls', async () => {
    const a = createCallBudget(t.db);
    const b = createCallBudget(other);
    const limit = { calls: 10, windowMs: 60_000 };
    // The key's first takes race to insert its row too.
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).take('tiktok', limit)),
    );
    expect(granted(results)).toBe(10);
    // Full for both, and the row holds the ten calls only.
    expect(await a.take('tiktok', limit)).toBe(false);
    expect(await b.take('tiktok', limit)).toBe(false);
    const { rows } = await t.pool.query(`SELECT cardinality(calls) AS n FROM platform_call_budget`);
    expect(rows).toEqual([{ n: 10 }]);
    // Another key has its own budget.
    expect(await b.take('instagram:acc-1', limit)).toBe(true);
  });

  it('keeps to the limit over repeated rounds of racing takes', async () => {
    const clock = manualClock();
    const a = createCallBudget(t.db, clock);
    const b = createCallBudget(other, clock);
    const limit = { calls: 7, windowMs: 1_000 };
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? a : b).take('tiktok', limit)),
      );
      expect(granted(results)).toBe(7);
      clock.advance(1_000);
    }
  });

  it('a pause set by one process stops the other; a shorter pause asked later does not shorten it', async () => {
    const clock = manualClock();
    const a = createCallBudget(t.db, clock);
    const b = createCallBudget(other, clock);
    const limit = { calls: 100, windowMs: 60_000 };
    expect(await b.take('tiktok', limit)).toBe(true);
    await a.pause('tiktok', 30_000);
    expect(await b.take('tiktok', limit)).toBe(false);
    await b.pause('tiktok', 5_000);
    clock.advance(29_999);
    expect(await b.take('tiktok', limit)).toBe(false);
    clock.advance(1);
    expect(await b.take('tiktok', limit)).toBe(true);
    // A pause on a key never used before is kept too.
    await a.pause('instagram:acc-2', 10_000);
    expect(await b.take('instagram:acc-2', limit)).toBe(false);
  });

  it('an app-wide pause stops every token of the platform', async () => {
    const clock = manualClock();
    const a = createCallBudget(t.db, clock);
    const b = createCallBudget(other, clock);
    const limit = { calls: 200, windowMs: 3_600_000 };
    expect(await b.take('instagram:acc-1', limit, 'instagram')).toBe(true);
    await a.pause('instagram', 60_000);
    expect(await b.take('instagram:acc-1', limit, 'instagram')).toBe(false);
    expect(await b.take('instagram:acc-new', limit, 'instagram')).toBe(false);
    expect(await b.take('tiktok', limit)).toBe(true);
    clock.advance(60_000);
    expect(await b.take('instagram:acc-new', limit, 'instagram')).toBe(true);
  });

  it('slides: a call leaves the window exactly windowMs after it was taken', async () => {
    const clock = manualClock();
    const a = createCallBudget(t.db, clock);
    const b = createCallBudget(other, clock);
    const limit = { calls: 3, windowMs: 1_000 };
    expect(await a.take('k', limit)).toBe(true); // t=0
    clock.advance(400);
    expect(await b.take('k', limit)).toBe(true); // t=400
    expect(await a.take('k', limit)).toBe(true); // t=400
    expect(await b.take('k', limit)).toBe(false);
    clock.advance(599); // t=999: all three still in the window
    expect(await a.take('k', limit)).toBe(false);
    clock.advance(1); // t=1000: the first call has left it
    expect(await b.take('k', limit)).toBe(true);
    expect(await a.take('k', limit)).toBe(false);
    clock.advance(400); // t=1400: the two from t=400 have left
    expect(await a.take('k', limit)).toBe(true);
    expect(await b.take('k', limit)).toBe(true);
    expect(await a.take('k', limit)).toBe(false);
  });

  it('on the database’s clock, a full window and a pause both end by themselves', async () => {
    const a = createCallBudget(t.db);
    const b = createCallBudget(other);
    const limit = { calls: 2, windowMs: 300 };
    expect(await a.take('k', limit)).toBe(true);
    expect(await b.take('k', limit)).toBe(true);
    expect(await a.take('k', limit)).toBe(false);
    await until('the window to slide past the two calls', async () =>
      (await b.take('k', limit)) ? true : undefined,
    );
    await a.pause('k', 300);
    expect(await b.take('k', limit)).toBe(false);
    await until('the pause to end', async () => ((await b.take('k', limit)) ? true : undefined));
  });

  it('deletes the budgets that hold nothing any more, and keeps the others', async () => {
    const clock = manualClock();
    const budget: CallBudget = createCallBudget(t.db, clock);
    const hour = { calls: 5, windowMs: 3_600_000 };
    const minute = { calls: 5, windowMs: 60_000 };
    await budget.take('hourly', hour);
    await budget.take('minutely', minute);
    await budget.pause('paused', 120_000);
    clock.advance(90_000);
    expect(await budget.prune()).toBe(1);
    const keys = async () =>
      (await t.pool.query(`SELECT key FROM platform_call_budget ORDER BY key`)).rows.map((r) => r.key);
    expect(await keys()).toEqual(['hourly', 'paused']);
    clock.advance(3_600_000);
    expect(await budget.prune()).toBe(2);
    expect(await keys()).toEqual([]);
  });

  it('keeps a key’s row to the calls in its window', async () => {
    const clock = manualClock();
    const budget = createCallBudget(t.db, clock);
    const limit = { calls: 50, windowMs: 1_000 };
    for (let i = 0; i < 400; i++) {
      await budget.take('k', limit);
      clock.advance(50);
    }
    const { rows } = await t.pool.query(`SELECT cardinality(calls) AS n FROM platform_call_budget`);
    expect(rows[0].n).toBeLessThanOrEqual(20);
  });
});
