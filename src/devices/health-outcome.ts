// What one WebDriverAgent probe means for one device: the status it moves to, the columns that change, and
// the conditions it raises or finds cleared. Decided from the device as read, with no database access, so
// that the health monitor decides the same way from the row its round read (a quiet check, one guarded
// UPDATE) and from the row it locked (the full write).
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Severity } from '../events/event-model.ts';
import { healthTransitions, type Device, type DeviceCondition, type DeviceStatus } from './device-model.ts';
import type { DeviceUpdate } from './devices-repository.ts';
import type { WdaProbe } from './wda-client.ts';

export type HealthSettings = Config['health'];

/** A probe that concluded something (one the monitor abandoned did not). */
export type Conclusive = Exclude<WdaProbe, { kind: 'aborted' }>;

/**
 * A condition the probe found (its event is opened unless one is open already) or found cleared (its open
 * events are resolved, with the reason).
 */
export type Verdict =
  | {
      type: DeviceCondition;
      raise: { severity: Severity; message: string; context: Record<string, unknown> };
    }
  | { type: DeviceCondition; clear: string };

export interface HealthOutcome {
  after: DeviceStatus;
  /** Unhealthy polls in a row, this one included; 0 when healthy. */
  failures: number;
  /** The columns that change (never empty: a healthy probe sets last_seen_at, an unhealthy one counts). */
  changes: DeviceUpdate;
  batteryLevel: number | null;
  iosVersion: string | null;
  /** In the order their events are written. */
  verdicts: Verdict[];
}

export function healthOutcome(
  device: Device,
  probe: Conclusive,
  health: HealthSettings,
  now: Date,
): HealthOutcome {
  const healthy = probe.kind === 'healthy';
  // Counted in the row, so restarts and other checkers continue the same count.
  const failures = healthy ? 0 : device.healthFailures + 1;
  const who = `${device.name} (${device.udid})`;

  // Status: only between active and disconnected, and only after enough unhealthy polls in a row.
  const transition = healthTransitions[device.status];
  let after: DeviceStatus = device.status;
  if (transition && healthy) after = transition.healthy;
  if (transition && !healthy && failures >= health.failuresBeforeDisconnect) after = transition.unhealthy;

  const changes: DeviceUpdate = {};
  if (failures !== device.healthFailures) changes.health_failures = failures;
  if (healthy) changes.last_seen_at = sql<Date>`now()`;
  if (after !== device.status) changes.status = after;
  if (after === 'active' && device.connectedSince === null) changes.connected_since = sql<Date>`now()`;
  if (after === 'disconnected' && device.connectedSince !== null) changes.connected_since = null;
  let iosVersion = device.iosVersion;
  if (probe.kind === 'healthy' && probe.iosVersion !== null && probe.iosVersion !== iosVersion) {
    changes.ios_version = iosVersion = probe.iosVersion;
  }
  const battery = batteryAfter(device, probe, health.batteryStaleMinutes, now);
  if (battery.level !== device.batteryLevel) changes.battery_level = battery.level;
  if (battery.readAt !== device.batteryReadAt) changes.battery_read_at = battery.readAt;
  if (battery.unknownReason !== device.batteryUnknownReason) {
    changes.battery_unknown_reason = battery.unknownReason;
  }

  const verdicts: Verdict[] = [];
  if (device.status === 'active' && after === 'disconnected') {
    const reason = reasonOf(probe);
    verdicts.push({
      type: 'device_disconnected',
      raise: {
        severity: 'warning',
        message: `${who} disconnected: ${reason} (unhealthy ${failures === 1 ? 'once' : `${failures} times in a row`})`,
        context: { reason, outcome: outcomeOf(probe), consecutiveFailures: failures },
      },
    });
  }
  if (healthy) {
    verdicts.push({ type: 'device_disconnected', clear: 'WDA answers again' });
    verdicts.push({ type: 'wda_error', clear: 'WDA answers again' });
  }
  if (probe.kind === 'error') {
    verdicts.push({
      type: 'wda_error',
      raise: {
        severity: 'error',
        message: `${who}: WebDriverAgent answered with an error: ${probe.reason}`,
        context: { reason: probe.reason, httpStatus: probe.httpStatus },
      },
    });
  }
  // Thresholds on the latest known values: WDA reports no storage, so that one is what people entered. A
  // battery reading too old to trust is null here: it neither raises nor clears battery_low.
  const level = battery.level;
  const below = (
    type: 'battery_low' | 'storage_low',
    value: number | null,
    limit: number,
    raise: { message: string; context: Record<string, unknown> },
    clear: string,
  ) => {
    if (value === null) return;
    verdicts.push(value < limit ? { type, raise: { severity: 'warning', ...raise } } : { type, clear });
  };
  below(
    'battery_low',
    level,
    health.batteryLowPercent,
    {
      message: `${who}: battery at ${level}% (below ${health.batteryLowPercent}%)`,
      context: { batteryLevel: level, threshold: health.batteryLowPercent, readAt: battery.readAt },
    },
    `battery at ${level}%`,
  );
  const storage = device.storageFreeGb;
  below(
    'storage_low',
    storage,
    health.storageLowGb,
    {
      message: `${who}: ${storage} GB free (below ${health.storageLowGb} GB)`,
      context: { storageFreeGb: storage, threshold: health.storageLowGb },
    },
    `${storage} GB free`,
  );
  return { after, failures, changes, batteryLevel: level, iosVersion, verdicts };
}

/**
 * Whether the outcome writes no event: it moves no status (so it records no reconnection and opens no
 * device_disconnected), raises no condition, and clears only conditions with no open event (`isOpen`).
 * Such a check needs no transaction: its changes are one UPDATE.
 */
export function isQuiet(
  device: Device,
  outcome: HealthOutcome,
  isOpen: (type: DeviceCondition) => boolean,
): boolean {
  return outcome.after === device.status && outcome.verdicts.every((v) => 'clear' in v && !isOpen(v.type));
}

/**
 * The device's battery after a probe. A reading taken now replaces the last one. A probe that could not
 * read it (no WDA session, a session that changed, WDA unreachable) keeps the last reading, with its time
 * and the reason, until that reading is older than the limit: then the level is unknown (null), so it
 * neither shows as current nor raises or resolves battery_low.
 */
export function batteryAfter(
  device: Pick<Device, 'batteryLevel' | 'batteryReadAt' | 'batteryUnknownReason'>,
  probe: Conclusive,
  staleMinutes: number,
  now: Date,
): { level: number | null; readAt: Date | null; unknownReason: string | null } {
  if (probe.kind === 'healthy' && probe.batteryLevel !== null) {
    return { level: probe.batteryLevel, readAt: now, unknownReason: null };
  }
  const reason =
    probe.kind !== 'healthy'
      ? `WDA did not answer: ${probe.reason}`
      : (probe.batteryProblem ?? 'WDA has no session, so the battery cannot be read');
  const readAt = device.batteryReadAt;
  const fresh = readAt !== null && now.getTime() - readAt.getTime() <= staleMinutes * 60_000;
  return { level: fresh ? device.batteryLevel : null, readAt, unknownReason: reason.slice(0, 500) };
}

export function outcomeOf(probe: Conclusive): 'healthy' | 'unreachable' | 'wda_error' {
  return probe.kind === 'healthy' ? 'healthy' : probe.kind === 'error' ? 'wda_error' : 'unreachable';
}

export function reasonOf(probe: Conclusive): string | null {
  return probe.kind === 'healthy' ? null : probe.reason;
}
