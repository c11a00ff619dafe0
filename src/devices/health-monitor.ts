// The fleet's health monitor: polls each device's WebDriverAgent, keeps the device's status and readings
// current, and reports conditions in the event log. It runs a round every SOVI_HEALTH_INTERVAL_MS inside
// `sovi up`, and one round for `sovi devices check`.
//
// One dead phone must not delay the others: each device's probe has one deadline (SOVI_HEALTH_TIMEOUT_MS)
// and probes run side by side (SOVI_HEALTH_CONCURRENCY), so a round over hanging devices lasts about one
// timeout. The HTTP work happens outside any transaction. What a probe means is decided in
// health-outcome.ts; writing it takes one of two paths:
// - Quiet (almost every check: a healthy phone staying healthy, or an unhealthy one counting a failure): no
//   status moves and no event is written, since the round read once which conditions are open. Its changes
//   (last_seen_at, the battery reading) are one UPDATE, guarded on the columns the decision read. A fleet of
//   200 phones polled every few seconds made these checks a quarter of a busy worker's statements when each
//   took a transaction of seven (BEGIN, lock, update, the resolves that found nothing, COMMIT).
// - Full (a status or a condition changes, or the row changed since the round read it): one short
//   transaction with the row locked, deciding again from the status and readings an operator may have
//   changed meanwhile, and writing the events.
import type { Db } from '../db/pool.ts';
import type { Executor } from '../db/executor.ts';
import {
  openDeviceEvents,
  openEventExists,
  recordEvent,
  resolveOpenEvents,
} from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { deviceConditions, type Device, type DeviceStatus } from './device-model.ts';
import {
  lockDevice,
  selectDeviceById,
  selectDevices,
  updateDeviceIfUnchanged,
  updateDeviceRow,
  type DeviceRow,
} from './devices-repository.ts';
import { findDeviceByRef, toDevice } from './devices-service.ts';
import { SoviError, notFound } from '../errors.ts';
import {
  healthOutcome,
  isQuiet,
  outcomeOf,
  reasonOf,
  type Conclusive,
  type HealthOutcome,
  type HealthSettings,
} from './health-outcome.ts';
import { probeWda } from './wda-client.ts';

export type { HealthSettings } from './health-outcome.ts';

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
    // One read of the open conditions for the whole round, so that a quiet check asks nothing of the event
    // log. A condition opened after this read by another health check is still seen in time: that check
    // either read the same readings (so this round's check raises too, and takes the full write) or changed
    // the row, which the quiet write is guarded on. One opened by anything else (a person, an agent) is
    // missed by this round's quiet check: the next round reads it, and resolves it if it has cleared.
    const probed = rows.filter((row) => row.status !== 'maintenance' && row.wda_port !== null);
    const open = await openDeviceEvents(
      db,
      probed.map((row) => row.id),
      deviceConditions,
    );
    const checks = await mapWithLimit(rows, health.concurrency, (row) =>
      check(row, open.get(row.id) ?? new Set()),
    );
    const durationMs = Math.round(performance.now() - started);
    logger.debug({ devices: checks.length, durationMs }, 'health round done');
    return { startedAt, durationMs, devices: checks };
  }

  async function check(row: DeviceRow, open: ReadonlySet<string>): Promise<DeviceCheck> {
    const device = toDevice(row);
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
      return (
        (await writeQuietly(row, device, probe, open)) ??
        (await db.transaction().execute((trx) => record(trx, device, probe)))
      );
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

  /**
   * The common check, one statement: decided from the row as the round read it, and written only while the
   * row is still so. Undefined when the check writes events, or the row changed since the round read it:
   * then the full write decides again.
   */
  async function writeQuietly(
    row: DeviceRow,
    device: Device,
    probe: Conclusive,
    open: ReadonlySet<string>,
  ): Promise<DeviceCheck | undefined> {
    const outcome = healthOutcome(device, probe, health, new Date());
    if (!isQuiet(device, outcome, (type) => open.has(type))) return undefined;
    if (!(await updateDeviceIfUnchanged(db, row, outcome.changes))) return undefined;
    return checkOf(device, probe, outcome, []);
  }

  /** The full write: the row locked and read again (an operator may have changed it), and the events. */
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
    const outcome = healthOutcome(device, probe, health, new Date());
    if (Object.keys(outcome.changes).length > 0) await updateDeviceRow(trx, device.id, outcome.changes);

    const events: EventChange[] = [];
    const context = { udid: device.udid, wdaPort: device.wdaPort };
    if (device.status === 'disconnected' && outcome.after === 'active') {
      await recordEvent(trx, {
        category: 'device',
        severity: 'info',
        eventType: 'device_reconnected',
        message: `${device.name} (${device.udid}) is connected again: WDA answers on port ${device.wdaPort}`,
        deviceId: device.id,
        context: { ...context, iosVersion: outcome.iosVersion },
      });
      events.push({ type: 'device_reconnected', change: 'recorded' });
      logger.info({ device: device.udid, name: device.name }, 'device reconnected');
    }
    if (device.status === 'active' && outcome.after === 'disconnected') {
      logger.info({ device: device.udid, name: device.name, reason: reasonOf(probe) }, 'device disconnected');
    }
    for (const verdict of outcome.verdicts) {
      const match = { eventType: verdict.type, deviceId: device.id };
      if ('clear' in verdict) {
        const resolved = await resolveOpenEvents(trx, match, { reason: verdict.clear });
        if (resolved.length > 0) events.push({ type: verdict.type, change: 'resolved' });
      } else if (!(await openEventExists(trx, match))) {
        const { severity, message, context: found } = verdict.raise;
        await recordEvent(trx, {
          category: 'device',
          severity,
          eventType: verdict.type,
          message,
          deviceId: device.id,
          context: { ...context, ...found },
        });
        events.push({ type: verdict.type, change: 'recorded' });
      }
    }
    return checkOf(device, probe, outcome, events);
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

/** The report of a check that wrote its outcome. */
function checkOf(
  device: Device,
  probe: Conclusive,
  outcome: HealthOutcome,
  events: EventChange[],
): DeviceCheck {
  return {
    deviceId: device.id,
    name: device.name,
    udid: device.udid,
    before: device.status,
    after: outcome.after,
    outcome: outcomeOf(probe),
    reason: reasonOf(probe),
    consecutiveFailures: outcome.failures,
    batteryLevel: outcome.batteryLevel,
    iosVersion: outcome.iosVersion,
    events,
  };
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
