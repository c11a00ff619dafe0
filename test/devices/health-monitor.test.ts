// The health monitor against fake WebDriverAgents: what the team sees in the fleet and the event log when a
// phone is healthy, hangs, errors, or vanishes, and that one dead phone never holds up the others.
import { Kysely, PostgresDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { DB } from '../../src/db/types.generated.ts';
import type { DeviceStatus } from '../../src/devices/device-model.ts';
import { createDevice, findDeviceByRef, updateDevice } from '../../src/devices/devices-service.ts';
import { startFakeWda, type FakeWda, type FakeWdaOptions } from '../../src/devices/fake-wda-server.ts';
import { recordEvent } from '../../src/events/events-service.ts';
import {
  startHealthMonitor,
  type HealthMonitor,
  type HealthSettings,
} from '../../src/devices/health-monitor.ts';
import { startSovi } from '../../src/main-job.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const settings: HealthSettings = {
  wdaHost: '127.0.0.1',
  intervalMs: 60_000,
  timeoutMs: 400,
  concurrency: 16,
  failuresBeforeDisconnect: 2,
  batteryLowPercent: 20,
  batteryStaleMinutes: 15,
  storageLowGb: 2,
};

const fakes: FakeWda[] = [];
const monitors: HealthMonitor[] = [];

async function fake(options: FakeWdaOptions = {}): Promise<FakeWda> {
  const server = await startFakeWda(options);
  fakes.push(server);
  return server;
}

function monitor(overrides: Partial<HealthSettings> = {}, schedule = false, db = t.db): HealthMonitor {
  const m = startHealthMonitor({
    db,
    health: { ...settings, ...overrides },
    logger: quietLogger,
    schedule,
  });
  monitors.push(m);
  return m;
}

let n = 0;
async function device(server: FakeWda | null, status: DeviceStatus = 'disconnected', name = `iPhone-${++n}`) {
  return createDevice(t.db, { name, udid: `udid-${n}-${Date.now()}`, wdaPort: server?.port ?? null, status });
}

interface EventRow {
  event_type: string;
  category: string;
  severity: string;
  resolved: boolean;
  resolved_by: string | null;
  context: Record<string, unknown>;
}

async function events(deviceId: string): Promise<EventRow[]> {
  const { rows } = await t.pool.query<EventRow>(
    `SELECT event_type, category, severity, resolved, resolved_by, context
       FROM system_events WHERE device_id = $1 ORDER BY id`,
    [deviceId],
  );
  return rows;
}

const open = (rows: EventRow[], type: string) => rows.filter((e) => e.event_type === type && !e.resolved);

beforeEach(async () => {
  // Every round polls the whole fleet: each test starts with an empty one.
  await t.pool.query('DELETE FROM system_events');
  await t.pool.query('DELETE FROM devices');
});

afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

describe('a healthy WebDriverAgent', () => {
  it('makes a disconnected device active, with connected_since, battery and iOS version from WDA', async () => {
    const wda = await fake({ sessionId: 'S-1', battery: 0.55, iosVersion: '17.5.1' });
    const d = await device(wda);
    const report = await monitor().runOnce();

    const after = await findDeviceByRef(t.db, d.id);
    expect(after).toMatchObject({ status: 'active', batteryLevel: 55, iosVersion: '17.5.1' });
    expect(after.connectedSince).toBeInstanceOf(Date);
    expect(report.devices).toEqual([
      expect.objectContaining({
        deviceId: d.id,
        before: 'disconnected',
        after: 'active',
        outcome: 'healthy',
        batteryLevel: 55,
        events: [{ type: 'device_reconnected', change: 'recorded' }],
      }),
    ]);
    expect(await events(d.id)).toEqual([
      expect.objectContaining({ event_type: 'device_reconnected', category: 'device', severity: 'info' }),
    ]);
  });

  it('is read only: /status, and the battery of the session WDA already has, nothing else', async () => {
    const withSession = await fake({ sessionId: 'held-by-executor' });
    const without = await fake({ sessionId: null });
    const a = await device(withSession);
    const b = await device(without);
    await updateDevice(t.db, b.id, { batteryLevel: 70 });
    const m = monitor();
    await m.runOnce();
    await m.runOnce();
    expect(withSession.requests()).toEqual([
      'GET /status',
      'GET /session/held-by-executor/wda/batteryInfo',
      'GET /status',
      'GET /session/held-by-executor/wda/batteryInfo',
    ]);
    expect(without.requests()).toEqual(['GET /status', 'GET /status']);
    expect((await findDeviceByRef(t.db, a.id)).batteryLevel).toBe(80);
    expect((await findDeviceByRef(t.db, b.id)).batteryLevel).toBe(70); // No session: the stored value stays.
  });

  it('keeps connected_since while an active device stays healthy', async () => {
    const wda = await fake();
    const d = await device(wda);
    const m = monitor();
    await m.runOnce();
    const first = (await findDeviceByRef(t.db, d.id)).connectedSince;
    await m.runOnce();
    expect((await findDeviceByRef(t.db, d.id)).connectedSince).toEqual(first);
    expect(await events(d.id)).toHaveLength(1);
  });
});

