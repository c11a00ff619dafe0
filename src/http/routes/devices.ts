// The phone fleet: list, show (with assigned accounts and recent events), create, update, remove, and check
// one phone's WebDriverAgent now. Devices are referred to by id, udid or name, as in the CLI.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { deviceStatuses } from '../../devices/device-model.ts';
import {
  createDevice,
  getDeviceDetails,
  listDevicePage,
  removeDevice,
  updateDevice,
} from '../../devices/devices-service.ts';
import { checkDeviceNow } from '../../devices/health-monitor.ts';
import { MAX_REF_LENGTH, booleanParam, pageQuery, pageResponses, refParam } from '../schemas.ts';
import { eventSchema } from './events.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf } from '../auth.ts';
import { op } from '../operation.ts';

const device = z.object({
  id: z.uuid(),
  name: z.string(),
  model: z.string().nullable(),
  udid: z.string(),
  host: z.string().describe('the machine the phone is plugged into'),
  iosVersion: z.string().nullable(),
  wdaPort: z.number().int().nullable().describe('null: not monitored'),
  status: z.enum(deviceStatuses),
  connectedSince: z.date().nullable(),
  batteryLevel: z
    .number()
    .nullable()
    .describe(
      '0–100; null when unknown: never read, or the last reading is older than SOVI_BATTERY_STALE_MINUTES',
    ),
  batteryReadAt: z.date().nullable().describe('when the battery was last read: the age of batteryLevel'),
  batteryUnknownReason: z
    .string()
    .nullable()
    .describe(
      'why the latest attempt could not read the battery (e.g. WDA has no session); null when it could',
    ),
  storageFreeGb: z.number().nullable(),
  sessionFailures: z.number().int().describe('failed warming sessions in a row'),
  currentSessionKey: z.string().nullable(),
  healthFailures: z.number().int().describe('unhealthy WebDriverAgent polls in a row'),
  lastSeenAt: z.date().nullable().describe('when WebDriverAgent last answered healthy'),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const text = (max: number) => z.string().max(max);
const host = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'expected letters, digits, . _ - (at most 100)');
const port = z.number().int().min(1).max(65535);

const deviceRef = z.strictObject({ ref: refParam.describe('device id, udid or name') });

const deviceCheck = z.object({
  deviceId: z.uuid(),
  name: z.string(),
  udid: z.string(),
  before: z.enum(deviceStatuses),
  after: z.enum(deviceStatuses),
  outcome: z
    .enum(['healthy', 'unreachable', 'wda_error', 'skipped'])
    .describe('skipped: in maintenance or without a WDA port'),
  reason: z.string().nullable().describe('why it was unhealthy or skipped; null when healthy'),
  consecutiveFailures: z.number().int().describe('unhealthy polls in a row'),
  batteryLevel: z.number().nullable(),
  iosVersion: z.string().nullable(),
  events: z.array(z.object({ type: z.string(), change: z.enum(['recorded', 'resolved']) })),
  error: z.string().optional().describe('set when the result could not be written'),
});

export const devicesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (
  app,
  { db, defaultHost, config, logger },
) => {
  app.get(
    '/devices',
    op('devices', {
      summary: 'List devices by name',
      querystring: z.strictObject({
        status: z.enum(deviceStatuses).optional(),
        host: text(100).optional().describe('only devices plugged into this machine'),
        ...pageQuery(1000),
      }),
      response: pageResponses('devices', device),
    }),
    async (request) => {
      const { status, host: onHost, after, limit } = request.query;
      return listDevicePage(db, { status, host: onHost, after, limit });
    },
  );

  app.get(
    '/devices/:ref',
    op('devices', {
      summary: 'One device, its assigned accounts and its recent events',
      params: deviceRef,
      response: {
        200: z.object({
          device,
          assignedAccounts: z.number().int().describe('live accounts on this device'),
          recentEvents: z.array(eventSchema),
        }),
      },
    }),
    async (request) => getDeviceDetails(db, request.params.ref),
  );

  app.post(
    '/devices',
    op('devices', {
      action: 'devices.write',
      summary: 'Add a device (disconnected until a health check sees it, unless status says otherwise)',
      body: z.strictObject({
        name: text(MAX_REF_LENGTH).describe('unique'),
        udid: text(MAX_REF_LENGTH).describe('unique'),
        host: host.optional().describe("default: the server's host (SOVI_HOST_NAME)"),
        model: text(200).nullable().optional(),
        iosVersion: text(50).nullable().optional(),
        wdaPort: port.nullable().optional(),
        status: z.enum(deviceStatuses).optional(),
        storageFreeGb: z.number().min(0).max(1_000_000).nullable().optional(),
      }),
      response: { 201: device },
    }),
    async (request, reply) => {
      const created = await createDevice(
        db,
        { ...request.body, host: request.body.host ?? defaultHost },
        actorOf(request),
      );
      return reply.status(201).send(created);
    },
  );

  app.patch(
    '/devices/:ref',
    op('devices', {
      action: 'devices.write',
      summary: 'Change a device; null clears model, iosVersion, wdaPort, batteryLevel, storageFreeGb',
      params: deviceRef,
      body: z.strictObject({
        name: text(MAX_REF_LENGTH).optional(),
        host: host.optional(),
        model: text(200).nullable().optional(),
        iosVersion: text(50).nullable().optional(),
        wdaPort: port.nullable().optional(),
        status: z.enum(deviceStatuses).optional(),
        batteryLevel: z.number().min(0).max(100).nullable().optional(),
        storageFreeGb: z.number().min(0).max(1_000_000).nullable().optional(),
      }),
      response: { 200: device },
    }),
    async (request) => updateDevice(db, request.params.ref, request.body, actorOf(request)),
  );

  app.delete(
    '/devices/:ref',
    op('devices', {
      action: 'devices.write',
      summary: 'Remove a device; refused (409) while accounts are assigned to it, unless force=true',
      params: deviceRef,
      querystring: z.strictObject({
        force: booleanParam.optional().describe('unassign its accounts and remove it anyway'),
      }),
      response: {
        200: z.object({ device, unassignedAccounts: z.number().int() }),
      },
    }),
    async (request) =>
      removeDevice(db, request.params.ref, { force: request.query.force === true }, actorOf(request)),
  );

  app.post(
    '/devices/:ref/check',
    op('devices', {
      action: 'devices.write',
      summary: "Check one phone's WebDriverAgent and battery now, as `sovi devices check` does",
      description:
        'Records what changed (status, battery, events) as a health round would. 409 for a device ' +
        'plugged into another machine: its WDA port is local to that one.',
      params: deviceRef,
      body: z.strictObject({}).nullish(),
      response: { 200: deviceCheck },
    }),
    async (request) =>
      checkDeviceNow({ db, health: config.health, logger, host: defaultHost }, request.params.ref),
  );
};
