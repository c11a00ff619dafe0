// The overview's counts, for the dashboard's first page: each an aggregate in the database
// (src/overview/overview-reads.ts), so no client pages through lists to count a large fleet.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readOverview } from '../../overview/overview-reads.ts';

import type { ApiDeps } from '../api-deps.ts';
import { op } from '../operation.ts';

const count = z.number().int();
const counts = z.record(z.string(), count);

const overviewSchema = z.object({
  at: z.date(),
  since: z.date().describe('where the last-24-hours figures start: at minus 24 hours'),
  devices: counts.describe('devices by status; a status nobody is in is left out'),
  accounts: counts.describe('live (not deleted) accounts by state; a state nobody is in is left out'),
  unresolvedEvents: counts.describe('unresolved system events by severity'),
  sessions: z.object({
    total: count.describe('warming sessions started in the last 24 hours'),
    byOutcome: counts.describe(
      "by the executor's outcome; running: not finished; unknown: finished without one",
    ),
  }),
  posts: z.object({
    posted: count.describe('distributions posted in the last 24 hours'),
    failed: count.describe('distributions failed in the last 24 hours (counted from when they were planned)'),
  }),
});

export const overviewRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/overview',
    op('overview', {
      summary: 'Count devices, accounts, unresolved events, and the last 24 hours of sessions and posts',
      response: { 200: overviewSchema },
    }),
    async () => readOverview(db),
  );
};