describe('a vanished WebDriverAgent', () => {
  it('disconnects an active device after the configured unhealthy polls in a row, then reconnects it', async () => {
    const wda = await fake();
    const d = await device(wda);
    const m = monitor();
    await m.runOnce(); // Seen: active.
    await wda.setMode('vanished');

    const first = await m.runOnce();
    expect(first.devices[0]).toMatchObject({
      after: 'active',
      outcome: 'unreachable',
      reason: 'connection refused',
      consecutiveFailures: 1,
    });
    expect(open(await events(d.id), 'device_disconnected')).toHaveLength(0);

    const second = await m.runOnce();
    expect(second.devices[0]).toMatchObject({
      before: 'active',
      after: 'disconnected',
      consecutiveFailures: 2,
    });
    const down = await findDeviceByRef(t.db, d.id);
    expect(down).toMatchObject({ status: 'disconnected', connectedSince: null });
    const [disconnected] = open(await events(d.id), 'device_disconnected');
    expect(disconnected).toMatchObject({
      severity: 'warning',
      category: 'device',
      context: expect.objectContaining({ reason: 'connection refused', consecutiveFailures: 2 }),
    });

    await m.runOnce();
    await m.runOnce();
    expect(open(await events(d.id), 'device_disconnected')).toHaveLength(1); // Never a second open one.

    await wda.reopen();
    const back = await m.runOnce();
    expect(back.devices[0]).toMatchObject({
      before: 'disconnected',
      after: 'active',
      events: [
        { type: 'device_reconnected', change: 'recorded' },
        { type: 'device_disconnected', change: 'resolved' },
      ],
    });
    const up = await findDeviceByRef(t.db, d.id);
    expect(up.status).toBe('active');
    expect(up.connectedSince).toBeInstanceOf(Date);
    const all = await events(d.id);
    expect(all.filter((e) => e.event_type === 'device_disconnected')).toEqual([
      expect.objectContaining({ resolved: true, resolved_by: 'auto' }),
    ]);
    expect(all.filter((e) => e.event_type === 'device_reconnected')).toHaveLength(2);
  });

  it('starts counting again after a healthy poll', async () => {
    const wda = await fake();
    const d = await device(wda, 'active');
    const m = monitor();
    await wda.setMode('vanished');
    await m.runOnce();
    await wda.reopen();
    await m.runOnce();
    await wda.setMode('vanished');
    const report = await m.runOnce();
    expect(report.devices[0]).toMatchObject({ after: 'active', consecutiveFailures: 1 });
    expect((await findDeviceByRef(t.db, d.id)).status).toBe('active');
  });

  it('leaves a device that was never seen disconnected, without an event', async () => {
    const wda = await fake({ mode: 'vanished' });
    const d = await device(wda);
    const m = monitor();
    await m.runOnce();
    await m.runOnce();
    expect((await findDeviceByRef(t.db, d.id)).status).toBe('disconnected');
    expect(await events(d.id)).toEqual([]);
  });
});

