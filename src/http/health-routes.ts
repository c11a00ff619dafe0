// Liveness and readiness, without auth: orchestrators and load balancers call them.
import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../db/pool.ts';

const READY_TIMEOUT_MS = 2_000;

export const healthRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const schema = {
    tags: ['health'],
    security: [],
    response: {
      200: z.object({ status: z.string() }),
      503: z.object({ status: z.string(), reason: z.string() }),
    },
  };

  // Liveness: the process serves requests. It does not touch the database, so a database outage does not
  // get a healthy process restarted.
  app.get('/healthz', { schema, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  // Readiness: the database answers within a bound.
  app.get('/readyz', { schema, logLevel: 'warn' }, async (_request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`SELECT 1`.execute(db),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
            READY_TIMEOUT_MS,
          );
        }),
      ]);
      return { status: 'ready' };
    } catch (err) {
      return reply
        .status(503)
        .header('retry-after', '5')
        .send({
          status: 'unavailable',
          reason: `database: ${(err as Error).message}`,
        });
    } finally {
      clearTimeout(timer);
    }
  });
};
