// One log line per request, after its answer, at a level that says whether anyone should read it: debug for
// a request that went well, warn for a slow one (SOVI_SLOW_REQUEST_MS), info for a client error and error for
// a server error. Fastify's own pair of lines per request (received, completed) is off: at info, a dashboard
// polling a few routes buried everything else in the log.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Requests whose failure the error handler logged already, with its error: no second line for them. */
const logged = new WeakSet<FastifyRequest>();

export const errorLogged = (request: FastifyRequest): void => void logged.add(request);

export function logRequests(app: FastifyInstance, slowRequestMs: number): void {
  // Callback hooks, not async ones: each async hook costs every request a promise and a turn of the queue.
  app.addHook('onResponse', (request, reply, done) => {
    if (!logged.has(request)) logLine(request, reply, slowRequestMs);
    done();
  });
  // A client that hung up before its answer gets no response line: say so, at debug (it is the client's doing).
  app.addHook('onRequestAbort', (request, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    request.log.debug(
      { method: request.method, route, aborted: true },
      `${request.method} ${route} aborted by the client`,
    );
    done();
  });
}

function logLine(request: FastifyRequest, reply: FastifyReply, slowRequestMs: number): void {
  const ms = reply.elapsedTime;
  const status = reply.statusCode;
  const level = status >= 500 ? 'error' : ms >= slowRequestMs ? 'warn' : status >= 400 ? 'info' : 'debug';
  // The route's pattern, not the URL: a query string may carry a filter a person would rather not log.
  const route = request.routeOptions.url ?? 'unmatched';
  request.log[level](
    { method: request.method, route, status, ms: Math.round(ms * 10) / 10 },
    `${request.method} ${route} ${status} ${Math.round(ms)} ms`,
  );
}