describe('a hanging WebDriverAgent', () => {
  it('counts as unreachable once the timeout passes', async () => {
    const wda = await fake({ mode: 'hang' });
    const d = await device(wda, 'active');
    const m = monitor({ failuresBeforeDisconnect: 1 });
    const report = await m.runOnce();
    expect(report.devices[0]).toMatchObject({
      outcome: 'unreachable',
      reason: 'no answer within 400 ms',
      after: 'disconnected',
    });
    expect(open(await events(d.id), 'device_disconnected')).toHaveLength(1);
  });

  it('does not hold up the rest of the fleet: a round over many takes about one timeout', async () => {
    const hanging = await Promise.all(Array.from({ length: 12 }, () => fake({ mode: 'hang' })));
    const healthy = await Promise.all([fake({ sessionId: 'a', battery: 0.9 }), fake()]);
    for (const wda of hanging) await device(wda, 'active');
    const fine = await Promise.all(healthy.map((wda) => device(wda)));

    // Polled one after another, the twelve hanging phones would take 12 timeouts (18 s); in parallel, about
    // one. The bound leaves a loaded machine room (four timeouts) and still tells the two apart.
    const timeoutMs = 1_500;
    const report = await monitor({ timeoutMs }).runOnce();
    expect(report.devices).toHaveLength(14);
    expect(report.durationMs).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(report.durationMs).toBeLessThan(timeoutMs * 4);
    for (const d of fine) expect((await findDeviceByRef(t.db, d.id)).status).toBe('active');
    expect((await findDeviceByRef(t.db, fine[0]!.id)).batteryLevel).toBe(90);
  });

  it('polls no more devices at once than the concurrency allows', async () => {
    const hanging = await Promise.all(Array.from({ length: 4 }, () => fake({ mode: 'hang' })));
    for (const wda of hanging) await device(wda, 'active');
    const report = await monitor({ concurrency: 2, timeoutMs: 200 }).runOnce();
    expect(report.durationMs).toBeGreaterThanOrEqual(2 * 200 - 50);
  });
});

describe('a WebDriverAgent answering errors', () => {
  it('records one wda_error, disconnects after the threshold, and resolves both when WDA recovers', async () => {
    const wda = await fake();
    const d = await device(wda);
    const m = monitor();
    await m.runOnce();
    await wda.setMode('error');

    const first = await m.runOnce();
    expect(first.devices[0]).toMatchObject({
      outcome: 'wda_error',
      after: 'active',
      reason: expect.stringMatching(/^HTTP 500: unknown error: Failed to communicate/),
      events: [{ type: 'wda_error', change: 'recorded' }],
    });
    const [error] = open(await events(d.id), 'wda_error');
    expect(error).toMatchObject({ severity: 'error', context: expect.objectContaining({ httpStatus: 500 }) });

    await m.runOnce();
    await m.runOnce();
    const during = await events(d.id);
    expect(open(during, 'wda_error')).toHaveLength(1);
    expect(open(during, 'device_disconnected')).toHaveLength(1);
    expect((await findDeviceByRef(t.db, d.id)).status).toBe('disconnected');

    await wda.setMode('healthy');
    await m.runOnce();
    const after = await events(d.id);
    expect(open(after, 'wda_error')).toHaveLength(0);
    expect(open(after, 'device_disconnected')).toHaveLength(0);
    const conditions = after.filter((e) => ['wda_error', 'device_disconnected'].includes(e.event_type));
    expect(conditions.map((e) => [e.event_type, e.resolved, e.resolved_by])).toEqual([
      ['wda_error', true, 'auto'],
      ['device_disconnected', true, 'auto'],
    ]);
    expect((await findDeviceByRef(t.db, d.id)).status).toBe('active');
  });

  it("honours an old WDA's JSON Wire Protocol status: HTTP 200 with status 13 is an error, not healthy", async () => {
    const wda = await fake({ protocol: 'jsonwp', sessionId: 'S-old', battery: 0.5 });
    const d = await device(wda);
    const m = monitor();
    expect((await m.runOnce()).devices[0]).toMatchObject({ outcome: 'healthy', batteryLevel: 50 });
    await wda.setMode('error');
    const report = await m.runOnce();
    expect(report.devices[0]).toMatchObject({
      outcome: 'wda_error',
      reason: expect.stringMatching(/^status 13 \(unknown error\): Failed to communicate/),
    });
    expect(open(await events(d.id), 'wda_error')).toHaveLength(1);
  });

  it('treats ready: false as an error', async () => {
    const wda = await fake({ mode: 'not_ready' });
    const d = await device(wda, 'active');
    const report = await monitor().runOnce();
    expect(report.devices[0]).toMatchObject({
      outcome: 'wda_error',
      reason: 'WDA is not ready: WebDriverAgent is not ready yet',
    });
    expect(open(await events(d.id), 'wda_error')).toHaveLength(1);
  });
});

