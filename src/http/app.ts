// The HTTP app factory, separate from the process entry point so tests can inject() against it.
//
//   /healthz, /readyz          liveness and readiness, public
//   /metrics                   Prometheus exposition (a token unless SOVI_METRICS_TOKEN_REQUIRED=false)
//   /api/docs, /api/openapi.json   the API's description, public
//   /media/<key>?expires&signature   rendered media behind a signed URL, public (media-routes.ts)
//   /api/v1/…                  the API: every route wants a token (see auth.ts); resources in routes/
//   /oauth/callback/:platform  where a platform sends a person back after authorizing sovi, public
//   /mcp                       the MCP server for agents (src/mcp/mcp-http.ts; a bearer token)
//   /, /assets/…               the dashboard (web.ts), built from web/
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { PipelineJobSink } from '../content/pipeline.ts';
import type { Db } from '../db/pool.ts';
import { createEventNotifier } from '../events/event-notifier.ts';
import { createAuthCache } from '../auth/auth-cache.ts';
import type { Logger } from '../logger.ts';
import { logRequests } from './request-log.ts';
import type { Policies } from '../policies.ts';
import type { Vault } from '../vault/vault.ts';
import { guardRoutes, registerAuth } from './auth.ts';
import { checkRouteRoles, type RouteRoles } from './route-roles.ts';
import { createLiveStreams } from './live-streams.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { healthRoutes } from './health-routes.ts';
import { mediaRoutes } from './media-routes.ts';
import { openMediaStore, type MediaStore } from '../media/media-store.ts';
import { mediaSigning, type MediaSigning } from '../media/signed-media-url.ts';
import { registerJsonBodyParser } from './json-body.ts';
import { refuseNulBytes } from './nul-bytes.ts';
import { registerMetrics } from './metrics.ts';
import { registerOpenApi } from './openapi.ts';
import { registerRequestDeadline } from './request-deadline.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import type { ApiDeps } from './api-deps.ts';
import { apiResources } from './routes/index.ts';
import { addStandardErrors } from './schemas.ts';
import { MAX_REF_LENGTH } from './schemas.ts';
import { webRoutes } from './web.ts';
import { oauthCallbackRoutes } from './oauth-callback.ts';
import { registerMcpRoute } from '../mcp/mcp-http.ts';
import { toolDepsOf } from '../mcp/tool-kit.ts';
import type { PlanResult } from '../warming/planner.ts';

export interface AppDeps {
  db: Db;
  /** For the event stream's LISTEN connection. */
  pool: pg.Pool;
  logger: Logger;
  vault: Vault;
  config: Config;
  /** The warming and content policies this process loaded (src/policies.ts). */
  policies: Policies;
  /** Where content production is queued (the host's content worker); without it, produce and retry are 503. */
  contentSink?: PipelineJobSink;
  /** The media store and URL signing key (default: from config.media and the vault keys). */
  media?: { store: MediaStore; signing: MediaSigning | undefined };
  /** Runs the host's warming planner now (the MCP tool run_planner); absent without a worker. */
  planNow?: () => Promise<PlanResult>;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const settings = deps.config.api;
  // Typed as Fastify's logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    // One line per request instead, from request-log.ts.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: settings.trustProxy === false ? false : [...settings.trustProxy],
    // The router refuses longer path parameters with a 404: let through every name a resource may have.
    routerOptions: { maxParamLength: MAX_REF_LENGTH },
    // Bounds on what a client may hold: the whole request (a body trickled a byte at a time included) must
    // arrive within receiveTimeoutMs, a connection where nothing moves is closed, and so is an idle keep-alive.
    requestTimeout: settings.receiveTimeoutMs,
    connectionTimeout: settings.idleTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    http: {
      headersTimeout: settings.receiveTimeoutMs,
      // Node checks the two timeouts above every 30 s by default: a bound overrun by 30 s is hardly one.
      connectionsCheckingInterval: Math.min(1_000, settings.receiveTimeoutMs),
    },
  });
  logRequests(app, settings.slowRequestMs);
  registerJsonBodyParser(app);
  refuseNulBytes(app);
  // Requests are validated and responses serialized by the routes' zod schemas. Request objects are strict
  // (an unknown field is a 400 naming it), and a response carries only what its schema lists.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerRequestDeadline(app, settings.requestTimeoutMs);

  registerSecurityHeaders(app);
  // Bearer tokens and cookie sessions are looked up once per process, then forgotten when they change
  // (auth-cache.ts).
  const authCache = createAuthCache(deps.pool, deps.logger);
  app.addHook('onClose', async () => authCache.close());
  const auth = await registerAuth(app, deps.db, settings, authCache);
  const routeRoles: RouteRoles = new Map();
  await registerOpenApi(app, routeRoles);
  const events = createEventNotifier(deps.pool, deps.logger);
  const streams = createLiveStreams({ db: deps.db, events, logger: deps.logger, settings });
  registerMetrics(app, {
    db: deps.db,
    auth,
    tokenRequired: settings.metricsTokenRequired,
    registries: [streams.registry],
  });
  await app.register(healthRoutes, { db: deps.db });
  const media = deps.media ?? {
    store: await openMediaStore(deps.config.media.store),
    signing: signingOrNone(deps),
  };
  if (!deps.media) app.addHook('onClose', async () => media.store.close?.());
  await app.register(mediaRoutes, media);

  // Open event streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => streams.closeAll());
  app.addHook('onClose', async () => events.close());

  const apiDeps: ApiDeps = {
    db: deps.db,
    pool: deps.pool,
    vault: deps.vault,
    logger: deps.logger,
    auth,
    streams,
    defaultHost: deps.config.host,
    config: deps.config,
    policies: deps.policies,
    contentSink: deps.contentSink,
    planNow: deps.planNow,
  };
  await app.register(
    async (api) => {
      guardRoutes(api, auth);
      checkRouteRoles(api, routeRoles);
      addStandardErrors(api);
      for (const resource of apiResources) await api.register(resource, apiDeps);
    },
    { prefix: '/api/v1' },
  );
  await app.register(oauthCallbackRoutes, {
    db: deps.db,
    vault: deps.vault,
    settings: deps.config.connectors,
    logger: deps.logger,
  });
  registerMcpRoute(app, auth, toolDepsOf(deps));
  await app.register(webRoutes);
  return app;
}

/** The media URL signing key; a vault key that cannot be read leaves /media/ refusing everything. */
function signingOrNone(deps: AppDeps): MediaSigning | undefined {
  try {
    return mediaSigning(deps.config.media, deps.config.vault);
  } catch (err) {
    deps.logger.warn(
      { err: (err as Error).message },
      'no media URL signing key: /media/ refuses every request',
    );
    return undefined;
  }
}
