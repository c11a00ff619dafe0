// Connections to the platforms' official APIs: start connecting an account (the authorization URL to open,
// bound to the caller), see how that request stands, and list connections (never a token).
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { connectionStatuses } from '../../connections/connection-model.ts';
import {
  connectOutcome,
  listConnections,
  startConnect,
  type ConnectionDeps,
} from '../../connections/connections-service.ts';
import { platforms } from '../../platforms.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { readErrors, refParam, writeErrors } from '../schemas.ts';
import { op } from '../operation.ts';

const noBody = z.strictObject({}).nullish();

const connection = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  username: z.string(),
  platform: z.enum(platforms),
  platformUserId: z.string().describe("TikTok's open_id or Instagram's user id"),
  scopes: z.array(z.string()),
  status: z.enum(connectionStatuses),
  statusReason: z.string().nullable(),
  postingNote: z
    .string()
    .nullable()
    .describe('what the platform says limits posting (e.g. private posts only)'),
  accessExpiresAt: z.date(),
  refreshExpiresAt: z.date().nullable(),
  lastRefreshedAt: z.date().nullable(),
  lastCallAt: z.date().nullable().describe('the last successful call to the platform'),
  connectedBy: z.string(),
  connectedAt: z.date(),
});

export const connectionsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const connectionDeps: ConnectionDeps = {
    db: deps.db,
    vault: deps.vault,
    settings: deps.config.connectors,
    logger: deps.logger,
  };
  const who = (request: Parameters<typeof actorOf>[0]) => ({
    actor: actorOf(request),
    userId: request.auth?.user?.id ?? null,
  });

  app.post(
    '/accounts/:id/connect',
    op('connections', {
      action: 'accounts.write',
      summary: "Start connecting an account to its platform's official API: open the URL it answers",
      params: z.strictObject({ id: refParam.describe('account id, platform:username or username') }),
      body: noBody,
      response: {
        201: z.object({
          accountId: z.uuid(),
          username: z.string(),
          platform: z.enum(platforms),
          url: z
            .string()
            .describe("the platform's authorization page; the person who owns the account opens it"),
          connectId: z.string().describe('GET /connections/requests/{connectId} tells how it stands'),
          expiresAt: z.date(),
        }),
        ...writeErrors(),
      },
    }),
    async (request, reply) => {
      const started = await startConnect(
        { ...connectionDeps, scope: scopeOf(request) },
        request.params.id,
        who(request),
      );
      return reply.code(201).send(started);
    },
  );

  app.get(
    '/connections/requests/:connectId',
    op('connections', {
      summary: 'How a connect request you started stands: pending, connected, failed or expired',
      params: z.strictObject({ connectId: z.string().max(64) }),
      response: {
        200: z.object({
          status: z.enum(['pending', 'connected', 'failed', 'expired']),
          message: z.string().optional(),
          expiresAt: z.date().optional(),
        }),
        ...readErrors(),
      },
    }),
    async (request) => connectOutcome(deps.db, request.params.connectId, who(request)),
  );

  app.get(
    '/connections',
    op('connections', {
      summary: 'Connections to the official APIs: platform, scopes, expiry, last refresh, last call, status',
      querystring: z.strictObject({
        platform: z.enum(platforms).optional(),
        status: z.enum(connectionStatuses).optional(),
      }),
      response: { 200: z.object({ connections: z.array(connection) }), ...readErrors() },
    }),
    async (request) => ({
      connections: await listConnections(deps.db, { ...request.query, scope: scopeOf(request) }),
    }),
  );
};