describe('battery and storage', () => {
  it('opens battery_low below the threshold once, and resolves it at or above', async () => {
    const wda = await fake({ sessionId: 's', battery: 0.15 });
    const d = await device(wda);
    const m = monitor();
    await m.runOnce();
    await m.runOnce();
    const low = open(await events(d.id), 'battery_low');
    expect(low).toEqual([
      expect.objectContaining({
        severity: 'warning',
        context: expect.objectContaining({ batteryLevel: 15, threshold: 20 }),
      }),
    ]);
    wda.setBattery(0.2);
    const report = await m.runOnce();
    expect(report.devices[0]?.events).toEqual([{ type: 'battery_low', change: 'resolved' }]);
    const after = (await events(d.id)).filter((e) => e.event_type === 'battery_low');
    expect(after).toEqual([expect.objectContaining({ resolved: true, resolved_by: 'auto' })]);
  });

  it('keeps when each reading was taken, marks an old one unknown with the reason, and alerts only on fresh ones', async () => {
    const wda = await fake({ sessionId: 'S-1', battery: 0.72 });
    const d = await device(wda);
    const m = monitor();
    await m.runOnce();
    const read = await findDeviceByRef(t.db, d.id);
    expect(read).toMatchObject({ batteryLevel: 72, batteryUnknownReason: null });
    expect(Date.now() - read.batteryReadAt!.getTime()).toBeLessThan(60_000);

    // The executor's session ends: the battery cannot be read. The last reading stays, with its time and why.
    wda.setSessionId(null);
    wda.setBattery(0.03);
    await m.runOnce();
    expect(await findDeviceByRef(t.db, d.id)).toMatchObject({
      batteryLevel: 72,
      batteryReadAt: read.batteryReadAt,
      batteryUnknownReason: 'WDA has no session, so the battery cannot be read',
    });

    // Past the limit the old 72% is no longer shown as the level, and it resolves nothing.
    await t.pool.query(`UPDATE devices SET battery_read_at = now() - interval '16 minutes' WHERE id = $1`, [
      d.id,
    ]);
    const stale = await m.runOnce();
    expect(stale.devices[0]).toMatchObject({ outcome: 'healthy', batteryLevel: null });
    expect(await findDeviceByRef(t.db, d.id)).toMatchObject({
      batteryLevel: null,
      batteryUnknownReason: 'WDA has no session, so the battery cannot be read',
    });
    expect(open(await events(d.id), 'battery_low')).toHaveLength(0);

    // A session again: the fresh 3% reading raises battery_low at once.
    wda.setSessionId('S-2');
    await m.runOnce();
    expect(await findDeviceByRef(t.db, d.id)).toMatchObject({ batteryLevel: 3, batteryUnknownReason: null });
    expect(open(await events(d.id), 'battery_low')).toEqual([
      expect.objectContaining({ context: expect.objectContaining({ batteryLevel: 3 }) }),
    ]);
  });

  it('does not raise battery_low from a stale low reading', async () => {
    const wda = await fake({ sessionId: null });
    const d = await device(wda);
    await updateDevice(t.db, d.id, { batteryLevel: 5 });
    await t.pool.query(`UPDATE devices SET battery_read_at = now() - interval '1 hour' WHERE id = $1`, [
      d.id,
    ]);
    const report = await monitor().runOnce();
    expect(report.devices[0]).toMatchObject({ batteryLevel: null });
    expect(open(await events(d.id), 'battery_low')).toHaveLength(0);
  });

  it('evaluates the stored free storage, since WDA does not report it', async () => {
    const wda = await fake();
    const d = await device(wda);
    await updateDevice(t.db, d.id, { storageFreeGb: 1.5 });
    const m = monitor();
    await m.runOnce();
    await m.runOnce();
    expect(open(await events(d.id), 'storage_low')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        context: expect.objectContaining({ storageFreeGb: 1.5 }),
      }),
    ]);
    await updateDevice(t.db, d.id, { storageFreeGb: 40 });
    await m.runOnce();
    const after = (await events(d.id)).filter((e) => e.event_type === 'storage_low');
    expect(after).toEqual([expect.objectContaining({ resolved: true, resolved_by: 'auto' })]);
  });
});

