// Liveness and readiness, without auth: orchestrators and load balancers call them.
import { sql } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../db/pool.ts';

const READY_TIMEOUT_MS = 2_000;

export const healthRoutes: FastifyPluginAsync<{ db: Db }> = async (app, { db }) => {
  const schema = {
    response: {
      200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
      503: {
        type: 'object',
        properties: { status: { type: 'string' }, reason: { type: 'string' } },
        required: ['status', 'reason'],
      },
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
