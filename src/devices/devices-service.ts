// The device fleet's rules: what a device may hold, how people refer to one, and when one may be removed.
// Rows stay in here; callers get Device objects.
import { countLiveAccounts } from '../accounts/accounts-service.ts';
import type { Db } from '../db/pool.ts';
import { SoviError, invalidInput, oneOf, notFound } from '../errors.ts';
import type { SystemEvent } from '../events/event-model.ts';
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { queryEvents, resolveOpenEvents } from '../events/events-service.ts';
import { isUuid } from '../ids.ts';
import {
  deviceConditions,
  deviceStatuses,
  type Device,
  type DeviceChanges,
  type DeviceStatus,
  type NewDevice,
} from './device-model.ts';
import {
  deleteDeviceRow,
  insertDevice,
  lockDevice,
  selectDeviceById,
  selectDeviceByUdid,
  selectDevices,
  selectDevicesByName,
  updateDeviceRow,
  type DeviceRow,
  type DeviceUpdate,
} from './devices-repository.ts';
import { keysetPage, type Keyset } from '../db/keyset.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { diffChanges, recordAudit } from '../audit/audit-service.ts';

export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    model: row.model,
    udid: row.udid,
    host: row.host,
    iosVersion: row.ios_version,
    wdaPort: row.wda_port,
    status: row.status as DeviceStatus,
    connectedSince: row.connected_since,
    batteryLevel: row.battery_level,
    batteryReadAt: row.battery_read_at,
    batteryUnknownReason: row.battery_unknown_reason,
    storageFreeGb: row.storage_free_gb,
    sessionFailures: row.session_failures,
    currentSessionKey: row.current_session_key,
    healthFailures: row.health_failures,
    lastSeenAt: row.last_seen_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The device with this id, if there is one. */
export async function findDeviceById(db: Executor, id: string): Promise<Device | undefined> {
  const row = await selectDeviceById(db, id);
  return row && toDevice(row);
}

/**
 * A device by its id, its udid or its name, in that order. Simulator udids are UUIDs too, so a UUID that is
 * no device's id is tried as a udid.
 */
export async function findDeviceByRef(db: Executor, ref: string): Promise<Device> {
  const value = ref.trim();
  const byId = isUuid(value) ? await selectDeviceById(db, value.toLowerCase()) : undefined;
  const row = byId ?? (value === '' ? undefined : await selectDeviceByUdid(db, value));
  if (row) return toDevice(row);
  const named = value === '' ? [] : await selectDevicesByName(db, value);
  if (named.length > 1) {
    throw invalidInput(
      'ref',
      `${named.length} devices are named "${value}": refer to one by its udid (${named.map((d) => d.udid).join(', ')})`,
    );
  }
  const [only] = named;
  if (!only) throw notFound('device', `"${ref}"`);
  return toDevice(only);
}

/** The id of a device named by id, udid or name; `field` names the argument in the error when there is none. */
export async function resolveDevice(db: Executor, ref: string, field = 'device'): Promise<string> {
  try {
    return (await findDeviceByRef(db, ref)).id;
  } catch (err) {
    if (err instanceof SoviError && err.code === 'not_found') {
      throw new SoviError('not_found', `${field}: no device with id, udid or name "${ref}"`, { field });
    }
    throw err;
  }
}

/** Devices by the ids, udids or names people typed (an import's column): each ref found, to its id. */
export { deviceIdsByRef } from './devices-repository.ts';

export async function listDevices(
  db: Executor,
  filter: { status?: string; host?: string } = {},
): Promise<Device[]> {
  if (filter.status !== undefined) checkStatus(filter.status);
  return (await selectDevices(db, filter)).map(toDevice);
}

