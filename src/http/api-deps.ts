// What every API resource's routes get. Its own module, so that route files and the resource list
// (routes/index.ts) do not import each other. The caller (actor) of a request is actorOf(request), from auth.ts.
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { PipelineJobSink } from '../content/pipeline.ts';
import type { Db } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { Policies } from '../policies.ts';
import type { Vault } from '../vault/vault.ts';
import type { PlanResult } from '../warming/planner.ts';
import type { Auth } from './auth.ts';
import type { LiveStreams } from './live-streams.ts';

export interface ApiDeps {
  db: Db;
  pool: pg.Pool;
  vault: Vault;
  logger: Logger;
  auth: Auth;
  /** Where a device added without a host is plugged in: this server's host (SOVI_HOST_NAME). */
  defaultHost: string;
  /** The live streams' shared readers and caps; closing the app ends them. */
  streams: LiveStreams;
  /** The settings the domain routes follow (media folder, metrics ingest, trends). */
  config: Config;
  /** The warming and content policies, loaded once by the process that built the app. */
  policies: Policies;
  /** Where content production is queued (pipelineJobSink); without it, produce and retry answer 503. */
  contentSink?: PipelineJobSink;
  /** Runs the host's warming planner now (an accepted agent proposal may); absent without a worker. */
  planNow?: () => Promise<PlanResult>;
}
