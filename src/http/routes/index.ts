// The API's resources, registered under /api/v1 in this order. Adding a resource is one file in this folder
// exporting a FastifyPluginAsyncZod<ApiDeps>, and one line here.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../api-deps.ts';
import { accountsRoutes } from './accounts.ts';
import { auditRoutes } from './audit.ts';
import { calendarRoutes } from './calendar.ts';
import { connectionsRoutes } from './connections.ts';
import { contentRoutes } from './content.ts';
import { devicesRoutes } from './devices.ts';
import { distributionsRoutes } from './distributions.ts';
import { eventsRoutes } from './events.ts';
import { hooksRoutes } from './hooks.ts';
import { metricsRoutes } from './metrics.ts';
import { nichesRoutes } from './niches.ts';
import { notificationsRoutes } from './notifications.ts';
import { overviewRoutes } from './overview.ts';
import { reviewRoutes } from './review.ts';
import { sessionRoutes } from './session.ts';
import { settingsRoutes } from './settings.ts';
import { tokensRoutes } from './tokens.ts';
import { trendsRoutes } from './trends.ts';
import { triageRoutes } from './triage.ts';
import { usersRoutes } from './users.ts';
import { warmingRoutes } from './warming.ts';
import { warmingStreamRoutes } from './warming-stream.ts';

export const apiResources: readonly FastifyPluginAsyncZod<ApiDeps>[] = [
  sessionRoutes,
  usersRoutes,
  tokensRoutes,
  nichesRoutes,
  devicesRoutes,
  accountsRoutes,
  eventsRoutes,
  triageRoutes,
  warmingRoutes,
  hooksRoutes,
  // Before contentRoutes: GET /content/review is a path of its own, not a content id.
  reviewRoutes,
  contentRoutes,
  distributionsRoutes,
  calendarRoutes,
  metricsRoutes,
  trendsRoutes,
  warmingStreamRoutes,
  overviewRoutes,
  settingsRoutes,
  auditRoutes,
  notificationsRoutes,
  connectionsRoutes,
];
