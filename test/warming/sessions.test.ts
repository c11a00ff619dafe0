// Running sessions: what each outcome records, exactly once, and how warming progresses over days.
import { Kysely, PostgresDialect } from 'kysely';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DB } from '../../src/db/types.generated.ts';
import { createDevice } from '../../src/devices/devices-service.ts';
import type { SessionExecutor } from '../../src/plugins/executor.ts';
import { planWarming, type SessionJob } from '../../src/warming/planner.ts';
import { runWarmingSession } from '../../src/warming/session-runner.ts';
import { defaultWarmingPolicy, type WarmingPolicy } from '../../src/warming/warming-policy.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { fixedExecutor, instantSimulator, listSink, succeedingAfter, testClock } from '../helpers/warming.ts';

const t = useTestDatabase();
const clock = testClock('2026-04-01T08:00:00Z');
const never = new AbortController().signal;

beforeEach(async () => {
  await t.pool.query(
    'DELETE FROM warming_queue; DELETE FROM warming_progress; DELETE FROM activity_log; DELETE FROM system_events; DELETE FROM accounts; DELETE FROM devices',
  );
  clock.set('2026-04-01T08:00:00Z');
});

let n = 0;
const device = () => createDevice(t.db, { name: `sess-${++n}`, udid: `sess-udid-${n}`, status: 'active' });

async function planOne(policy: WarmingPolicy = defaultWarmingPolicy): Promise<SessionJob[]> {
  const sink = listSink();
  await planWarming({
    db: t.db,
    policy,
    sink,
    logger: quietLogger,
    host: 'local',
    deviceQueueDepth: 1,
    now: clock.now,
  });
  return sink.jobs;
}

const run = (
  job: SessionJob,
  executor: SessionExecutor,
  policy: WarmingPolicy = defaultWarmingPolicy,
  signal = never,
) =>
  runWarmingSession(
    { db: t.db, executor, policy, logger: quietLogger, heartbeatSeconds: 10, now: clock.now },
    job,
    signal,
  );

const events = async (accountId: string) =>
  (
    await t.pool.query(
      `SELECT event_type, severity, resolved FROM system_events WHERE account_id = $1 ORDER BY id`,
      [accountId],
    )
  ).rows;

