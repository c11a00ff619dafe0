// The event log: list (newest first, keyset-paginated, the CLI's filters), show, resolve one or many, the
// categories and types to filter by, and a live stream of new events as Server-Sent Events.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { resolvers, severities } from '../../events/event-model.ts';
import type { SystemEvent } from '../../events/event-model.ts';
import {
  eventFilter,
  getEvent,
  latestEventId,
  queryEvents,
  eventVocabulary,
  resolveEvent,
  resolveEventFilters,
  resolveEvents,
} from '../../events/events-service.ts';
import { actorOf } from '../auth.ts';
import { encodeOnce, eventStreamResponses, sendEventStream } from '../sse.ts';
import {
  booleanParam,
  integerParam,
  listParam,
  pageQuery,
  pageResponses,
  refParam,
  timeParam,
} from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { op } from '../operation.ts';

export const eventSchema = z.object({
  id: z.number().int(),
  timestamp: z.date(),
  category: z.string(),
  severity: z.enum(severities),
  eventType: z.string(),
  deviceId: z.string().nullable(),
  accountId: z.string().nullable(),
  message: z.string(),
  context: z.record(z.string(), z.unknown()).describe('free-form; keys that look like secrets are redacted'),
  resolved: z.boolean(),
  resolvedBy: z.enum(resolvers).nullable(),
  resolvedAt: z.date().nullable(),
});

const filterFields = {
  unresolved: booleanParam.optional(),
  severity: listParam(severities).optional().describe('comma-separated, or repeated'),
  category: z.string().max(100).optional(),
  type: z.string().max(100).optional(),
  device: refParam.optional().describe('device id, udid or name'),
  account: refParam.optional().describe('account id, platform:username or username'),
  since: timeParam.optional().describe('ISO-8601, or a duration ago like 2h, 7d'),
  until: timeParam.optional(),
};

const filters = z.strictObject(filterFields);

const eventId = z.strictObject({ id: integerParam(1, Number.MAX_SAFE_INTEGER) });

export const eventsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, streams }) => {
  const encodeEvent = encodeOnce((event: SystemEvent) => eventSchema.encode(event));

  app.get(
    '/events',
    op('events', {
      summary: 'List events, newest first',
      querystring: z.strictObject({ ...filterFields, ...pageQuery(1000) }),
      response: pageResponses('events', eventSchema),
    }),
    async (request) => {
      const { after, limit, ...f } = request.query;
      return queryEvents(db, { ...(await resolveEventFilters(db, f)), after, limit });
    },
  );

  app.get(
    '/events/stream',
    op('events', {
      summary: 'New events as they are recorded (Server-Sent Events; resumes after Last-Event-ID)',
      description:
        'Each event is one SSE message: `id` is the event id, `data` the event as JSON. A comment line is ' +
        'sent every 15 s to keep proxies from closing the connection. Browsers reconnecting with ' +
        'EventSource send Last-Event-ID and get what they missed. Open streams are capped per token, per ' +
        'address and in all (429 with Retry-After); a client that stops reading is disconnected.',
      querystring: filters,
      // Loose: every other header passes through untouched.
      headers: z.looseObject({
        'last-event-id': integerParam(0, Number.MAX_SAFE_INTEGER).optional(),
      }),
      response: eventStreamResponses(),
    }),
    async (request, reply) => {
      // Checked before the stream opens: a bad filter is a 400, not a stream that ends at once.
      const filter = eventFilter(await resolveEventFilters(db, request.query));
      return sendEventStream(request, reply, {
        streams,
        kind: 'events',
        start: () => latestEventId(db),
        // One shared reader for every open stream (event-fanout.ts), filtering in memory.
        feed: (fromId, send, signal) =>
          streams.events.follow(filter, fromId, (event) => send(event.id, encodeEvent(event)), signal),
      });
    },
  );

  app.get(
    '/events/:id',
    op('events', {
      summary: 'One event',
      params: eventId,
      response: { 200: eventSchema },
    }),
    async (request) => getEvent(db, request.params.id),
  );

  app.post(
    '/events/:id/resolve',
    op('events', {
      action: 'events.resolve',
      summary: 'Resolve an event, saying by whom and why',
      params: eventId,
      body: z.strictObject({
        by: z.enum(resolvers),
        note: z.string().max(2000).optional().describe('what was done'),
      }),
      response: { 200: eventSchema },
    }),
    async (request) =>
      resolveEvent(db, request.params.id, {
        by: request.body.by,
        note: request.body.note,
        actor: actorOf(request),
      }),
  );

  app.get(
    '/events/types',
    op('events', {
      summary: 'The categories and event types to filter by: the known categories and every type present',
      response: {
        200: z.object({
          categories: z.array(z.string()),
          types: z.array(z.object({ type: z.string(), category: z.string() })),
        }),
      },
    }),
    async () => eventVocabulary(db),
  );

  app.post(
    '/events/resolve',
    {
      schema: {
        tags: ['events'],
        summary: 'Resolve many events at once, with one note',
        description:
          'Resolves every open event among ids. Ids already resolved (someone was quicker) or unknown are ' +
          'listed in the answer, not refused.',
        body: z.strictObject({
          ids: z.array(z.number().int().min(1)).min(1).max(500).describe('event ids, at most 500'),
          by: z.enum(resolvers),
          note: z.string().max(2000).optional().describe('what was done'),
        }),
        response: {
          200: z.object({
            resolved: z.array(eventSchema),
            alreadyResolved: z.array(z.number().int()),
            notFound: z.array(z.number().int()),
          }),
        },
      },
      config: { action: 'events.resolve' },
    },
    async (request) =>
      resolveEvents(db, request.body.ids, {
        by: request.body.by,
        note: request.body.note,
        actor: actorOf(request),
      }),
  );
};