/** The listing's order: name, then udid, compared by code point. */
const byNameAndUdid: Keyset<Device, [string, string]> = {
  keyOf: (d) => [d.name, d.udid],
  isKey: (parts) => parts.length === 2 && parts.every((v) => typeof v === 'string'),
};
const precedes = (a: [string, string], b: [string, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/**
 * Devices in pages by name, then udid. The fleet is tens of phones, read whole; pages are cut here in
 * code-point order, so a cursor's position does not depend on the database's collation.
 */
export async function listDevicePage(
  db: Executor,
  query: { status?: string; host?: string; after?: string; limit?: number },
): Promise<{ devices: Device[]; nextCursor: string | null }> {
  const all = await listDevices(db, { status: query.status, host: query.host });
  const sorted = all.sort((a, b) => (precedes(byNameAndUdid.keyOf(a), byNameAndUdid.keyOf(b)) ? -1 : 1));
  const page = await keysetPage(
    // An empty cursor is no cursor: the first page.
    { after: query.after || undefined, limit: query.limit ?? 100 },
    byNameAndUdid,
    async (after, rows) =>
      (after ? sorted.filter((d) => precedes(after, byNameAndUdid.keyOf(d))) : sorted).slice(0, rows),
    (device) => device,
  );
  return { devices: page.items, nextCursor: page.nextCursor };
}

/** What the audit trail compares: what people set, not what the monitor keeps (health, sessions, readings' times). */
const audited = (d: Device | undefined) =>
  d && {
    name: d.name,
    udid: d.udid,
    host: d.host,
    model: d.model,
    iosVersion: d.iosVersion,
    wdaPort: d.wdaPort,
    status: d.status,
    batteryLevel: d.batteryLevel,
    storageFreeGb: d.storageFreeGb,
  };

/** device.maintenance when a change only takes a device into or out of maintenance; device.update otherwise. */
function updateAction(before: Device, after: Device): string {
  const changed = Object.keys(diffChanges(audited(before), audited(after)));
  const maintenance = before.status === 'maintenance' || after.status === 'maintenance';
  return maintenance && changed.length === 1 && changed[0] === 'status'
    ? 'device.maintenance'
    : 'device.update';
}

/** `actor`: who adds it, for the audit trail (a person, a token, `system`). */
export async function createDevice(db: Executor, input: NewDevice, actor = 'system'): Promise<Device> {
  const name = required('name', input.name);
  const udid = required('udid', input.udid);
  const values = {
    name,
    udid,
    host: checkHost(input.host ?? 'local'),
    model: optionalText(input.model),
    ios_version: optionalText(input.iosVersion),
    wda_port: checkPort(input.wdaPort),
    status: input.status === undefined ? 'disconnected' : checkStatus(input.status),
    storage_free_gb:
      input.storageFreeGb === undefined
        ? null
        : checkRange('storageFreeGb', input.storageFreeGb, 0, Number.MAX_VALUE),
  };
  const existing = await selectDeviceByUdid(db, udid);
  if (existing) throw udidTaken(udid, existing.name);
  await checkNameFree(db, name, undefined);
  try {
    const insert = async (trx: Executor) => {
      const device = toDevice(await insertDevice(trx, values));
      await recordAudit(trx, {
        actor,
        action: 'device.create',
        targetType: 'device',
        targetId: device.id,
        targetLabel: device.name,
        changes: diffChanges(undefined, audited(device)),
      });
      return device;
    };
    return await inTransaction(db, insert);
  } catch (err) {
    // Another process added the same udid between the check and the insert.
    if (isUniqueViolation(err, 'devices_udid_key')) throw udidTaken(udid, undefined);
    throw err;
  }
}

export async function updateDevice(
  db: Db,
  ref: string,
  changes: DeviceChanges,
  actor = 'system',
): Promise<Device> {
  const name = changes.name === undefined ? undefined : required('name', changes.name);
  const status = changes.status === undefined ? undefined : checkStatus(changes.status);
  const values: DeviceUpdate = {};
  if (name !== undefined) values.name = name;
  if (changes.host !== undefined) values.host = checkHost(changes.host);
  if (changes.model !== undefined) values.model = optionalText(changes.model);
  if (changes.iosVersion !== undefined) values.ios_version = optionalText(changes.iosVersion);
  if (changes.wdaPort !== undefined) values.wda_port = checkPort(changes.wdaPort);
  if (status !== undefined) values.status = status;
  if (changes.batteryLevel !== undefined) {
    values.battery_level = checkRange('batteryLevel', changes.batteryLevel, 0, 100);
    // A value entered by hand is a reading taken now.
    values.battery_read_at = values.battery_level === null ? null : new Date();
    values.battery_unknown_reason = null;
  }
  if (changes.storageFreeGb !== undefined) {
    values.storage_free_gb = checkRange('storageFreeGb', changes.storageFreeGb, 0, Number.MAX_VALUE);
  }
  if (Object.keys(values).length === 0) {
    throw invalidInput('changes', 'nothing to update: give at least one value to change');
  }
  // A disconnected device is connected since nothing; the monitor sets it again when it sees the device.
  if (status === 'disconnected') values.connected_since = null;
  return db.transaction().execute(async (trx) => {
    const device = await findDeviceByRef(trx, ref);
    if (name !== undefined && name !== device.name) await checkNameFree(trx, name, device.id);
    const row = await updateDeviceRow(trx, device.id, values);
    if (!row) throw notFound('device', `"${ref}"`);
    const updated = toDevice(row);
    await recordAudit(trx, {
      actor,
      action: updateAction(device, updated),
      targetType: 'device',
      targetId: device.id,
      targetLabel: updated.name,
      changes: diffChanges(audited(device), audited(updated)),
    });
    return updated;
  });
}

export interface DeviceDetails {
  device: Device;
  /** Live accounts whose device this is. */
  assignedAccounts: number;
  /** Newest first. */
  recentEvents: SystemEvent[];
}

export async function getDeviceDetails(db: Executor, ref: string, eventLimit = 10): Promise<DeviceDetails> {
  const device = await findDeviceByRef(db, ref);
  const [assignedAccounts, page] = await Promise.all([
    countLiveAccounts(db, { deviceId: device.id }),
    queryEvents(db, { deviceId: device.id, limit: eventLimit }),
  ]);
  return { device, assignedAccounts, recentEvents: page.events };
}

/**
 * Deletes a device. Refused while live accounts are assigned to it, unless forced: the accounts are then
 * unassigned (the foreign key is ON DELETE SET NULL). Its open conditions are resolved, since nobody can act
 * on them any more.
 */
export async function removeDevice(
  db: Db,
  ref: string,
  options: { force?: boolean } = {},
  actor = 'system',
): Promise<{ device: Device; unassignedAccounts: number }> {
  return db.transaction().execute(async (trx) => {
    const found = await findDeviceByRef(trx, ref);
    const locked = await lockDevice(trx, found.id);
    if (!locked) throw notFound('device', `"${ref}"`);
    const device = toDevice(locked);
    const accounts = await countLiveAccounts(trx, { deviceId: device.id });
    if (accounts > 0 && !options.force) {
      throw new SoviError(
        'conflict',
        `device "${device.name}" has ${accounts} account${accounts === 1 ? '' : 's'} assigned: reassign ${accounts === 1 ? 'it' : 'them'} first, or remove the device with --force to unassign ${accounts === 1 ? 'it' : 'them'}`,
        { field: 'ref', accounts },
      );
    }
    for (const eventType of deviceConditions) {
      await resolveOpenEvents(trx, { eventType, deviceId: device.id }, { reason: 'device removed' });
    }
    await deleteDeviceRow(trx, device.id);
    await recordAudit(trx, {
      actor,
      action: 'device.remove',
      targetType: 'device',
      targetId: device.id,
      targetLabel: device.name,
      changes: diffChanges(audited(device), undefined),
      note: accounts > 0 ? `${accounts} account(s) unassigned` : null,
    });
    return { device, unassignedAccounts: accounts };
  });
}

function required(field: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw invalidInput(field, `${field}: must not be empty`);
  return trimmed;
}

function optionalText(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function checkPort(port: number | null | undefined): number | null {
  if (port === undefined || port === null) return null;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidInput('wdaPort', `wdaPort: expected an integer between 1 and 65535, got ${port}`);
  }
  return port;
}

const checkStatus = (status: string): DeviceStatus => oneOf(deviceStatuses, status, 'status');

function checkRange(field: string, value: number | null, min: number, max: number): number | null {
  if (value === null) return null;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw invalidInput(
      field,
      `${field}: expected a number ${max === Number.MAX_VALUE ? `of at least ${min}` : `between ${min} and ${max}`}, got ${value}`,
    );
  }
  return value;
}

/** Names are how people refer to devices, so two devices may not share one. */
async function checkNameFree(db: Executor, name: string, exceptId: string | undefined): Promise<void> {
  const other = (await selectDevicesByName(db, name)).find((d) => d.id !== exceptId);
  if (other) {
    throw new SoviError('conflict', `a device named "${name}" already exists (udid ${other.udid})`, {
      field: 'name',
    });
  }
}

function udidTaken(udid: string, name: string | undefined): SoviError {
  return new SoviError(
    'conflict',
    `a device with udid ${udid} already exists${name === undefined ? '' : ` ("${name}")`}`,
    { field: 'udid' },
  );
}

const HOST = /^[A-Za-z0-9_.-]{1,100}$/;

function checkHost(host: string): string {
  if (!HOST.test(host))
    throw invalidInput('host', `host: expected letters, digits, . _ - (at most 100), got "${host}"`);
  return host;
}