describe('devices the monitor must not move', () => {
  it('polls a failed device and records its readings and events, but leaves its status alone', async () => {
    const wda = await fake({ sessionId: 's', battery: 0.1, iosVersion: '18.0' });
    const d = await device(wda, 'failed');
    const m = monitor({ failuresBeforeDisconnect: 1 });
    const healthy = await m.runOnce();
    expect(healthy.devices[0]).toMatchObject({ before: 'failed', after: 'failed', outcome: 'healthy' });
    expect(await findDeviceByRef(t.db, d.id)).toMatchObject({
      status: 'failed',
      batteryLevel: 10,
      iosVersion: '18.0',
    });
    expect(open(await events(d.id), 'battery_low')).toHaveLength(1);

    await wda.setMode('error');
    await m.runOnce();
    await m.runOnce();
    expect((await findDeviceByRef(t.db, d.id)).status).toBe('failed');
    const all = await events(d.id);
    expect(open(all, 'wda_error')).toHaveLength(1);
    expect(all.filter((e) => e.event_type.startsWith('device_'))).toEqual([]);
  });

  it('skips devices in maintenance and devices without a WDA port', async () => {
    const wda = await fake();
    const inMaintenance = await device(wda, 'maintenance');
    const portless = await device(null, 'active');
    const report = await monitor().runOnce();
    expect(report.devices.map((c) => [c.deviceId, c.outcome, c.reason])).toEqual([
      [inMaintenance.id, 'skipped', 'in maintenance'],
      [portless.id, 'skipped', 'no WDA port'],
    ]);
    expect(wda.requests()).toEqual([]);
    expect((await findDeviceByRef(t.db, inMaintenance.id)).status).toBe('maintenance');
  });
});

describe('running on a schedule', () => {
  it('repeats rounds, never two at once, until stopped', async () => {
    const wda = await fake();
    await device(wda);
    const m = monitor({ intervalMs: 20 }, true);
    await vi.waitFor(() => expect(wda.requests().length).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    const [a, b] = [m.runOnce(), m.runOnce()];
    expect(a).toBe(b); // Joins the round in flight.
    await a;
    await m.stop();
    await expect(m.runOnce()).rejects.toThrow(/stopped/);
  });

  it('stops promptly mid-round, without counting the abandoned polls against the device', async () => {
    const wda = await fake({ mode: 'hang' });
    const d = await device(wda, 'active');
    const m = monitor({ timeoutMs: 60_000, failuresBeforeDisconnect: 1 }, true);
    await vi.waitFor(() => expect(wda.requests()).toHaveLength(1), { timeout: 30_000, interval: 50 });
    // Waiting out the poll would take its whole minute; stopping abandons it. The bound leaves a loaded
    // machine room and still tells the two apart.
    const started = performance.now();
    await m.stop();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await findDeviceByRef(t.db, d.id)).status).toBe('active');
    expect(await events(d.id)).toEqual([]);
  });

  it('runs inside sovi up', async () => {
    const wda = await fake({ sessionId: 's', battery: 0.42 });
    const d = await device(wda);
    const config = loadConfig({
      DATABASE_URL: t.url,
      SOVI_PORT: '0',
      SOVI_HEALTH_TIMEOUT_MS: '500',
      SOVI_HOST_NAME: 'local', // The host devices get by default; sovi up monitors only its own host's.
    });
    const running = await startSovi(config, quietLogger);
    try {
      await vi.waitFor(
        async () => expect(await findDeviceByRef(t.db, d.id)).toMatchObject({ status: 'active' }),
        {
          timeout: 5_000,
        },
      );
      expect((await findDeviceByRef(t.db, d.id)).batteryLevel).toBe(42);
    } finally {
      await running.close();
    }
  });
});

