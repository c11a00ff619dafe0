// SQL for devices. Functions take the executor first so they compose inside callers' transactions. The
// fleet is tens of phones: listing it whole is cheaper than any index, and udid is UNIQUE (its own index).
import { sql, type Insertable, type Selectable, type SqlBool, type UpdateObject } from 'kysely';
import type { DB, Devices } from '../db/types.generated.ts';
import type { Executor } from '../db/executor.ts';
import { updatedAny } from '../db/updated.ts';
import { isUuid } from '../ids.ts';

export type DeviceRow = Selectable<Devices>;

const columns = [
  'id',
  'name',
  'model',
  'udid',
  'ios_version',
  'wda_port',
  'status',
  'connected_since',
  'battery_level',
  'battery_read_at',
  'battery_unknown_reason',
  'storage_free_gb',
  'created_at',
  'updated_at',
  'health_failures',
  'last_seen_at',
  'host',
  'session_failures',
  'current_session_key',
  'session_lease_until',
] as const;

export async function insertDevice(db: Executor, values: Insertable<Devices>): Promise<DeviceRow> {
  return db.insertInto('devices').values(values).returning(columns).executeTakeFirstOrThrow();
}

/** Ordered by name, then udid. */
export async function selectDevices(
  db: Executor,
  filter: { status?: string; host?: string } = {},
): Promise<DeviceRow[]> {
  let query = db.selectFrom('devices').select(columns);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.host) query = query.where('host', '=', filter.host);
  return query.orderBy('name').orderBy('udid').execute();
}

export async function selectDeviceById(db: Executor, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').select(columns).where('id', '=', id).executeTakeFirst();
}

/**
 * The device, locked until the transaction ends: health writes, operator updates and removal of one device
 * serialise on its row, and assigning an account to it (an FK check) waits too.
 */
export async function lockDevice(db: Executor, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').select(columns).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function selectDeviceByUdid(db: Executor, udid: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').select(columns).where('udid', '=', udid).executeTakeFirst();
}

export async function selectDevicesByName(db: Executor, name: string): Promise<DeviceRow[]> {
  return db.selectFrom('devices').select(columns).where('name', '=', name).orderBy('udid').execute();
}

/** Values or SQL expressions (e.g. now()) per column. */
export type DeviceUpdate = UpdateObject<DB, 'devices'>;

export async function updateDeviceRow(
  db: Executor,
  id: string,
  values: DeviceUpdate,
): Promise<DeviceRow | undefined> {
  return db.updateTable('devices').set(values).where('id', '=', id).returning(columns).executeTakeFirst();
}

/** The columns a health check decides from (health-outcome.ts), as a round read them. */
export type HealthColumns = Pick<
  DeviceRow,
  | 'id'
  | 'status'
  | 'health_failures'
  | 'connected_since'
  | 'ios_version'
  | 'battery_level'
  | 'battery_read_at'
  | 'battery_unknown_reason'
  | 'storage_free_gb'
>;

/**
 * Writes a health check's changes in one statement, only while the columns it was decided from are as `seen`
 * had them; false when they changed (or the device is gone), so the caller decides again from the row locked.
 * Other columns (the session lease, the name) may change meanwhile: the check does not read them.
 * battery_read_at is compared to the millisecond, as a JS Date holds it; connected_since only as set or not.
 */
export async function updateDeviceIfUnchanged(
  db: Executor,
  seen: HealthColumns,
  values: DeviceUpdate,
): Promise<boolean> {
  return updatedAny(
    db
      .updateTable('devices')
      .set(values)
      .where('id', '=', seen.id)
      .where('status', '=', seen.status)
      .where('health_failures', '=', seen.health_failures)
      .where(sql<SqlBool>`(connected_since IS NULL) = ${seen.connected_since === null}`)
      .where('ios_version', 'is not distinct from', seen.ios_version)
      .where('battery_level', 'is not distinct from', seen.battery_level)
      .where(
        sql<SqlBool>`date_trunc('milliseconds', battery_read_at) IS NOT DISTINCT FROM ${seen.battery_read_at}`,
      )
      .where('battery_unknown_reason', 'is not distinct from', seen.battery_unknown_reason)
      .where('storage_free_gb', 'is not distinct from', seen.storage_free_gb),
  );
}