describe('a successful session', () => {
  it('writes warming_progress, updates the account, starts warming, and frees the device', async () => {
    const d = await device();
    const a = await factories.account(t.pool, { device_id: d.id });
    const [job] = await planOne();
    const result = await run(job!, instantSimulator({ seed: 7 }));
    expect(result).toMatchObject({ status: 'completed', outcome: 'success' });
    const { rows } = await t.pool.query(
      `SELECT w.warming_phase, w.warming_day, w.started_at, w.completed_at, w.session_data, a.current_state,
              a.warming_day_count, a.last_warmed_at, a.last_activity_at, d.current_session_key,
              (SELECT count(*)::int FROM warming_queue) AS queued
       FROM warming_progress w JOIN accounts a ON a.id = w.account_id JOIN devices d ON d.id = w.device_id
       WHERE w.session_key = $1`,
      [job!.sessionKey],
    );
    expect(rows[0]).toMatchObject({
      warming_phase: 1,
      warming_day: 1,
      current_state: 'warming_p1',
      warming_day_count: 1,
      current_session_key: null,
      queued: 0,
      session_data: { outcome: 'success', executor: 'simulator', videos_watched: expect.any(Number) },
    });
    expect(rows[0].last_warmed_at).toEqual(clock.now());
    expect((await events(String(a.id))).map((e) => e.event_type)).toEqual([
      'warming_complete',
      'state_changed',
    ]);
  });

  it('is recorded once however often its job runs', async () => {
    const d = await device();
    await factories.account(t.pool, { device_id: d.id });
    const [job] = await planOne();
    expect((await run(job!, instantSimulator())).status).toBe('completed');
    expect(await run(job!, instantSimulator())).toEqual({ status: 'already_done' });
    const { rows } = await t.pool.query(
      `SELECT count(*)::int AS n FROM warming_progress WHERE session_key = $1`,
      [job!.sessionKey],
    );
    expect(rows[0].n).toBe(1);
  });

  it('picks up a session whose first attempt died mid-run, reusing its row', async () => {
    const d = await device();
    await factories.account(t.pool, { device_id: d.id });
    const [job] = await planOne();
    // The first attempt starts, then its worker "dies": the job's signal is aborted mid-session.
    const dying = new AbortController();
    const first = run(job!, fixedExecutor('success', 10_000), defaultWarmingPolicy, dying.signal);
    await vi.waitFor(
      async () =>
        expect(
          (
            await t.pool.query(`SELECT count(*)::int AS n FROM warming_progress WHERE session_key = $1`, [
              job!.sessionKey,
            ])
          ).rows[0].n,
        ).toBe(1),
      // A loaded machine may take seconds to start the session.
      { timeout: 30_000, interval: 50 },
    );
    dying.abort();
    expect(await first).toEqual({ status: 'interrupted' });
    // The device is still leased to the session: nobody else takes it, but the retry of the same session does.
    expect(
      (await t.pool.query('SELECT current_session_key FROM devices WHERE id = $1', [d.id])).rows[0]
        .current_session_key,
    ).toBe(job!.sessionKey);
    expect(await run(job!, instantSimulator())).toMatchObject({ status: 'completed' });
    const { rows } = await t.pool.query(
      `SELECT count(*)::int AS n, bool_and(completed_at IS NOT NULL) AS done,
              (SELECT sessions_today FROM accounts WHERE id = $2) AS sessions_today
       FROM warming_progress WHERE session_key = $1`,
      [job!.sessionKey, job!.accountId],
    );
    // One session, counted once against the account's day, however many attempts it took.
    expect(rows[0]).toEqual({ n: 1, done: true, sessions_today: 1 });
  });
});

describe('failed sessions', () => {
  it('sends the account to cooldown on a login failure or a challenge', async () => {
    for (const outcome of ['login_failed', 'challenge'] as const) {
      const d = await device();
      const a = await factories.account(t.pool, {
        device_id: d.id,
        current_state: 'warming_p2',
        last_warmed_at: '2026-03-30T00:00:00Z',
      });
      const [job] = await planOne();
      await run(job!, fixedExecutor(outcome));
      const { rows } = await t.pool.query(
        'SELECT current_state, last_warmed_at FROM accounts WHERE id = $1',
        [a.id],
      );
      expect(rows[0].current_state).toBe('cooldown');
      expect(rows[0].last_warmed_at).toEqual(new Date('2026-03-30T00:00:00Z')); // Not a warming session.
      expect((await events(String(a.id))).map((e) => [e.event_type, e.severity])).toEqual([
        [outcome, 'warning'],
        ['state_changed', 'info'],
      ]);
      await t.pool.query('DELETE FROM warming_queue');
    }
  });

  it('marks a device failed after K failed sessions in a row, with an event', async () => {
    const d = await device();
    const policy = { ...defaultWarmingPolicy, deviceFailureLimit: 3 };
    for (let i = 0; i < 3; i++) {
      await factories.account(t.pool, { device_id: d.id });
      const [job] = await planOne(policy);
      expect(await run(job!, fixedExecutor('device_lost'), policy)).toMatchObject({ outcome: 'device_lost' });
    }
    const { rows } = await t.pool.query(
      `SELECT status, session_failures, (SELECT count(*)::int FROM system_events WHERE device_id = $1 AND event_type = 'device_failed'
         AND severity = 'critical' AND NOT resolved) AS failed_events,
         (SELECT count(*)::int FROM system_events WHERE device_id = $1 AND event_type = 'device_lost') AS lost
       FROM devices WHERE id = $1`,
      [d.id],
    );
    expect(rows[0]).toEqual({ status: 'failed', session_failures: 3, failed_events: 1, lost: 3 });
    // A failed device gets nothing more.
    await factories.account(t.pool, { device_id: d.id });
    expect(await planOne(policy)).toEqual([]);
  });

  it('aborts a session past its timeout and records it as failed', async () => {
    const d = await device();
    await factories.account(t.pool, { device_id: d.id });
    const policy = { ...defaultWarmingPolicy, sessionTimeoutSeconds: 1 };
    const [job] = await planOne(policy);
    const started = Date.now();
    const result = await run(job!, fixedExecutor('success', 60_000), policy);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ status: 'completed', outcome: 'timeout' });
    const { rows } = await t.pool.query(`SELECT session_data FROM warming_progress WHERE session_key = $1`, [
      job!.sessionKey,
    ]);
    expect(rows[0].session_data).toMatchObject({ outcome: 'timeout', detail: 'timed out after 1 s' });
    expect(
      (await t.pool.query(`SELECT count(*)::int AS n FROM system_events WHERE event_type = 'session_failed'`))
        .rows[0].n,
    ).toBe(1);
  });

  it('skips a session whose account left warming or whose device went down, and frees the queue', async () => {
    const d = await device();
    const a = await factories.account(t.pool, { device_id: d.id });
    const [job] = await planOne();
    await t.pool.query(`UPDATE accounts SET current_state = 'banned' WHERE id = $1`, [a.id]);
    expect(await run(job!, instantSimulator())).toEqual({
      status: 'skipped',
      reason: 'the account is banned now',
    });
    expect((await t.pool.query('SELECT count(*)::int AS n FROM warming_progress')).rows[0].n).toBe(0);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM warming_queue')).rows[0].n).toBe(0);
  });
});