describe('a check that writes no event', () => {
  /** A handle on the test database that lists every statement sent through it, transactions' included. */
  function countingDb(): { db: Kysely<DB>; statements: string[] } {
    const statements: string[] = [];
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: t.pool }),
      log: (event) => {
        statements.push(event.query.sql.replace(/\s+/g, ' ').trim());
      },
    });
    return { db, statements };
  }

  it("is one UPDATE per device after the round's two reads, for a steady phone and a dead one alike", async () => {
    const steady = await fake({ sessionId: 'S-1', battery: 0.8 });
    const dead = await fake({ mode: 'vanished' });
    const a = await device(steady);
    const b = await device(dead);
    const { db, statements } = countingDb();
    const m = monitor({}, false, db);
    await m.runOnce(); // a reconnects: an event, so the full write (a transaction).
    expect(statements).toContain('begin');
    await t.pool.query(`UPDATE devices SET last_seen_at = now() - interval '1 hour' WHERE id = $1`, [a.id]);

    statements.length = 0;
    const report = await m.runOnce();
    expect(statements).toEqual([
      expect.stringMatching(/^select .* from "devices"/),
      expect.stringMatching(/^select distinct "device_id", "event_type" from "system_events"/),
      expect.stringMatching(/^update "devices" set .* where "id" = \$\d+ and "status" = /),
      expect.stringMatching(/^update "devices" set .* where "id" = \$\d+ and "status" = /),
    ]);
    // What is recorded is what the full write would record.
    expect(report.devices).toEqual([
      expect.objectContaining({
        deviceId: a.id,
        before: 'active',
        after: 'active',
        outcome: 'healthy',
        events: [],
      }),
      expect.objectContaining({
        deviceId: b.id,
        before: 'disconnected',
        after: 'disconnected',
        outcome: 'unreachable',
        consecutiveFailures: 2,
        events: [],
      }),
    ]);
    const seen = await findDeviceByRef(t.db, a.id);
    expect(seen).toMatchObject({ status: 'active', healthFailures: 0, batteryLevel: 80 });
    expect(Date.now() - seen.lastSeenAt!.getTime()).toBeLessThan(60_000);
    expect(Date.now() - seen.batteryReadAt!.getTime()).toBeLessThan(60_000);
    expect(await findDeviceByRef(t.db, b.id)).toMatchObject({ status: 'disconnected', healthFailures: 2 });
    expect((await events(a.id)).map((e) => e.event_type)).toEqual(['device_reconnected']);
    expect(await events(b.id)).toEqual([]);
  });

  it('stays one UPDATE with a battery reading stored to the microsecond (as migration 018 stored them)', async () => {
    const wda = await fake({ sessionId: null });
    const d = await device(wda);
    await t.pool.query(
      `UPDATE devices SET battery_level = 70, battery_read_at = now() - interval '1.234567 seconds' WHERE id = $1`,
      [d.id],
    );
    const { db, statements } = countingDb();
    const m = monitor({}, false, db);
    await m.runOnce();
    statements.length = 0;
    expect((await m.runOnce()).devices[0]).toMatchObject({ batteryLevel: 70, events: [] });
    expect(statements.filter((s) => s.startsWith('update'))).toHaveLength(1);
    expect(statements).not.toContain('begin');
  });

  it('resolves no condition the round saw closed: one opened meanwhile is resolved by the next round', async () => {
    const wda = await fake({ sessionId: 'S-1', battery: 0.8 });
    const d = await device(wda);
    const m = monitor();
    await m.runOnce();
    // Opened by something other than a check, after the round read which conditions were open.
    wda.setBeforeAnswer(async () => {
      wda.setBeforeAnswer(null);
      await recordEvent(t.db, {
        category: 'device',
        severity: 'warning',
        eventType: 'battery_low',
        message: 'raised elsewhere',
        deviceId: d.id,
      });
    });
    expect((await m.runOnce()).devices[0]).toMatchObject({
      outcome: 'healthy',
      batteryLevel: 80,
      events: [],
    });
    expect(open(await events(d.id), 'battery_low')).toHaveLength(1);

    expect((await m.runOnce()).devices[0]?.events).toEqual([{ type: 'battery_low', change: 'resolved' }]);
    expect((await events(d.id)).filter((e) => e.event_type === 'battery_low')).toEqual([
      expect.objectContaining({ resolved: true, resolved_by: 'auto' }),
    ]);
  });

  describe('falls back to the full write when the device changed while the probe was out', () => {
    async function changedDuringProbe(
      change: (id: string) => Promise<unknown>,
      options: FakeWdaOptions = {},
    ) {
      const wda = await fake(options);
      const d = await device(wda);
      const m = monitor();
      await m.runOnce(); // Active.
      const before = await findDeviceByRef(t.db, d.id);
      wda.setBeforeAnswer(async () => {
        wda.setBeforeAnswer(null);
        await change(d.id);
      });
      const report = await m.runOnce();
      return { id: d.id, check: report.devices[0], before };
    }

    it('an operator marked it disconnected: the healthy probe reconnects it, with the event', async () => {
      const { id, check } = await changedDuringProbe((id) =>
        updateDevice(t.db, id, { status: 'disconnected' }),
      );
      expect(check).toMatchObject({
        before: 'disconnected',
        after: 'active',
        events: [{ type: 'device_reconnected', change: 'recorded' }],
      });
      expect(await findDeviceByRef(t.db, id)).toMatchObject({
        status: 'active',
        connectedSince: expect.any(Date),
      });
    });

    it('an operator put it in maintenance: the check writes nothing', async () => {
      const { id, check, before } = await changedDuringProbe((id) =>
        updateDevice(t.db, id, { status: 'maintenance' }),
      );
      expect(check).toMatchObject({ outcome: 'skipped', reason: 'put in maintenance during the check' });
      expect(await findDeviceByRef(t.db, id)).toMatchObject({
        status: 'maintenance',
        lastSeenAt: before.lastSeenAt,
      });
    });

    it('another check counted a failure: the healthy probe resets the count', async () => {
      const { id, check } = await changedDuringProbe((id) =>
        t.pool.query('UPDATE devices SET health_failures = 1 WHERE id = $1', [id]),
      );
      expect(check).toMatchObject({ outcome: 'healthy', consecutiveFailures: 0 });
      expect(await findDeviceByRef(t.db, id)).toMatchObject({ status: 'active', healthFailures: 0 });
    });

    it('a low battery entered by hand: battery_low is raised by this check', async () => {
      const { id, check } = await changedDuringProbe((id) => updateDevice(t.db, id, { batteryLevel: 10 }), {
        sessionId: null,
      });
      expect(check).toMatchObject({
        batteryLevel: 10,
        events: [{ type: 'battery_low', change: 'recorded' }],
      });
      expect(open(await events(id), 'battery_low')).toHaveLength(1);
    });
  });
});

describe('failure counts kept in the database', () => {
  it('counts unhealthy polls across separate checks and restarts, and records when WDA was last seen', async () => {
    const server = await fake({ mode: 'healthy' });
    const d = await device(server, 'disconnected');
    await monitor().runOnce();
    const seen = await findDeviceByRef(t.db, d.id);
    expect(seen).toMatchObject({ status: 'active', healthFailures: 0 });
    expect(seen.lastSeenAt).toBeInstanceOf(Date);

    await server.setMode('vanished');
    // Two different monitors, as two `sovi devices check` runs (or a restart of `sovi up`) would be.
    expect((await monitor().runOnce()).devices.find((c) => c.deviceId === d.id)).toMatchObject({
      after: 'active',
      consecutiveFailures: 1,
    });
    expect((await monitor().runOnce()).devices.find((c) => c.deviceId === d.id)).toMatchObject({
      after: 'disconnected',
      consecutiveFailures: 2,
    });
    const gone = await findDeviceByRef(t.db, d.id);
    expect(gone).toMatchObject({ status: 'disconnected', healthFailures: 2, connectedSince: null });
    expect(gone.lastSeenAt).toEqual(seen.lastSeenAt);
  });
});
