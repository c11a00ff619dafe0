// What the API's live streams share: the one reader per stream kind (event-fanout.ts, session-stream.ts), the
// caps on open streams, and their metrics. Caps, because every open stream holds a socket, a buffer and a
// heartbeat timer: without them one token, or one address, could open streams until the server ran out.
// A refusal is a 429 naming the cap and its variable, with Retry-After.
//
// A stream outlives the request that opened it, so its caller is checked again: every REVALIDATE_MS, one
// query asks which of the open streams' sessions and tokens are still good (stillLive), and the others'
// streams end. Signing out, disabling a user, a new password or revoking a token thus closes their streams
// within a few seconds, whichever sovi process made the change.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import { promMetrics } from './prom-metrics.ts';
import type { Executor } from '../db/executor.ts';
import { stillLive } from '../auth/sessions-service.ts';
import { SoviError, type OneOf } from '../errors.ts';
import { createEventFanout, type EventFanout } from '../events/event-fanout.ts';
import type { EventNotifier } from '../events/event-notifier.ts';
import type { Logger } from '../logger.ts';
import type { ApiSettings } from '../settings/api-settings.ts';
import { createSessionFanout, type SessionFanout } from '../warming/session-stream.ts';

export const streamKinds = ['events', 'warming_sessions'] as const;
export type StreamKind = OneOf<typeof streamKinds>;

/** Streams end only when their clients leave: a short wait is all a refused client can do. */
const RETRY_AFTER_SECONDS = 10;
/** How often open streams' callers are checked again: a revoked caller's stream ends within this (plus a query). */
export const REVALIDATE_MS = 2_000;

interface OpenStream {
  kind: StreamKind;
  /** What to check again: the cookie session, or the bearer token. */
  sessionId: string | undefined;
  tokenId: string | undefined;
}

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
  const open = new Map<AbortController, OpenStream>();
  const byToken = new Map<string, number>();
  const byAddress = new Map<string, number>();

  const registry = new Registry();
  const { gauge, counter } = promMetrics(registry);
  gauge('sovi_streams_open', 'Open Server-Sent Event streams, by kind', ['kind'], function () {
    for (const kind of streamKinds)
      this.set({ kind }, [...open.values()].filter((o) => o.kind === kind).length);
  });
  gauge(
    'sovi_stream_shared_reads',
    'Reads the shared stream readers made since start, by kind (one per notification or poll, not per stream)',
    ['kind'],
    function () {
      this.set({ kind: 'events' }, eventFanout.stats().reads);
      this.set({ kind: 'warming_sessions' }, sessionFanout.stats().reads);
    },
  );
  const refused = counter(
    'sovi_streams_refused_total',
    'Streams refused with 429, by the cap that was full (token, address, total)',
    ['cap'],
  );
  const drops = counter(
    'sovi_streams_dropped_total',
    'Streams closed because their client did not read and the unsent data passed the limit, by kind',
    ['kind'],
  );

  // One query for every open stream; a tick still running when the next is due is not doubled.
  let checking = false;
  const revalidate = setInterval(() => {
    if (checking || open.size === 0) return;
    checking = true;
    const streams = [...open.entries()];
    const sessionIds = [...new Set(streams.flatMap(([, o]) => (o.sessionId ? [o.sessionId] : [])))];
    const tokenIds = [...new Set(streams.flatMap(([, o]) => (o.sessionId || !o.tokenId ? [] : [o.tokenId])))];
    stillLive(db, sessionIds, tokenIds)
      .then((live) => {
        for (const [controller, o] of streams) {
          const id = o.sessionId ?? o.tokenId;
          if (id !== undefined && !live.has(id)) controller.abort();
        }
      })
      .catch((err: unknown) => logger.warn({ err }, 'checking open streams’ sessions failed; retrying'))
      .finally(() => {
        checking = false;
      });
  }, REVALIDATE_MS);
  revalidate.unref();

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
      // A user's sessions and tokens count together; so do a cookie session and a bearer use of one token.
      const auth = request.auth;
      const token = auth?.user?.id ?? auth?.token?.id ?? 'anonymous';
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
      open.set(controller, {
        kind,
        sessionId: auth?.sessionId,
        tokenId: auth?.via === 'bearer' ? auth.token?.id : undefined,
      });
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
      clearInterval(revalidate);
      for (const controller of open.keys()) controller.abort();
    },
    registry,
  };
}
