// Notification channels, their rules, test sends and the delivery log. Reading them is for operators (no
// secret is ever in a response: only whether each is set); changing them is for admins, since channels hold
// secrets. A webhook's signing secret is in the response that made it, and never again.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sendTest } from '../../notifications/notification-delivery.ts';
import {
  channelKinds,
  deliveryKinds,
  deliveryStatuses,
  emailSecurities,
} from '../../notifications/notification-model.ts';
import {
  addChannel,
  addRule,
  getChannel,
  listChannels,
  listDeliveries,
  listRules,
  removeChannel,
  removeRule,
  updateChannel,
} from '../../notifications/notifications-service.ts';
import { severities } from '../../events/event-model.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf } from '../auth.ts';
import { idParams, pageQuery, pageResponses, refParam } from '../schemas.ts';
import { op } from '../operation.ts';

const clock = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/)
  .describe('local HH:MM');
const quietHours = z
  .object({ start: clock, end: clock })
  .describe('only critical goes out between these (local)');

const emailSettings = z.object({
  host: z.string(),
  port: z.number().int(),
  security: z.enum(emailSecurities),
  user: z.string().nullable(),
  from: z.string(),
  to: z.array(z.string()),
  tlsVerify: z.boolean(),
});

export const channelSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(channelKinds),
  enabled: z.boolean(),
  timeZone: z.string(),
  quietHours: quietHours.nullable(),
  digestTime: z.string(),
  groupWindowSeconds: z.number().int(),
  email: emailSettings.nullable(),
  secrets: z
    .object({ url: z.boolean(), signingKey: z.boolean(), smtpPassword: z.boolean() })
    .describe('whether each secret is stored (sealed); never its value'),
  consecutiveFailures: z.number().int(),
  failingSince: z.date().nullable().describe('set while the channel keeps failing'),
  lastDeliveryAt: z.date().nullable(),
  lastDeliveryStatus: z.string().nullable(),
  lastDigestAt: z.date(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const ruleSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  channelName: z.string(),
  minSeverity: z.enum(severities),
  categories: z.array(z.string()).nullable(),
  eventTypes: z.array(z.string()).nullable(),
  nicheIds: z.array(z.string()).nullable(),
  createdAt: z.date(),
});

const deliverySchema = z.object({
  id: z.number().int(),
  channelId: z.string(),
  channelName: z.string(),
  kind: z.enum(deliveryKinds),
  eventIds: z.array(z.number().int()),
  groupKey: z.string().nullable(),
  count: z.number().int(),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  lastResult: z.string().nullable().describe('the HTTP status code or SMTP reply of the last attempt'),
  latencyMs: z.number().int().nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
});

const withSecret = z.object({
  channel: channelSchema,
  signingSecret: z
    .string()
    .nullable()
    .describe(
      'a webhook: the HMAC-SHA256 key, shown this once (X-Sovi-Signature over "<X-Sovi-Timestamp>.<body>")',
    ),
});

const emailInput = z.strictObject({
  host: z.string().max(300),
  port: z.number().int().min(1).max(65_535).optional(),
  security: z.enum(emailSecurities).optional(),
  user: z.string().max(300).nullable().optional(),
  from: z.string().max(300),
  to: z.array(z.string().max(300)).min(1).max(50),
  tlsVerify: z.boolean().optional(),
});

const channelFields = {
  enabled: z.boolean().optional(),
  timeZone: z.string().max(100).optional().describe('IANA time zone (default UTC)'),
  quietHours: quietHours.nullable().optional(),
  digestTime: clock.optional(),
  groupWindowSeconds: z.number().int().min(1).max(86_400).optional(),
  url: z
    .string()
    .max(2000)
    .optional()
    .describe('webhook or slack: the URL to post to (sealed; never shown again)'),
};

const channelParams = z.strictObject({ id: refParam.describe('channel id or name') });

