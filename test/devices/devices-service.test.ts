// The fleet as the team keeps it: adding phones, finding them by id, udid or name, changing and removing
// them, with every mistake refused whole and named.
import { describe, expect, it } from 'vitest';
import {
  createDevice,
  findDeviceByRef,
  getDeviceDetails,
  listDevices,
  removeDevice,
  updateDevice,
} from '../../src/devices/devices-service.ts';
import { SoviError } from '../../src/errors.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();

let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}-${Math.random().toString(36).slice(2, 7)}`;

async function rejection(promise: Promise<unknown>): Promise<SoviError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SoviError);
  return err as SoviError;
}

async function deviceCount(): Promise<number> {
  const { rows } = await t.pool.query('SELECT count(*)::int AS n FROM devices');
  return rows[0].n;
}

describe('adding a device', () => {
  it('starts disconnected, since no health check has seen it yet', async () => {
    const device = await createDevice(t.db, {
      name: ' iPhone-01 ',
      udid: unique('00008030'),
      model: 'iPhone 13',
      wdaPort: 8101,
    });
    expect(device).toMatchObject({
      name: 'iPhone-01',
      model: 'iPhone 13',
      wdaPort: 8101,
      status: 'disconnected',
      connectedSince: null,
      batteryLevel: null,
      iosVersion: null,
    });
    expect(device.createdAt).toBeInstanceOf(Date);
  });

  it('refuses a udid that is already in the fleet, naming it, and writes nothing', async () => {
    const udid = unique('dup');
    await createDevice(t.db, { name: unique('first'), udid });
    const before = await deviceCount();
    const err = await rejection(createDevice(t.db, { name: unique('second'), udid }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain(`a device with udid ${udid} already exists`);
    expect(await deviceCount()).toBe(before);
  });

  it('refuses a name another device has, since names are how people refer to devices', async () => {
    const name = unique('taken');
    await createDevice(t.db, { name, udid: unique('u') });
    const err = await rejection(createDevice(t.db, { name, udid: unique('u') }));
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/a device named "taken-\d+-\w+" already exists/);
  });

  it.each([
    [{ wdaPort: 0 }, 'wdaPort', /wdaPort: expected an integer between 1 and 65535, got 0/],
    [{ wdaPort: 70000 }, 'wdaPort', /got 70000/],
    [
      { status: 'asleep' },
      'status',
      /status: expected one of active, maintenance, failed, disconnected, got "asleep"/,
    ],
    [{ name: '  ' }, 'name', /name: must not be empty/],
    [{ udid: '' }, 'udid', /udid: must not be empty/],
  ])('rejects %o as invalid input naming %s', async (override, field, message) => {
    const before = await deviceCount();
    const input = { name: unique('bad'), udid: unique('bad'), ...override } as Parameters<
      typeof createDevice
    >[1];
    const err = await rejection(createDevice(t.db, input));
    expect(err.code).toBe('invalid_input');
    expect(err.details.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(await deviceCount()).toBe(before);
  });
});

describe('finding a device', () => {
  it('by id, by udid (UUID-shaped simulator udids too) and by name', async () => {
    const simulatorUdid = '6f1e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
    const device = await createDevice(t.db, { name: unique('ref'), udid: simulatorUdid });
    expect((await findDeviceByRef(t.db, device.id)).id).toBe(device.id);
    expect((await findDeviceByRef(t.db, device.id.toUpperCase())).id).toBe(device.id);
    expect((await findDeviceByRef(t.db, simulatorUdid)).id).toBe(device.id);
    expect((await findDeviceByRef(t.db, device.name)).id).toBe(device.id);
  });

  it('reports an unknown ref as not found, naming it', async () => {
    const err = await rejection(findDeviceByRef(t.db, 'no-such-phone'));
    expect(err.code).toBe('not_found');
    expect(err.message).toBe('device "no-such-phone" does not exist');
  });

  it('lists by name, optionally by status, and refuses an unknown status', async () => {
    const name = unique('aaa-maint');
    await createDevice(t.db, { name, udid: unique('u'), status: 'maintenance' });
    const maintenance = await listDevices(t.db, { status: 'maintenance' });
    expect(maintenance.map((d) => d.name)).toContain(name);
    expect(maintenance.every((d) => d.status === 'maintenance')).toBe(true);
    const all = await listDevices(t.db);
    expect(all.map((d) => d.name)).toEqual([...all.map((d) => d.name)].sort());
    expect((await rejection(listDevices(t.db, { status: 'gone' }))).code).toBe('invalid_input');
  });
});

describe('updating a device', () => {
  it('changes only what is given, and validates it', async () => {
    const device = await createDevice(t.db, { name: unique('upd'), udid: unique('u'), model: 'iPhone 12' });
    const updated = await updateDevice(t.db, device.udid, {
      batteryLevel: 64.5,
      storageFreeGb: 12.25,
      wdaPort: 8200,
    });
    expect(updated).toMatchObject({
      model: 'iPhone 12',
      batteryLevel: 64.5,
      storageFreeGb: 12.25,
      wdaPort: 8200,
    });
    for (const [changes, field] of [
      [{ batteryLevel: 101 }, 'batteryLevel'],
      [{ storageFreeGb: -1 }, 'storageFreeGb'],
      [{ status: 'broken' }, 'status'],
    ] as const) {
      const err = await rejection(
        updateDevice(t.db, device.id, changes as Parameters<typeof updateDevice>[2]),
      );
      expect(err.code).toBe('invalid_input');
      expect(err.details.field).toBe(field);
    }
    expect((await findDeviceByRef(t.db, device.id)).batteryLevel).toBe(64.5);
  });

  it('clears connected_since when a device is set disconnected', async () => {
    const row = await factories.device(t.pool, { status: 'active', connected_since: new Date() });
    const updated = await updateDevice(t.db, String(row.udid), { status: 'disconnected' });
    expect(updated.connectedSince).toBeNull();
  });

  it('refuses an empty change, an unknown device and a taken name', async () => {
    const a = await createDevice(t.db, { name: unique('a'), udid: unique('u') });
    const b = await createDevice(t.db, { name: unique('b'), udid: unique('u') });
    expect((await rejection(updateDevice(t.db, a.id, {}))).code).toBe('invalid_input');
    expect((await rejection(updateDevice(t.db, 'nobody', { model: 'x' }))).code).toBe('not_found');
    expect((await rejection(updateDevice(t.db, a.id, { name: b.name }))).code).toBe('conflict');
  });
});

describe('showing a device', () => {
  it('counts its live accounts and lists its recent events, newest first', async () => {
    const device = await createDevice(t.db, { name: unique('show'), udid: unique('u') });
    await factories.account(t.pool, { device_id: device.id });
    await factories.account(t.pool, { device_id: device.id });
    await factories.account(t.pool, { device_id: device.id, deleted_at: new Date() });
    await factories.event(t.pool, { category: 'device', event_type: 'first', device_id: device.id });
    await factories.event(t.pool, { category: 'device', event_type: 'second', device_id: device.id });
    const details = await getDeviceDetails(t.db, device.name);
    expect(details.assignedAccounts).toBe(2);
    expect(details.recentEvents.map((e) => e.eventType)).toEqual(['second', 'first']);
  });
});

describe('removing a device', () => {
  it('refuses while accounts are assigned, naming how many, and changes nothing', async () => {
    const device = await createDevice(t.db, { name: unique('busy'), udid: unique('u') });
    await factories.account(t.pool, { device_id: device.id });
    await factories.account(t.pool, { device_id: device.id });
    const err = await rejection(removeDevice(t.db, device.id));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('has 2 accounts assigned');
    expect(err.message).toContain('--force');
    expect((await findDeviceByRef(t.db, device.id)).id).toBe(device.id);
  });

  it('with force, unassigns the accounts and resolves its open conditions', async () => {
    const device = await createDevice(t.db, { name: unique('gone'), udid: unique('u') });
    const account = await factories.account(t.pool, { device_id: device.id });
    const event = await factories.event(t.pool, {
      category: 'device',
      severity: 'warning',
      event_type: 'device_disconnected',
      device_id: device.id,
    });
    const result = await removeDevice(t.db, device.name, { force: true });
    expect(result).toMatchObject({ device: { id: device.id }, unassignedAccounts: 1 });
    expect((await rejection(findDeviceByRef(t.db, device.id))).code).toBe('not_found');
    const { rows: accounts } = await t.pool.query('SELECT device_id FROM accounts WHERE id = $1', [
      account.id,
    ]);
    expect(accounts[0].device_id).toBeNull();
    const { rows: events } = await t.pool.query(
      'SELECT resolved, resolved_by FROM system_events WHERE id = $1',
      [event.id],
    );
    expect(events[0]).toEqual({ resolved: true, resolved_by: 'auto' });
  });

  it('removes a device without accounts straight away', async () => {
    const device = await createDevice(t.db, { name: unique('free'), udid: unique('u') });
    expect((await removeDevice(t.db, device.udid)).unassignedAccounts).toBe(0);
    expect((await rejection(removeDevice(t.db, device.udid))).code).toBe('not_found');
  });
});
