// The planner: who is due, in which order, on which device, deduplicated, and only on this host.
import { beforeEach, describe, expect, it } from 'vitest';
import { createDevice } from '../../src/devices/devices-service.ts';
import { planWarming } from '../../src/warming/planner.ts';
import { defaultWarmingPolicy } from '../../src/warming/warming-policy.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { listSink, testClock } from '../helpers/warming.ts';

const t = useTestDatabase();
const clock = testClock('2026-03-10T12:00:00Z');

beforeEach(async () => {
  await t.pool.query(
    'DELETE FROM warming_queue; DELETE FROM warming_progress; DELETE FROM activity_log; DELETE FROM system_events; DELETE FROM accounts; DELETE FROM devices',
  );
  clock.set('2026-03-10T12:00:00Z');
});

let n = 0;
const device = (host = 'hostA', status: 'active' | 'maintenance' | 'failed' | 'disconnected' = 'active') =>
  createDevice(t.db, { name: `dev-${++n}`, udid: `udid-${n}`, host, status });

const plan = (sink = listSink(), host = 'hostA', deviceQueueDepth = 2) =>
  planWarming({
    db: t.db,
    policy: defaultWarmingPolicy,
    sink,
    logger: quietLogger,
    host,
    deviceQueueDepth,
    now: clock.now,
  }).then((result) => ({ result, jobs: sink.jobs }));

