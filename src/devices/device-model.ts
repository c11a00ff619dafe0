// The device fleet's vocabulary: the statuses the database also enforces (001_initial_schema.sql), the
// domain object, and what the health monitor may do to a status.
import type { OneOf } from '../errors.ts';

export const deviceStatuses = ['active', 'maintenance', 'failed', 'disconnected'] as const;
export type DeviceStatus = OneOf<typeof deviceStatuses>;

export interface Device {
  id: string;
  name: string;
  model: string | null;
  udid: string;
  /** The machine the phone is plugged into; only that machine's worker and monitor use it. */
  host: string;
  iosVersion: string | null;
  /** The local port iproxy forwards to the device's WebDriverAgent; null: not monitored. */
  wdaPort: number | null;
  status: DeviceStatus;
  connectedSince: Date | null;
  /** 0–100; null when unknown (never read, or the last reading grew too old: see batteryUnknownReason). */
  batteryLevel: number | null;
  /** When the battery was last read (by the health monitor, or entered by hand). */
  batteryReadAt: Date | null;
  /** Why the latest attempt could not read the battery; null when it could. */
  batteryUnknownReason: string | null;
  storageFreeGb: number | null;
  /** Failed sessions in a row (device lost, timeout, error). */
  sessionFailures: number;
  /** The session using the device now, if any. */
  currentSessionKey: string | null;
  /** Unhealthy WebDriverAgent polls in a row. */
  healthFailures: number;
  /** When WebDriverAgent last answered healthy. */
  lastSeenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDevice {
  name: string;
  udid: string;
  /** Default 'local' (the column's default). */
  host?: string;
  model?: string | null;
  iosVersion?: string | null;
  wdaPort?: number | null;
  /** Default disconnected: a device is not trusted with work until a health check has seen it. */
  status?: DeviceStatus;
  /** What people entered: WDA reports no storage. */
  storageFreeGb?: number | null;
}

export interface DeviceChanges {
  name?: string;
  host?: string;
  model?: string | null;
  iosVersion?: string | null;
  wdaPort?: number | null;
  status?: DeviceStatus;
  batteryLevel?: number | null;
  storageFreeGb?: number | null;
}

/**
 * The health monitor's transitions, per status. It moves devices only between active and disconnected:
 * a failed device is polled but never moved (the scheduler or an operator decides), and a device in
 * maintenance is not polled at all.
 */
export const healthTransitions: Record<
  DeviceStatus,
  { healthy: DeviceStatus; unhealthy: DeviceStatus } | null
> = {
  active: { healthy: 'active', unhealthy: 'disconnected' },
  disconnected: { healthy: 'active', unhealthy: 'disconnected' },
  failed: null,
  maintenance: null,
};

/**
 * The conditions the health monitor reports (category `device`): at most one open event of each type per
 * device, auto-resolved when the condition clears. It also records `device_reconnected` (info), a fact
 * rather than a condition.
 */
export const deviceConditions = ['device_disconnected', 'wda_error', 'battery_low', 'storage_low'] as const;
export type DeviceCondition = OneOf<typeof deviceConditions>;
