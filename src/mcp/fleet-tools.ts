// The fleet for agents: its health at a glance, one device in full, maintenance in and out, the warming
// schedule, and running the planner now (answering with what it planned, so no one has to poll).
import { z } from 'zod';
import { recordAudit } from '../audit/audit-service.ts';
import { deviceStatuses } from '../devices/device-model.ts';
import { getDeviceDetails, listDevices, updateDevice } from '../devices/devices-service.ts';
import { SoviError } from '../errors.ts';
import { readOverview } from '../overview/overview-reads.ts';
import { scheduleStatus } from '../warming/schedule-reads.ts';
import { ref } from './tool-args.ts';
import { defineTool } from './tool-kit.ts';

const unwell: readonly string[] = deviceStatuses.filter((s) => s !== 'active');

export const fleetTools = [
  defineTool({
    name: 'fleet_health',
    title: 'Fleet health',
    description:
      'Counts of devices by status, accounts by state, unresolved events by severity and the last 24 hours ' +
      'of sessions and posts, plus every device that is not active (in maintenance, failed, disconnected). ' +
      'Use it for an overall picture before looking at single events.',
    action: 'read',
    input: {},
    async run(ctx) {
      const overview = await readOverview(ctx.db);
      const devices = (await listDevices(ctx.db)).filter((d) => unwell.includes(d.status));
      return {
        ...overview,
        devicesNeedingAttention: devices.map((d) => ({
          id: d.id,
          name: d.name,
          host: d.host,
          status: d.status,
          batteryLevel: d.batteryLevel,
          storageFreeGb: d.storageFreeGb,
          lastSeenAt: d.lastSeenAt,
          healthFailures: d.healthFailures,
          sessionFailures: d.sessionFailures,
        })),
      };
    },
  }),
  defineTool({
    name: 'get_device',
    title: 'One device',
    description:
      'One phone: status, battery, storage, health and session failures, the live accounts on it and its ' +
      'recent events. Use it when an event names a device.',
    action: 'read',
    input: { device: ref.describe('device id, udid or name') },
    run: (ctx, a) => getDeviceDetails(ctx.db, a.device),
  }),
  defineTool({
    name: 'set_device_maintenance',
    title: 'Device maintenance in or out',
    description:
      'Puts a device in maintenance (no sessions start on it: for a low battery, low storage, a crashed ' +
      'WebDriverAgent) or takes it out (back to active). Audited with your name.',
    action: 'devices.write',
    input: {
      device: ref.describe('device id, udid or name'),
      maintenance: z.boolean().describe('true: into maintenance; false: back to active'),
    },
    async run(ctx, a) {
      const status = a.maintenance ? 'maintenance' : 'active';
      return updateDevice(ctx.db, a.device, { status }, ctx.caller.actor);
    },
  }),
  defineTool({
    name: 'schedule_status',
    title: 'Warming schedule',
    description:
      'The warming schedule: how many accounts are due, the next ones in order, each device’s queue and the ' +
      'last hour of sessions by outcome. Use it to see whether warming keeps up.',
    action: 'read',
    input: {
      host: z.string().max(100).optional().describe("only this host's devices"),
      next: z.number().int().min(0).max(100).optional().describe('how many next accounts (default 10)'),
    },
    run: (ctx, a) => scheduleStatus(ctx.db, ctx.policies.warming, { host: a.host, next: a.next }),
  }),
  defineTool({
    name: 'run_planner',
    title: 'Run the warming planner now',
    description:
      'Runs the warming planner once now for this host (it also runs every minute on its own) and answers ' +
      'with what it planned: sessions queued, accounts assigned, accounts waiting for a device. Use it after ' +
      'freeing a device or resuming accounts.',
    action: 'schedule.write',
    input: {},
    async run(ctx) {
      if (!ctx.planNow) {
        throw new SoviError('unavailable', 'no job engine runs in this process: the planner cannot run here');
      }
      const result = await ctx.planNow();
      await recordAudit(ctx.db, {
        actor: ctx.caller.actor,
        action: 'schedule.plan',
        targetType: 'schedule',
        targetId: result.host,
        targetLabel: `warming plan on ${result.host}`,
        note: `planned ${result.planned}, assigned ${result.assigned}, no device ${result.noDevice}`,
      });
      return result;
    },
  }),
];
