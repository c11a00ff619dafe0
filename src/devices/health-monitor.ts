// The fleet's health monitor: polls each device's WebDriverAgent, keeps the device's status and readings
// current, and reports conditions in the event log. It runs a round every SOVI_HEALTH_INTERVAL_MS inside
// `sovi up`, and one round for `sovi devices check`.
//
// One dead phone must not delay the others: each device's probe has one deadline (SOVI_HEALTH_TIMEOUT_MS)
// and probes run side by side (SOVI_HEALTH_CONCURRENCY), so a round over hanging devices lasts about one
// timeout. The HTTP work happens outside any transaction; each device's writes then take one short
// transaction with its row locked, re-reading the status an operator may have changed meanwhile.
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Db } from '../db/pool.ts';
import type { Severity } from '../events/event-model.ts';

import type { Executor } from '../db/executor.ts';
import { openEventExists, recordEvent, resolveOpenEvents } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { healthTransitions, type Device, type DeviceCondition, type DeviceStatus } from './device-model.ts';
import {
  lockDevice,
  selectDeviceById,
  selectDevices,
  updateDeviceRow,
  type DeviceUpdate,
} from './devices-repository.ts';
import { findDeviceByRef, toDevice } from './devices-service.ts';
import { SoviError, notFound } from '../errors.ts';
import { probeWda, type WdaProbe } from './wda-client.ts';

export type HealthSettings = Config['health'];

export interface EventChange {
  type: string;
  change: 'recorded' | 'resolved';
}

export interface DeviceCheck {
  deviceId: string;
  name: string;
  udid: string;
  before: DeviceStatus;
  after: DeviceStatus;
  outcome: 'healthy' | 'unreachable' | 'wda_error' | 'skipped';
  /** Why the device was unhealthy or skipped; null when healthy. */
  reason: string | null;
  /** Unhealthy polls in a row, as the device's row counts them (0 when healthy). */
  consecutiveFailures: number;
  batteryLevel: number | null;
  iosVersion: string | null;
  /** Events this check recorded or auto-resolved. */
  events: EventChange[];
  /** Set when the result could not be written (the device is then unchanged). */
  error?: string;
}

export interface HealthReport {
  startedAt: Date;
  durationMs: number;
  /** Every device, in name order, including the skipped ones. */
  devices: DeviceCheck[];
}

export interface HealthMonitor {
  /** Runs a round now, or joins the one in flight: rounds never overlap. */
  runOnce(): Promise<HealthReport>;
  /** Stops scheduling, abandons the probes in flight, and waits for the round to finish its writes. */
  stop(): Promise<void>;
}

export interface HealthMonitorOptions {
  db: Db;
  health: HealthSettings;
  logger: Logger;
  /** false: no rounds of its own, only runOnce() (what `sovi devices check` wants). Default true. */
  schedule?: boolean;
  /** Only the devices plugged into this machine (their WDA ports are local to it). Default: every device. */
  host?: string;
  /** Only this device (its id): a check of one phone ("check now" in the dashboard). */
  deviceId?: string;
}

type Conclusive = Exclude<WdaProbe, { kind: 'aborted' }>;

