// A device's part in warming sessions: the lease that gives the phone to one session at a time, and the
// count of failed sessions in a row that marks a phone failed. The session runner (src/warming) decides when;
// the devices table is written here.
//
// The lease is held by the session's key, so a retry of the same session takes it back after a crash, and
// anyone else waits for it to run out.
import type { Executor } from '../db/executor.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Device } from './device-model.ts';
import {
  claimSessionLease,
  endSessionLease,
  releaseSessionLease,
  renewSessionLease,
  updateDeviceRow,
} from './devices-repository.ts';

/** What a session needs of its device, as the device is when the session takes it. */
export type ClaimedDevice = Pick<Device, 'id' | 'name' | 'udid' | 'host' | 'wdaPort'>;

/**
 * Takes the device for a session until `until`, and returns it (the claim is the session's read of the
 * device); undefined when another live session holds it or it is not active.
 */
export async function claimForSession(
  db: Executor,
  deviceId: string,
  sessionKey: string,
  until: Date,
  now: Date,
): Promise<ClaimedDevice | undefined> {
  const row = await claimSessionLease(db, deviceId, sessionKey, until, now);
  return row && { id: row.id, name: row.name, udid: row.udid, host: row.host, wdaPort: row.wda_port };
}

/** Keeps the device for a running session; false when the lease was lost to another session. */
export async function renewForSession(
  db: Executor,
  deviceId: string,
  sessionKey: string,
  until: Date,
): Promise<boolean> {
  return renewSessionLease(db, deviceId, sessionKey, until);
}

/** Gives the device back, if the session still holds it. */
export async function releaseFromSession(db: Executor, deviceId: string, sessionKey: string): Promise<void> {
  await releaseSessionLease(db, deviceId, sessionKey);
}

/**
 * A session succeeded on the device: its run of failures is over, and the device is given back if the
 * session still holds it (one statement for both).
 */
export async function sessionSucceeded(trx: Executor, deviceId: string, sessionKey: string): Promise<void> {
  await endSessionLease(trx, deviceId, sessionKey, 'reset');
}

/**
 * A session failed on the device (device lost, timeout, error): the device is given back if the session
 * still holds it, and `limit` failures in a row mark an active device failed, with a critical event: the
 * scheduler stops giving it sessions until someone looks.
 */
export async function sessionFailed(
  trx: Executor,
  device: Pick<Device, 'id' | 'name' | 'udid'>,
  failure: { limit: number; sessionKey: string },
): Promise<void> {
  const row = await endSessionLease(trx, device.id, failure.sessionKey, 'add');
  if (!row || row.session_failures < failure.limit || row.status !== 'active') return;
  await updateDeviceRow(trx, device.id, { status: 'failed' });
  await recordEvent(trx, {
    category: 'device',
    severity: 'critical',
    eventType: 'device_failed',
    deviceId: device.id,
    message: `${device.name} (${device.udid}) marked failed after ${row.session_failures} failed sessions in a row`,
    context: {
      sessionFailures: row.session_failures,
      limit: failure.limit,
      lastSession: failure.sessionKey,
    },
  });
}