export async function deleteDeviceRow(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** What a session needs of its device. */
export type ClaimedDeviceRow = Pick<DeviceRow, 'id' | 'name' | 'udid' | 'host' | 'wda_port'>;

/**
 * Takes the device for a session: free, held by this same session (a retry after a crash), or held by a
 * lease that ran out. Returns what the session needs of the device; undefined when another live session
 * holds it or the device is not active.
 */
export async function claimSessionLease(
  db: Executor,
  id: string,
  sessionKey: string,
  until: Date,
  now: Date,
): Promise<ClaimedDeviceRow | undefined> {
  const { rows } = await sql<ClaimedDeviceRow>`
    UPDATE devices SET current_session_key = ${sessionKey}::uuid, session_lease_until = ${until}
    WHERE id = ${id} AND status = 'active'
      AND (current_session_key IS NULL OR current_session_key = ${sessionKey}::uuid OR session_lease_until < ${now})
    RETURNING id, name, udid, host, wda_port`.execute(db);
  return rows[0];
}

/** Extends the session's lease; false when the session no longer holds the device. */
export async function renewSessionLease(
  db: Executor,
  id: string,
  sessionKey: string,
  until: Date,
): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    UPDATE devices SET session_lease_until = ${until}
    WHERE id = ${id} AND current_session_key = ${sessionKey}::uuid
    RETURNING id`.execute(db);
  return rows.length > 0;
}

/** Frees the device if this session holds it. */
export async function releaseSessionLease(db: Executor, id: string, sessionKey: string): Promise<void> {
  await sql`
    UPDATE devices SET current_session_key = NULL, session_lease_until = NULL
    WHERE id = ${id} AND current_session_key = ${sessionKey}::uuid`.execute(db);
}

/**
 * Ends a finished session's hold on the device and counts its outcome, in one statement rather than two
 * (the session runner's record transaction is on every session's path): the run of failed sessions is reset
 * (`reset`) or grows by one (`add`), and the lease is freed only if this session still holds it. The new
 * count and the status it was counted in; undefined when the device is gone.
 */
export async function endSessionLease(
  db: Executor,
  id: string,
  sessionKey: string,
  failures: 'reset' | 'add',
): Promise<{ session_failures: number; status: string } | undefined> {
  const count = failures === 'reset' ? sql`0` : sql`session_failures + 1`;
  const { rows } = await sql<{ session_failures: number; status: string }>`
    UPDATE devices
    SET session_failures = ${count},
        current_session_key = CASE WHEN current_session_key = ${sessionKey}::uuid THEN NULL ELSE current_session_key END,
        session_lease_until = CASE WHEN current_session_key = ${sessionKey}::uuid THEN NULL ELSE session_lease_until END
    WHERE id = ${id}
    RETURNING session_failures, status`.execute(db);
  return rows[0];
}

/** Devices by id, udid or name, for the references people type. */
export async function deviceIdsByRef(db: Executor, refs: string[]): Promise<Map<string, string>> {
  if (refs.length === 0) return new Map();
  const uuids = refs.filter(isUuid);
  const rows = await db
    .selectFrom('devices')
    .select(['id', 'udid', 'name'])
    .where((eb) =>
      eb.or([
        ...(uuids.length ? [eb('id', 'in', uuids)] : []),
        eb('udid', 'in', refs),
        eb('name', 'in', refs),
      ]),
    )
    .execute();
  const found = new Map<string, string>();
  for (const row of rows) {
    for (const key of [row.id, row.udid, row.name]) if (refs.includes(key)) found.set(key, row.id);
  }
  return found;
}