describe('phase progression over simulated days', () => {
  it('walks an account from created to active as the policy’s day counts are reached', async () => {
    await device();
    const a = await factories.account(t.pool);
    const policy = {
      ...defaultWarmingPolicy,
      warming_p1: { ...defaultWarmingPolicy.warming_p1, days: 2 },
      warming_p2: { ...defaultWarmingPolicy.warming_p2, days: 2 },
      warming_p3: { ...defaultWarmingPolicy.warming_p3, days: 3 },
    };
    const seen: { day: number; state: string }[] = [];
    // Every 3 hours for 10 days: plan, run what was planned.
    for (let tick = 0; tick < 80; tick++) {
      for (const job of await planOne(policy)) await run(job, instantSimulator(), policy);
      const { rows } = await t.pool.query(
        'SELECT current_state, warming_day_count FROM accounts WHERE id = $1',
        [a.id],
      );
      seen.push({ day: rows[0].warming_day_count, state: rows[0].current_state });
      clock.advance(3 * 3_600_000);
    }
    const firstDayOf = (state: string) => seen.find((s) => s.state === state)?.day;
    expect(firstDayOf('warming_p1')).toBe(1);
    expect(firstDayOf('warming_p2')).toBe(2);
    expect(firstDayOf('warming_p3')).toBe(4);
    expect(firstDayOf('active')).toBe(7);
    // Sessions per day follow the policy: p1 allows 2, and never more than one per gap.
    const { rows } = await t.pool.query(
      `SELECT date_trunc('day', started_at AT TIME ZONE 'UTC') AS day, warming_phase, count(*)::int AS n
       FROM warming_progress WHERE account_id = $1 GROUP BY 1, 2 ORDER BY 1`,
      [a.id],
    );
    expect(rows.every((r) => r.n <= 3)).toBe(true);
    expect(rows.find((r) => r.warming_phase === 1 && r.n === 2)).toBeDefined();
  });
});

