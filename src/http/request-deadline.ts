// A bound on how long a read waits for its answer. Each query already has bounds (the pool's connect
// timeout, the statement timeout), but a request may run several queries one after another, and a server
// that stopped answering without closing its connections would hold each one for the whole statement
// timeout. A GET still unanswered after SOVI_HTTP_REQUEST_TIMEOUT_MS gets a 503 with a retry hint, so a
// client (or a load balancer) never waits longer. Writes are left alone: a 503 sent while the write goes on
// to commit would tell the client it failed when it did not.
import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from './error-handler.ts';

export function registerRequestDeadline(app: FastifyInstance, timeoutMs: number): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      done();
      return;
    }
    const timer = setTimeout(() => {
      // A stream (Server-Sent Events) has sent its headers long ago and is meant to stay open.
      if (reply.sent || reply.raw.headersSent) return;
      request.log.warn({ timeoutMs }, 'request answered 503: no answer within the request timeout');
      void reply
        .status(503)
        .header('retry-after', '5')
        .send({
          error: {
            code: 'unavailable',
            message: `no answer within ${timeoutMs} ms (the database may be unavailable); retry shortly`,
          },
        } satisfies ErrorBody);
    }, timeoutMs);
    timer.unref();
    // 'close' comes once the response is finished or the client went away, whoever answered.
    reply.raw.once('close', () => clearTimeout(timer));
    done();
  });
}
