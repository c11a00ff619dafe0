import { Option, type Command } from 'commander';
import { deviceStatuses, type Device, type DeviceChanges } from '../devices/device-model.ts';
import {
  createDevice,
  getDeviceDetails,
  listDevices,
  removeDevice,
  updateDevice,
  type DeviceDetails,
} from '../devices/devices-service.ts';
import { startHealthMonitor, type DeviceCheck, type HealthReport } from '../devices/health-monitor.ts';
import { invalidInput } from '../errors.ts';
import { action } from './context.ts';
import { fields, json, shortTime, table } from './format.ts';
import { parseChoice, parseInteger, parseNumber } from './parse.ts';
import { readCommand } from './read-command.ts';

interface DeviceOptions {
  name?: string;
  udid?: string;
  model?: string;
  iosVersion?: string;
  wdaPort?: string;
  status?: string;
  host?: string;
}

interface UpdateOptions extends DeviceOptions {
  storageFreeGb?: string;
  battery?: string;
}

const statusChoices = deviceStatuses.join('|');

export function registerDevicesCommands(devices: Command): void {
  devices
    .command('add')
    .description(
      'add a device (status disconnected until a health check sees it, unless --status says otherwise)',
    )
    .option('--name <name>', 'the name people call it by (required, unique)')
    .option('--udid <udid>', 'its UDID (required, unique)')
    .option('--model <model>', 'e.g. "iPhone 13"')
    .option('--ios-version <version>', 'e.g. 17.5.1 (the health monitor records what WDA reports)')
    .option(
      '--wda-port <port>',
      'the local port iproxy forwards to its WebDriverAgent (1-65535); without it, it is not monitored',
    )
    .addOption(new Option('--status <status>', `${statusChoices} (default disconnected)`))
    .option('--host <host>', 'the machine it is plugged into (default: this one, SOVI_HOST_NAME)')
    .action(
      action(async (ctx, options: DeviceOptions) => {
        const device = await createDevice(
          await ctx.db(),
          {
            name: required('--name', options.name),
            udid: required('--udid', options.udid),
            host: options.host ?? ctx.config.host,
            model: options.model,
            iosVersion: options.iosVersion,
            wdaPort: options.wdaPort === undefined ? undefined : parsePort(options.wdaPort),
            status:
              options.status === undefined
                ? undefined
                : parseChoice('--status', options.status, deviceStatuses),
          },
          ctx.config.actor,
        );
        ctx.print(
          `added device ${device.name} (udid ${device.udid}, id ${device.id}), status ${device.status}`,
        );
      }),
    );

  devices
    .command('list')
    .description('list the devices, by name')
    .addOption(new Option('--status <status>', `only devices with this status: ${statusChoices}`))
    .option('--host <host>', 'only devices plugged into this machine')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, options: { status?: string; host?: string; json?: boolean }) => {
        const status =
          options.status === undefined ? undefined : parseChoice('--status', options.status, deviceStatuses);
        const list = await listDevices(await ctx.db(), { status, host: options.host });
        if (options.json) return ctx.print(json(list));
        if (list.length === 0)
          return ctx.print(status ? `no ${status} devices` : 'no devices: add one with sovi devices add');
        ctx.print(
          table(
            [
              'name',
              'host',
              'udid',
              'model',
              'iOS',
              'port',
              'status',
              'battery',
              'storage',
              'connected since',
              'last seen',
            ],
            list.map((d) => [
              d.name,
              d.host,
              d.udid,
              d.model,
              d.iosVersion,
              d.wdaPort,
              d.status,
              battery(d),
              gigabytes(d.storageFreeGb),
              shortTime(d.connectedSince),
              shortTime(d.lastSeenAt) || 'never',
            ]),
          ),
        );
      }),
    );

  readCommand(devices, {
    spec: 'show <ref>',
    description: 'show a device (by id, udid or name), its assigned accounts and its recent events',
    read: async (ctx, ref: string) => getDeviceDetails(await ctx.db(), ref),
    text: formatDetails,
  });

  devices
    .command('update <ref>')
    .description('change a device (by id, udid or name); an empty --model or --ios-version clears it')
    .option('--name <name>', 'a new name (unique)')
    .option('--host <host>', 'the machine it is plugged into now')
    .option('--model <model>', 'e.g. "iPhone 13"')
    .option('--ios-version <version>', 'e.g. 17.5.1')
    .option('--wda-port <port>', 'the WebDriverAgent port (1-65535), or "none" to stop monitoring it')
    .addOption(new Option('--status <status>', statusChoices))
    .option('--storage-free-gb <gb>', 'free storage in GB, as read off the phone (WDA does not report it)')
    .option('--battery <percent>', 'battery level, 0-100')
    .action(
      action(async (ctx, ref: string, options: UpdateOptions) => {
        const changes: DeviceChanges = {
          name: options.name === undefined ? undefined : required('--name', options.name),
          host: options.host,
          model: options.model,
          iosVersion: options.iosVersion,
          wdaPort:
            options.wdaPort === undefined
              ? undefined
              : options.wdaPort === 'none'
                ? null
                : parsePort(options.wdaPort),
          status:
            options.status === undefined
              ? undefined
              : parseChoice('--status', options.status, deviceStatuses),
          storageFreeGb:
            options.storageFreeGb === undefined
              ? undefined
              : parseNumber('--storage-free-gb', options.storageFreeGb, 0, 1_000_000),
          batteryLevel:
            options.battery === undefined ? undefined : parseNumber('--battery', options.battery, 0, 100),
        };
        if (Object.values(changes).every((value) => value === undefined)) {
          throw invalidInput(
            'options',
            'nothing to update: pass at least one of --name, --host, --model, --ios-version, --wda-port, --status, --storage-free-gb, --battery',
          );
        }
        const device = await updateDevice(await ctx.db(), ref, changes, ctx.config.actor);
        ctx.print(`updated device ${device.name} (udid ${device.udid}): ${summary(device)}`);
      }),
    );

  devices
    .command('remove <ref>')
    .description('delete a device (by id, udid or name); refused while accounts are assigned to it')
    .option('--force', 'remove it anyway, unassigning its accounts')
    .action(
      action(async (ctx, ref: string, options: { force?: boolean }) => {
        const { device, unassignedAccounts } = await removeDevice(
          await ctx.db(),
          ref,
          { force: options.force === true },
          ctx.config.actor,
        );
        const unassigned =
          unassignedAccounts > 0
            ? `; unassigned ${unassignedAccounts} account${unassignedAccounts === 1 ? '' : 's'}`
            : '';
        ctx.print(`removed device ${device.name} (udid ${device.udid})${unassigned}`);
      }),
    );

  devices
    .command('check')
    .description("run one health round now: poll every device's WebDriverAgent and record what changed")
    .addHelpText(
      'after',
      '\nDevices in maintenance and devices without a WDA port are skipped. Unhealthy polls in a row are\n' +
        'counted in the database, across checks and restarts: an active device becomes disconnected after\n' +
        'SOVI_HEALTH_FAILURES_BEFORE_DISCONNECT of them. `sovi up` polls every SOVI_HEALTH_INTERVAL_MS.',
    )
    .option(
      '--host <host>',
      'the machine whose devices to check (default this one): their WDA ports are local to it',
    )
    .option('--json', 'print the report as JSON')
    .action(
      action(async (ctx, options: { json?: boolean; host?: string }) => {
        const db = await ctx.db();
        const monitor = startHealthMonitor({
          db,
          health: ctx.config.health,
          logger: ctx.logger,
          schedule: false,
          host: options.host ?? ctx.config.host,
        });
        ctx.onClose(() => monitor.stop());
        const report = await monitor.runOnce();
        ctx.print(
          options.json ? json(report) : formatReport(report, ctx.config.health.failuresBeforeDisconnect),
        );
      }),
    );
}

