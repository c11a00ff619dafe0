// What the API's live streams share: the one reader per stream kind (event-fanout.ts, session-stream.ts), the
// caps on open streams, and their metrics. Caps, because every open stream holds a socket, a buffer and a
// heartbeat timer: without them one token, or one address, could open streams until the server ran out.
// A refusal is a 429 naming the cap and its variable, with Retry-After.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Executor } from '../db/executor.ts';
import { SoviError } from '../errors.ts';
import { createEventFanout, type EventFanout } from '../events/event-fanout.ts';
import type { EventNotifier } from '../events/event-notifier.ts';
import type { Logger } from '../logger.ts';
import type { ApiSettings } from '../settings/api-settings.ts';
import { createSessionFanout, type SessionFanout } from '../warming/session-stream.ts';

export const streamKinds = ['events', 'warming_sessions'] as const;
export type StreamKind = (typeof streamKinds)[number];

/** Streams end only when their clients leave: a short wait is all a refused client can do. */
const RETRY_AFTER_SECONDS = 10;

export interface LiveStreams {
  events: EventFanout;
  sessions: SessionFanout;
  /** Unsent bytes a stream may hold before its client is dropped. */
  maxBufferBytes: number;
  /**
   * Counts a new stream against the caps and returns its release, or throws rate_limited (429, Retry-After
   * set on the reply) naming the cap that is full.
   */
  admit(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: StreamKind,
    controller: AbortController,
  ): () => void;
  /** Counts a stream dropped because its client did not read. */
  dropped(kind: StreamKind): void;
  /** Ends every open stream (the app is closing). */
  closeAll(): void;
  /** Open streams, refusals, drops and shared reads, for /metrics. */
  registry: Registry;
}

export interface LiveStreamsDeps {
  db: Executor;
  events: EventNotifier;
  logger: Logger;
  settings: Pick<
    ApiSettings,
    'streamsPerToken' | 'streamsPerAddress' | 'streamsTotal' | 'streamMaxBufferBytes'
  >;
}

export function createLiveStreams({ db, events, logger, settings }: LiveStreamsDeps): LiveStreams {
  const eventFanout = createEventFanout(db, events.subscribe, logger);
  const sessionFanout = createSessionFanout(db, logger);
  const open = new Map<AbortController, StreamKind>();
  const byToken = new Map<string, number>();
  const byAddress = new Map<string, number>();

  const registry = new Registry();
  new Gauge({
    name: 'sovi_streams_open',
    help: 'Open Server-Sent Event streams, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      for (const kind of streamKinds) this.set({ kind }, [...open.values()].filter((k) => k === kind).length);
    },
  });
  new Gauge({
    name: 'sovi_stream_shared_reads',
    help: 'Reads the shared stream readers made since start, by kind (one per notification or poll, not per stream)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.set({ kind: 'events' }, eventFanout.stats().reads);
      this.set({ kind: 'warming_sessions' }, sessionFanout.stats().reads);
    },
  });
  const refused = new Counter({
    name: 'sovi_streams_refused_total',
    help: 'Streams refused with 429, by the cap that was full (token, address, total)',
    labelNames: ['cap'] as const,
    registers: [registry],
  });
  const drops = new Counter({
    name: 'sovi_streams_dropped_total',
    help: 'Streams closed because their client did not read and the unsent data passed the limit, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  const bump = (map: Map<string, number>, key: string, by: number) => {
    const n = (map.get(key) ?? 0) + by;
    if (n > 0) map.set(key, n);
    else map.delete(key);
  };

  const refuse = (reply: FastifyReply, cap: string, message: string, field: string): SoviError => {
    refused.inc({ cap });
    void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return new SoviError('rate_limited', `${message}; retry in ${RETRY_AFTER_SECONDS} s`, { field });
  };

  return {
    events: eventFanout,
    sessions: sessionFanout,
    maxBufferBytes: settings.streamMaxBufferBytes,
    admit(request, reply, kind, controller) {
      // A cookie session and a bearer token of the same token count together.
      const token = request.auth?.token.id ?? 'anonymous';
      const address = request.ip;
      // The caps, widest first: what is full, how full it is, and what the message names.
      const caps = [
        {
          cap: 'total',
          used: open.size,
          limit: settings.streamsTotal,
          what: 'on this server',
          variable: 'SOVI_STREAMS_MAX',
          field: 'stream',
        },
        {
          cap: 'token',
          used: byToken.get(token) ?? 0,
          limit: settings.streamsPerToken,
          what: 'for this token',
          variable: 'SOVI_STREAMS_PER_TOKEN',
          field: 'authorization',
        },
        {
          cap: 'address',
          used: byAddress.get(address) ?? 0,
          limit: settings.streamsPerAddress,
          what: 'from this address',
          variable: 'SOVI_STREAMS_PER_ADDRESS',
          field: 'address',
        },
      ];
      const full = caps.find((c) => c.used >= c.limit);
      if (full) {
        const closeOne = full.cap === 'total' ? '' : ': close one first';
        throw refuse(
          reply,
          full.cap,
          `too many open event streams ${full.what} (${full.limit}, ${full.variable})${closeOne}`,
          full.field,
        );
      }
      open.set(controller, kind);
      bump(byToken, token, 1);
      bump(byAddress, address, 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open.delete(controller);
        bump(byToken, token, -1);
        bump(byAddress, address, -1);
      };
    },
    dropped: (kind) => drops.inc({ kind }),
    closeAll() {
      for (const controller of open.keys()) controller.abort();
    },
    registry,
  };
}