export const notificationsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, vault, logger }) => {
  const deps = (request: Parameters<typeof actorOf>[0]) => ({ db, vault, actor: actorOf(request) });

  app.get(
    '/notifications/channels',
    op('notifications', {
      action: 'notifications.read',
      summary: 'Notification channels with their last delivery and whether they are failing',
      response: { 200: z.object({ channels: z.array(channelSchema) }) },
    }),
    async () => ({ channels: await listChannels(db) }),
  );

  app.get(
    '/notifications/channels/:id',
    op('notifications', {
      action: 'notifications.read',
      summary: 'One channel',
      params: channelParams,
      response: { 200: channelSchema },
    }),
    async (request) => getChannel(db, request.params.id),
  );

  app.post(
    '/notifications/channels',
    op('notifications', {
      action: 'notifications.manage',
      summary: 'Add a channel (a webhook gets a signing secret, returned this once)',
      body: z.strictObject({
        name: z.string().max(100),
        kind: z.enum(channelKinds),
        ...channelFields,
        email: emailInput.optional(),
        smtpPassword: z.string().max(1000).optional().describe('email: the SMTP password (sealed)'),
      }),
      response: { 201: withSecret },
    }),
    async (request, reply) => reply.status(201).send(await addChannel(deps(request), request.body)),
  );

  app.patch(
    '/notifications/channels/:id',
    op('notifications', {
      action: 'notifications.manage',
      summary: 'Change a channel; secrets given are replaced, a new signing secret is returned once',
      params: channelParams,
      body: z.strictObject({
        name: z.string().max(100).optional(),
        ...channelFields,
        email: emailInput.partial().optional(),
        smtpPassword: z.string().max(1000).nullable().optional(),
        rotateSigningSecret: z.boolean().optional(),
      }),
      response: { 200: withSecret },
    }),
    async (request) => updateChannel(deps(request), request.params.id, request.body),
  );

  app.delete(
    '/notifications/channels/:id',
    op('notifications', {
      action: 'notifications.manage',
      summary: 'Remove a channel, its rules and its delivery log',
      params: channelParams,
      response: { 200: channelSchema },
    }),
    async (request) => removeChannel(deps(request), request.params.id),
  );

  app.post(
    '/notifications/channels/:id/test',
    op('notifications', {
      action: 'notifications.manage',
      summary: 'Send a test message now; answers with the delivery and what the peer said',
      params: channelParams,
      body: z.strictObject({}).nullish(),
      response: { 200: deliverySchema },
    }),
    async (request) => sendTest({ db, vault, logger, actor: actorOf(request) }, request.params.id),
  );

  app.get(
    '/notifications/rules',
    op('notifications', {
      action: 'notifications.read',
      summary: 'Rules: which events go to which channel',
      querystring: z.strictObject({ channel: refParam.optional().describe('channel id or name') }),
      response: { 200: z.object({ rules: z.array(ruleSchema) }) },
    }),
    async (request) => ({ rules: await listRules(db, request.query.channel) }),
  );

  app.post(
    '/notifications/rules',
    op('notifications', {
      action: 'notifications.manage',
      summary: 'Route events at or above a severity (and of these categories, types, niches) to a channel',
      body: z.strictObject({
        channel: refParam.describe('channel id or name'),
        minSeverity: z.enum(severities).optional().describe('default warning'),
        categories: z.array(z.string().max(100)).max(50).optional(),
        eventTypes: z.array(z.string().max(100)).max(100).optional(),
        niches: z.array(refParam).max(100).optional().describe('niche slugs or ids'),
      }),
      response: { 201: ruleSchema },
    }),
    async (request, reply) => reply.status(201).send(await addRule(deps(request), request.body)),
  );

  app.delete(
    '/notifications/rules/:id',
    op('notifications', {
      action: 'notifications.manage',
      summary: 'Remove a rule',
      params: idParams('rule'),
      response: { 200: ruleSchema },
    }),
    async (request) => removeRule(deps(request), request.params.id),
  );

  app.get(
    '/notifications/deliveries',
    op('notifications', {
      action: 'notifications.read',
      summary: 'The delivery log, newest first',
      querystring: z.strictObject({
        channel: refParam.optional().describe('channel id or name'),
        status: z.enum(deliveryStatuses).optional(),
        ...pageQuery(1000, 50),
      }),
      response: pageResponses('deliveries', deliverySchema),
    }),
    async (request) => listDeliveries(db, request.query),
  );
};