function required(option: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '')
    throw invalidInput(option, `${option}: a non-empty value is required`);
  return value;
}

function parsePort(value: string): number {
  return parseInteger('--wda-port', value, 1, 65535);
}

const percent = (value: number | null) => (value === null ? '' : `${value}%`);

/** The battery with the age of its reading: "72% (3 min ago)", or "unknown (last read 2 h ago)". */
function battery(d: Pick<Device, 'batteryLevel' | 'batteryReadAt'>, now = Date.now()): string {
  if (d.batteryReadAt === null) return d.batteryLevel === null ? '' : percent(d.batteryLevel);
  const age = ago(now - d.batteryReadAt.getTime());
  return d.batteryLevel === null ? `unknown (last read ${age})` : `${percent(d.batteryLevel)} (${age})`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
const gigabytes = (value: number | null) => (value === null ? '' : `${value} GB`);

function summary(d: Device): string {
  return [
    `status ${d.status}`,
    d.wdaPort === null ? 'no WDA port' : `WDA port ${d.wdaPort}`,
    ...(d.batteryLevel === null && d.batteryReadAt === null ? [] : [`battery ${battery(d)}`]),
    ...(d.storageFreeGb === null ? [] : [`${gigabytes(d.storageFreeGb)} free`]),
  ].join(', ');
}

function formatDetails({ device: d, assignedAccounts, recentEvents }: DeviceDetails): string {
  return fields([
    ['name', d.name],
    ['id', d.id],
    ['udid', d.udid],
    ['model', d.model],
    ['iOS', d.iosVersion],
    ['WDA port', d.wdaPort ?? 'none (not monitored)'],
    ['status', d.status],
    ['battery', battery(d)],
    ['not read now', d.batteryUnknownReason],
    ['storage free', gigabytes(d.storageFreeGb)],
    ['connected since', shortTime(d.connectedSince)],
    ['last seen', shortTime(d.lastSeenAt) || 'never'],
    ['health', d.healthFailures === 0 ? 'ok' : `${d.healthFailures} unhealthy poll(s) in a row`],
    ['accounts', `${assignedAccounts} assigned`],
    ['added', shortTime(d.createdAt)],
    ['last updated', shortTime(d.updatedAt)],
    '',
    'recent events',
    recentEvents.length === 0
      ? '  none'
      : table(
          ['time', 'severity', 'type', 'state', 'message'],
          recentEvents.map((e) => [
            shortTime(e.timestamp),
            e.severity,
            e.eventType,
            e.resolved ? `resolved (${e.resolvedBy ?? '?'})` : 'open',
            e.message,
          ]),
        ),
  ]);
}

function formatReport(report: HealthReport, failuresBeforeDisconnect: number): string {
  if (report.devices.length === 0) return 'no devices: add one with sovi devices add';
  const skipped = report.devices.filter((c) => c.outcome === 'skipped').length;
  return [
    table(
      ['name', 'udid', 'status', 'battery', 'what happened'],
      report.devices.map((c) => [
        c.name,
        c.udid,
        c.before === c.after ? c.after : `${c.before} → ${c.after}`,
        percent(c.batteryLevel),
        happened(c, failuresBeforeDisconnect),
      ]),
    ),
    `${report.devices.length - skipped} polled, ${skipped} skipped, in ${report.durationMs} ms`,
  ].join('\n');
}

function happened(c: DeviceCheck, failuresBeforeDisconnect: number): string {
  let text: string;
  if (c.outcome === 'healthy') text = 'healthy';
  else if (c.outcome === 'skipped') text = `skipped: ${c.reason ?? ''}`;
  else {
    text = `${c.outcome === 'wda_error' ? 'WDA error' : 'unreachable'}: ${c.reason ?? ''}`;
    if (c.before === 'active' && c.after === 'active') {
      text += ` (${c.consecutiveFailures} of ${failuresBeforeDisconnect} in a row before it counts as disconnected)`;
    }
  }
  const parts = [text, ...c.events.map((e) => `${e.change} ${e.type}`)];
  if (c.error !== undefined) parts.push(`not recorded: ${c.error}`);
  return parts.join('; ');
}