describe('what a session costs the database', () => {
  /** A handle over the test pool that keeps every statement it sends, BEGIN and COMMIT included. */
  function counting() {
    const statements: string[] = [];
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: t.pool }),
      log: (event) => {
        if (event.level === 'query') statements.push(event.query.sql.replace(/\s+/g, ' ').slice(0, 60));
      },
    });
    return { db, statements };
  }

  it('starts and records a successful first attempt in 13 statements', async () => {
    const d = await device();
    await factories.account(t.pool, { device_id: d.id, current_state: 'active' });
    const [job] = await planOne();
    const { db, statements } = counting();
    const result = await runWarmingSession(
      {
        db,
        executor: instantSimulator(),
        policy: defaultWarmingPolicy,
        logger: quietLogger,
        heartbeatSeconds: 10,
        now: clock.now,
      },
      job!,
      never,
    );
    expect(result).toMatchObject({ status: 'completed', outcome: 'success' });
    // The account's read; the start (BEGIN, the device's claim, the session's rows, the day's count, COMMIT);
    // the record (BEGIN, the row completed and dequeued, the account marked, the event, the device freed,
    // the activity row, COMMIT).
    expect(statements, statements.join('\n')).toHaveLength(13);
  });
});

describe('the account as the session leaves it', () => {
  /** An account on warming day 5, last warmed at `lastWarmedAt`, with its session planned. */
  async function dayFive(lastWarmedAt: string) {
    const d = await device();
    const account = await factories.account(t.pool, {
      device_id: d.id,
      current_state: 'warming_p2',
      warming_day_count: 5,
      last_warmed_at: lastWarmedAt,
    });
    const [job] = await planOne();
    return { account, job: job! };
  }

  it('counts a new warming day for a session that ends after UTC midnight', async () => {
    clock.set('2026-03-31T23:59:00Z');
    const { account: a, job } = await dayFive('2026-03-31T20:00:00Z');
    // The session starts on the day the account was last warmed (its day stays 5) and ends on the next.
    const overMidnight = succeedingAfter(() => clock.set('2026-04-01T00:01:00Z'));
    expect(await run(job, overMidnight)).toMatchObject({ status: 'completed', outcome: 'success' });
    const { rows } = await t.pool.query(
      `SELECT a.warming_day_count, a.last_warmed_at, w.warming_day
       FROM accounts a JOIN warming_progress w ON w.account_id = a.id WHERE a.id = $1`,
      [a.id],
    );
    expect(rows[0]).toEqual({
      warming_day_count: 6,
      last_warmed_at: new Date('2026-04-01T00:01:00Z'),
      warming_day: 5,
    });
  });

  it('counts the day from the account as it is when the session ends, not as it was when it began', async () => {
    const { account: a, job } = await dayFive('2026-03-30T20:00:00Z');
    // Someone records a warming of the account today while its session runs: the session adds no day.
    const meanwhile = succeedingAfter(() =>
      t.pool.query(
        `UPDATE accounts SET last_warmed_at = '2026-04-01T07:00:00Z', warming_day_count = 6 WHERE id = $1`,
        [a.id],
      ),
    );
    await run(job, meanwhile);
    const { rows } = await t.pool.query('SELECT warming_day_count FROM accounts WHERE id = $1', [a.id]);
    expect(rows[0].warming_day_count).toBe(6);
  });
});

describe('a retry of a session an earlier attempt completed', () => {
  it('changes nothing, whether its device is free or busy with another session', async () => {
    const d = await device();
    await factories.account(t.pool, { device_id: d.id });
    const [job] = await planOne();
    expect((await run(job!, instantSimulator())).status).toBe('completed');
    const before = async () =>
      (
        await t.pool.query(
          `SELECT d.current_session_key, d.session_lease_until, d.session_failures, a.sessions_today,
                  a.warming_day_count, (SELECT count(*)::int FROM warming_progress) AS rows,
                  (SELECT count(*)::int FROM system_events) AS events
           FROM devices d, accounts a WHERE d.id = $1 AND a.id = $2`,
          [d.id, job!.accountId],
        )
      ).rows[0];
    const free = await before();
    expect(await run(job!, instantSimulator())).toEqual({ status: 'already_done' });
    expect(await before()).toEqual(free);

    const other = '00000000-0000-4000-8000-000000000001';
    await t.pool.query(
      `UPDATE devices SET current_session_key = $2, session_lease_until = now() + interval '1 hour' WHERE id = $1`,
      [d.id, other],
    );
    const busy = await before();
    expect(await run(job!, instantSimulator())).toEqual({ status: 'already_done' });
    expect(await before()).toEqual(busy);
  });
});
