// Warming sessions as they start and complete, as Server-Sent Events (the dashboard's Schedule page). The
// one shared poller behind it is src/warming/session-stream.ts; each message's `id` is its time cursor (exact UTC
// text), which a reconnecting EventSource sends back as Last-Event-ID to resume from there.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isExactTime } from '../../db/keyset.ts';
import { sessionStreamStart, type WarmingSession } from '../../warming/session-reads.ts';
import type { ApiDeps } from '../api-deps.ts';
import { scopeOf } from '../auth.ts';
import { encodeOnce, eventStreamResponses, sendEventStream } from '../sse.ts';
import { resolveSessionFilter, sessionFilterQuery, sessionSchema } from './warming.ts';
import { op } from '../operation.ts';

export const warmingStreamRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, streams }) => {
  const encodeSession = encodeOnce((session: WarmingSession) => sessionSchema.encode(session));
  app.get(
    '/warming/sessions/stream',
    op('warming', {
      summary:
        'Warming sessions as they start and complete (Server-Sent Events; resumes after Last-Event-ID)',
      description:
        'Each message is one session as /warming/sessions lists it: sent when it starts (completedAt null) ' +
        'and again when it completes (with its outcome); one that starts and completes between two polls ' +
        '(about 1.5 s) is sent once. `id` is a time cursor: EventSource sends it back as Last-Event-ID on ' +
        'reconnecting, and gets what changed since. Without one, the stream starts from now. A comment ' +
        'line is sent every 15 s to keep proxies from closing the connection. Open streams are capped per ' +
        'token, per address and in all (429 with Retry-After); a client that stops reading is disconnected.',
      querystring: z.strictObject(sessionFilterQuery),
      headers: z.looseObject({
        'last-event-id': z
          .string()
          .refine(isExactTime, 'an id sent by this stream, like 2026-01-02T03:04:05.123456Z')
          .optional(),
      }),
      response: eventStreamResponses(),
    }),
    async (request, reply) => {
      const filter = await resolveSessionFilter(db, request.query, scopeOf(request));
      return sendEventStream(request, reply, {
        streams,
        kind: 'warming_sessions',
        start: () => sessionStreamStart(db),
        // One shared poller for every open stream (session-stream.ts), filtering in memory.
        feed: (from, send, signal) =>
          streams.sessions.watch({
            filter,
            from,
            signal,
            send: (session, cursor) => send(cursor, encodeSession(session)),
          }),
      });
    },
  );
};