export function startHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const { db, health, logger } = options;
  const stopping = new AbortController();
  let inFlight: Promise<HealthReport> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const runOnce = (): Promise<HealthReport> => {
    if (stopping.signal.aborted) return Promise.reject(new Error('the health monitor is stopped'));
    inFlight ??= round().finally(() => (inFlight = undefined));
    return inFlight;
  };

  async function round(): Promise<HealthReport> {
    const startedAt = new Date();
    const started = performance.now();
    const rows =
      options.deviceId === undefined
        ? await selectDevices(db, { host: options.host })
        : [await selectDeviceById(db, options.deviceId)].filter((row) => row !== undefined);
    const devices = rows.map(toDevice);
    const checks = await mapWithLimit(devices, health.concurrency, check);
    const durationMs = Math.round(performance.now() - started);
    logger.debug({ devices: checks.length, durationMs }, 'health round done');
    return { startedAt, durationMs, devices: checks };
  }

  async function check(device: Device): Promise<DeviceCheck> {
    const unchanged: DeviceCheck = {
      deviceId: device.id,
      name: device.name,
      udid: device.udid,
      before: device.status,
      after: device.status,
      outcome: 'skipped',
      reason: null,
      consecutiveFailures: 0,
      batteryLevel: device.batteryLevel,
      iosVersion: device.iosVersion,
      events: [],
    };
    const skip =
      device.status === 'maintenance' ? 'in maintenance' : device.wdaPort === null ? 'no WDA port' : null;
    if (skip !== null || device.wdaPort === null) return { ...unchanged, reason: skip };
    const probe = await probeWda(wdaUrl(health.wdaHost, device.wdaPort), {
      timeoutMs: health.timeoutMs,
      signal: stopping.signal,
    });
    if (probe.kind === 'aborted') return { ...unchanged, reason: 'the monitor stopped' };
    try {
      return await db.transaction().execute((trx) => record(trx, device, probe));
    } catch (err) {
      logger.error({ err, device: device.udid }, 'could not record a health check');
      return {
        ...unchanged,
        outcome: outcomeOf(probe),
        reason: reasonOf(probe),
        consecutiveFailures: device.healthFailures,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }

  async function record(trx: Executor, seen: Device, probe: Conclusive): Promise<DeviceCheck> {
    const row = await lockDevice(trx, seen.id);
    const device = row ? toDevice(row) : undefined;
    if (!device || device.status === 'maintenance') {
      // Removed, or put in maintenance, while the probe was out: the operator's word stands.
      return {
        deviceId: seen.id,
        name: device?.name ?? seen.name,
        udid: seen.udid,
        before: device?.status ?? seen.status,
        after: device?.status ?? seen.status,
        outcome: 'skipped',
        reason: device ? 'put in maintenance during the check' : 'removed during the check',
        consecutiveFailures: device?.healthFailures ?? seen.healthFailures,
        batteryLevel: seen.batteryLevel,
        iosVersion: seen.iosVersion,
        events: [],
      };
    }
    const healthy = probe.kind === 'healthy';
    // Counted in the row (locked here), so restarts and other checkers continue the same count.
    const count = healthy ? 0 : device.healthFailures + 1;
    const events: EventChange[] = [];
    const who = `${device.name} (${device.udid})`;
    const open = async (type: DeviceCondition, severity: Severity, message: string, context: object) => {
      if (await openEventExists(trx, { eventType: type, deviceId: device.id })) return;
      await recordEvent(trx, {
        category: 'device',
        severity,
        eventType: type,
        message,
        deviceId: device.id,
        context: { udid: device.udid, wdaPort: device.wdaPort, ...context },
      });
      events.push({ type, change: 'recorded' });
    };
    const resolve = async (type: DeviceCondition, why: string) => {
      const resolved = await resolveOpenEvents(
        trx,
        { eventType: type, deviceId: device.id },
        { reason: why },
      );
      if (resolved.length > 0) events.push({ type, change: 'resolved' });
    };

    // Status: only between active and disconnected, and only after enough unhealthy polls in a row.
    const transition = healthTransitions[device.status];
    let after: DeviceStatus = device.status;
    if (transition && healthy) after = transition.healthy;
    if (transition && !healthy && count >= health.failuresBeforeDisconnect) after = transition.unhealthy;

    const changes: DeviceUpdate = {};
    if (count !== device.healthFailures) changes.health_failures = count;
    if (healthy) changes.last_seen_at = sql<Date>`now()`;
    if (after !== device.status) changes.status = after;
    if (after === 'active' && device.connectedSince === null) changes.connected_since = sql<Date>`now()`;
    if (after === 'disconnected' && device.connectedSince !== null) changes.connected_since = null;
    let iosVersion = device.iosVersion;
    if (probe.kind === 'healthy' && probe.iosVersion !== null && probe.iosVersion !== iosVersion) {
      changes.ios_version = iosVersion = probe.iosVersion;
    }
    const battery = batteryAfter(device, probe, health.batteryStaleMinutes, new Date());
    if (battery.level !== device.batteryLevel) changes.battery_level = battery.level;
    if (battery.readAt !== device.batteryReadAt) changes.battery_read_at = battery.readAt;
    if (battery.unknownReason !== device.batteryUnknownReason) {
      changes.battery_unknown_reason = battery.unknownReason;
    }
    const batteryLevel = battery.level;
    if (Object.keys(changes).length > 0) await updateDeviceRow(trx, device.id, changes);

    if (device.status === 'disconnected' && after === 'active') {
      await recordEvent(trx, {
        category: 'device',
        severity: 'info',
        eventType: 'device_reconnected',
        message: `${who} is connected again: WDA answers on port ${device.wdaPort}`,
        deviceId: device.id,
        context: { udid: device.udid, wdaPort: device.wdaPort, iosVersion },
      });
      events.push({ type: 'device_reconnected', change: 'recorded' });
      logger.info({ device: device.udid, name: device.name }, 'device reconnected');
    }
    if (device.status === 'active' && after === 'disconnected') {
      const reason = reasonOf(probe);
      await open(
        'device_disconnected',
        'warning',
        `${who} disconnected: ${reason} (unhealthy ${count === 1 ? 'once' : `${count} times in a row`})`,
        { reason, outcome: outcomeOf(probe), consecutiveFailures: count },
      );
      logger.info({ device: device.udid, name: device.name, reason }, 'device disconnected');
    }
    if (healthy) {
      await resolve('device_disconnected', 'WDA answers again');
      await resolve('wda_error', 'WDA answers again');
    }
    if (probe.kind === 'error') {
      await open('wda_error', 'error', `${who}: WebDriverAgent answered with an error: ${probe.reason}`, {
        reason: probe.reason,
        httpStatus: probe.httpStatus,
      });
    }
    // Thresholds on the latest known values: WDA reports no storage, so that one is what people entered. A
    // battery reading too old to trust is null here: it neither raises nor resolves battery_low.
    if (batteryLevel !== null) {
      if (batteryLevel < health.batteryLowPercent) {
        await open(
          'battery_low',
          'warning',
          `${who}: battery at ${batteryLevel}% (below ${health.batteryLowPercent}%)`,
          { batteryLevel, threshold: health.batteryLowPercent, readAt: battery.readAt },
        );
      } else {
        await resolve('battery_low', `battery at ${batteryLevel}%`);
      }
    }
    if (device.storageFreeGb !== null) {
      if (device.storageFreeGb < health.storageLowGb) {
        await open(
          'storage_low',
          'warning',
          `${who}: ${device.storageFreeGb} GB free (below ${health.storageLowGb} GB)`,
          { storageFreeGb: device.storageFreeGb, threshold: health.storageLowGb },
        );
      } else {
        await resolve('storage_low', `${device.storageFreeGb} GB free`);
      }
    }
    return {
      deviceId: device.id,
      name: device.name,
      udid: device.udid,
      before: device.status,
      after,
      outcome: outcomeOf(probe),
      reason: reasonOf(probe),
      consecutiveFailures: count,
      batteryLevel,
      iosVersion,
      events,
    };
  }

  const tick = () => {
    timer = undefined;
    const started = Date.now();
    void runOnce()
      .catch((err: unknown) => logger.error({ err }, 'health round failed'))
      .finally(() => {
        if (stopping.signal.aborted) return;
        timer = setTimeout(tick, Math.max(0, health.intervalMs - (Date.now() - started)));
        timer.unref();
      });
  };
  if (options.schedule !== false) {
    timer = setTimeout(tick, 0);
    timer.unref();
  }

  return {
    runOnce,
    stop: async () => {
      stopping.abort();
      clearTimeout(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}

/**
 * One health check of one device now, as a round of `sovi devices check` would do it, with the same writes
 * and events. Only a device plugged into this machine (`host`) can be checked: its WDA port is local to it.
 */
export async function checkDeviceNow(
  options: Omit<HealthMonitorOptions, 'schedule' | 'deviceId' | 'host'> & { host: string },
  ref: string,
): Promise<DeviceCheck> {
  const device = await findDeviceByRef(options.db, ref);
  if (device.host !== options.host) {
    throw new SoviError(
      'conflict',
      `device "${device.name}" is plugged into ${device.host}: its WebDriverAgent can be checked only from there (this is ${options.host})`,
      { field: 'host' },
    );
  }
  const monitor = startHealthMonitor({ ...options, schedule: false, deviceId: device.id });
  try {
    const [check] = (await monitor.runOnce()).devices;
    if (!check) throw notFound('device', `"${ref}"`);
    return check;
  } finally {
    await monitor.stop();
  }
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

function outcomeOf(probe: Conclusive): DeviceCheck['outcome'] {
  return probe.kind === 'healthy' ? 'healthy' : probe.kind === 'error' ? 'wda_error' : 'unreachable';
}

function reasonOf(probe: Conclusive): string | null {
  return probe.kind === 'healthy' ? null : probe.reason;
}

function wdaUrl(host: string, port: number): string {
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** Runs fn over items with at most `limit` at a time; results in the items' order. */
async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