describe('planning', () => {
  it('picks never-warmed accounts first, then the least recently warmed, up to the devices’ room', async () => {
    const d = await device();
    const a = [];
    for (const [state, warmed] of [
      ['active', '2026-03-10T02:00:00Z'],
      ['created', null],
      ['warming_p1', '2026-03-09T12:00:00Z'],
      ['active', '2026-03-09T00:00:00Z'],
    ] as const) {
      a.push(
        await factories.account(t.pool, { current_state: state, last_warmed_at: warmed, device_id: d.id }),
      );
    }
    const { result, jobs } = await plan(listSink(), 'hostA', 3);
    expect(result).toMatchObject({ planned: 3 }); // The fourth waits: the device's queue is full.
    expect(jobs.map((j) => j.accountId)).toEqual([a[1]!.id, a[3]!.id, a[2]!.id]);
    // Session keys are time-ordered: the device's FIFO follows the planner's order.
    expect([...jobs.map((j) => j.sessionKey)].sort()).toEqual(jobs.map((j) => j.sessionKey));
  });

  it('follows the policy: gaps per state and sessions per day', async () => {
    const d = await device();
    const recent = await factories.account(t.pool, {
      current_state: 'active',
      last_warmed_at: '2026-03-10T09:00:00Z',
      device_id: d.id,
    });
    // Two sessions already today (what the session runner counts on the account when each starts).
    const capped = await factories.account(t.pool, {
      current_state: 'warming_p1',
      last_warmed_at: '2026-03-10T01:00:00Z',
      device_id: d.id,
      sessions_today: 2,
      sessions_day: '2026-03-10',
    });
    const { result, jobs } = await plan();
    expect(jobs).toEqual([]);
    expect(result.considered).toBe(0); // Neither is even read: SQL knows they are not due.
    // Yesterday's count does not hold an account back today.
    await t.pool.query(`UPDATE accounts SET sessions_day = '2026-03-09' WHERE id = $1`, [capped.id]);
    expect((await plan()).jobs.map((j) => j.accountId)).toEqual([capped.id]);
    await t.pool.query('DELETE FROM warming_queue');
    await t.pool.query(`UPDATE accounts SET sessions_day = '2026-03-10' WHERE id = $1`, [capped.id]);
    clock.set('2026-03-10T15:00:01Z');
    expect((await plan()).jobs.map((j) => j.accountId)).toEqual([recent.id]);
  });

  it('plans one session per account however often it runs', async () => {
    const d = await device();
    await factories.account(t.pool, { device_id: d.id });
    const first = await plan();
    const second = await plan();
    expect(first.result.planned).toBe(1);
    expect(second.result.planned).toBe(0);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM warming_queue')).rows[0].n).toBe(1);
  });

  it('assigns unassigned accounts to the active device with the fewest queued sessions, and records it', async () => {
    const busy = await device();
    const idle = await device();
    await device('hostA', 'maintenance');
    await device('hostA', 'failed');
    await device('hostA', 'disconnected');
    await factories.account(t.pool, { device_id: busy.id, last_warmed_at: '2026-03-01T00:00:00Z' });
    const fresh = [];
    for (let i = 0; i < 3; i++) fresh.push(await factories.account(t.pool));
    const { jobs, result } = await plan(listSink(), 'hostA', 2);
    // Never-warmed accounts come first and spread over the two active devices; the account already on
    // one of them then finds its device full and waits for the next tick.
    const byDevice = new Map<string, number>();
    for (const j of jobs) byDevice.set(j.deviceId, (byDevice.get(j.deviceId) ?? 0) + 1);
    expect([...byDevice.keys()].sort()).toEqual([busy.id, idle.id].sort());
    expect([...byDevice.values()].sort()).toEqual([1, 2]);
    expect(result).toMatchObject({ planned: 3, assigned: 3, deviceBusy: 1 });
    const { rows } = await t.pool.query(
      `SELECT a.device_id, l.detail_json->>'reason' AS reason FROM accounts a
       JOIN activity_log l ON l.account_id = a.id AND l.action_type = 'device_assigned'
       WHERE a.id = ANY($1::uuid[])`,
      [fresh.map((f) => f.id)],
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => [busy.id, idle.id].includes(r.device_id))).toBe(true);
    expect(rows[0].reason).toBe('fewest queued sessions on this host');
  });

  it('gives devices in maintenance, failed or disconnected nothing, and moves their accounts to active ones', async () => {
    const down = await device('hostA', 'maintenance');
    const up = await device();
    const a = await factories.account(t.pool, { device_id: down.id });
    const { result, jobs } = await plan();
    expect(result.reassigned).toBe(1);
    expect(jobs).toEqual([expect.objectContaining({ accountId: a.id, deviceId: up.id })]);
    await t.pool.query(`UPDATE devices SET status = 'disconnected' WHERE id = $1`, [up.id]);
    await t.pool.query('DELETE FROM warming_queue');
    expect((await plan()).result).toMatchObject({ planned: 0 });
  });

  it('plans only for its own host: its devices, and accounts on them or on none', async () => {
    const a1 = await device('hostA');
    const b1 = await device('hostB');
    const onA = await factories.account(t.pool, { device_id: a1.id });
    const onB = await factories.account(t.pool, { device_id: b1.id });
    const loose = await factories.account(t.pool);
    const a = await plan(listSink(), 'hostA');
    expect(a.jobs.map((j) => j.accountId).sort()).toEqual([onA.id, loose.id].sort());
    expect(a.jobs.every((j) => j.deviceId === a1.id)).toBe(true);
    const b = await plan(listSink(), 'hostB');
    expect(b.jobs).toEqual([expect.objectContaining({ accountId: onB.id, deviceId: b1.id })]);
  });

  it('stays fast when most accounts are not due: a tick reads the due ones, not the rest', async () => {
    const d = await device();
    // 20,000 accounts warmed an hour ago (inside every gap), then a few due ones behind them in the index.
    await t.pool.query(
      `INSERT INTO accounts (platform, username, current_state, last_warmed_at, device_id, sessions_today, sessions_day)
       SELECT 'tiktok', 'busy_' || i, 'warming_p1', $1::timestamptz - interval '1 hour', $2, 1, $3::date
       FROM generate_series(1, 20000) i`,
      [clock.now(), d.id, '2026-03-10'],
    );
    const due = [];
    for (let i = 0; i < 2; i++)
      due.push(
        await factories.account(t.pool, {
          current_state: 'active',
          last_warmed_at: '2026-03-09T00:00:00Z',
          device_id: d.id,
        }),
      );
    await t.pool.query('ANALYZE accounts');
    const started = performance.now();
    const { result, jobs } = await plan();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(jobs.map((j) => j.accountId).sort()).toEqual(due.map((a) => a.id).sort());
    expect(result.considered).toBe(2);
  });

  it('reads on past batches of accounts whose device is full, each account once, to the devices with room', async () => {
    const full = await device();
    const free = await device();
    // 1,202 due accounts on one device, least recently warmed first: the device takes two, and the 1,200 it
    // turns away fill the tick's first batches. Behind them in the index, two accounts on a device with room.
    await t.pool.query(
      `INSERT INTO accounts (platform, username, current_state, last_warmed_at, device_id)
       SELECT 'tiktok', 'crowd_' || i, 'active', $1::timestamptz + i * interval '1 second', $2
       FROM generate_series(1, 1202) i`,
      ['2026-03-08T00:00:00Z', full.id],
    );
    const behind = [];
    for (const warmed of ['2026-03-09T00:00:00Z', '2026-03-09T01:00:00Z'])
      behind.push(
        await factories.account(t.pool, {
          current_state: 'active',
          last_warmed_at: warmed,
          device_id: free.id,
        }),
      );
    const { result, jobs } = await plan();
    expect(result).toMatchObject({ planned: 4, considered: 1204, deviceBusy: 1200 });
    const first = await t.pool.query<{ id: string }>(
      `SELECT id FROM accounts WHERE username IN ('crowd_1', 'crowd_2') ORDER BY username`,
    );
    expect(jobs.map((j) => j.accountId)).toEqual([
      ...first.rows.map((r) => r.id),
      ...behind.map((a) => a.id),
    ]);
  });

  it('never plans deleted accounts or accounts outside the warming states', async () => {
    const d = await device();
    await factories.account(t.pool, { device_id: d.id, deleted_at: new Date() });
    for (const state of ['resting', 'cooldown', 'banned', 'flagged']) {
      await factories.account(t.pool, { device_id: d.id, current_state: state });
    }
    expect((await plan()).jobs).toEqual([]);
  });
});
