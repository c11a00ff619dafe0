// The API's resources, registered under /api/v1 in this order. Adding a resource is one file in this folder
// exporting a FastifyPluginAsyncZod<ApiDeps>, and one line here.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type pg from 'pg';
import type { Db } from '../../db/pool.ts';
import type { Logger } from '../../logger.ts';
import type { Vault } from '../../vault/vault.ts';
import type { Auth } from '../auth.ts';
import type { EventNotifier } from '../event-stream.ts';
import { accountsRoutes } from './accounts.ts';
import { devicesRoutes } from './devices.ts';
import { eventsRoutes } from './events.ts';
import { nichesRoutes } from './niches.ts';
import { sessionRoutes } from './session.ts';
import type { Config } from '../../config.ts';
import type { PipelineJobSink } from '../../content/pipeline.ts';
import { warmingRoutes } from './warming.ts';
import { hooksRoutes } from './hooks.ts';
import { contentRoutes } from './content.ts';
import { distributionsRoutes } from './distributions.ts';
import { metricsRoutes } from './metrics.ts';
import { trendsRoutes } from './trends.ts';
import { warmingStreamRoutes } from './warming-stream.ts';
import { overviewRoutes } from './overview.ts';
import { settingsRoutes } from './settings.ts';

/** What a resource's routes get. The caller (actor) of a request is actorOf(request), from auth.ts. */
export interface ApiDeps {
  db: Db;
  pool: pg.Pool;
  vault: Vault;
  logger: Logger;
  auth: Auth;
  events: EventNotifier;
  /** Where a device added without a host is plugged in: this server's host (SOVI_HOST_NAME). */
  defaultHost: string;
  /** Tracks open streams so that closing the app ends them. */
  streams: Set<AbortController>;
  /** The policies and settings the domain routes follow (warming, content, media, metrics, trends). */
  config?: Config;
  /** Where content production is queued (pipelineJobSink); without it, produce and retry answer 503. */
  contentSink?: PipelineJobSink;
}

export const apiResources: readonly FastifyPluginAsyncZod<ApiDeps>[] = [
  sessionRoutes,
  nichesRoutes,
  devicesRoutes,
  accountsRoutes,
  eventsRoutes,
  warmingRoutes,
  hooksRoutes,
  contentRoutes,
  distributionsRoutes,
  metricsRoutes,
  trendsRoutes,
  warmingStreamRoutes,
  overviewRoutes,
  settingsRoutes,
];
