// Server-Sent Events, one way for every live route: the caps on open streams (live-streams.ts, a 429 when
// one is full), the headers, the `retry:` hint, a comment line every HEARTBEAT_MS so proxies keep the
// connection open, `id:`/`data:` messages, and the end of the stream when the client goes away, the feed
// fails, the app closes, or the client reads too slowly. A stream resumes after its Last-Event-ID header
// (which the route's schema checks), else starts where its route says; what it sends is its route's business.
//
// A client that does not read (a stalled tab, a dead peer that has not timed out) is dropped once what it has
// not taken stays past maxBufferBytes for STALL_MS, or passes it many times over, rather than buffered without
// bound: its EventSource reconnects with Last-Event-ID, which both streams resume from.
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { LiveStreams, StreamKind } from './live-streams.ts';

const HEARTBEAT_MS = 15_000;
/** How long an EventSource waits before reconnecting. */
const RETRY_MS = 2_000;
/** How long a stream may stay past maxBufferBytes before its client counts as not reading. */
const STALL_MS = 5_000;
/** Past this many times maxBufferBytes, the client is dropped at once. */
const HARD_LIMIT_FACTOR = 16;

/** Sends one message: `id` is what a reconnecting EventSource sends back as Last-Event-ID; json is the data. */
export type SendMessage = (id: string | number, json: string) => void;

/**
 * Serializes each item once however many streams send it: the shared readers hand the same object to every
 * stream it matches.
 */
export function encodeOnce<T extends object>(encode: (item: T) => unknown): (item: T) => string {
  const cache = new WeakMap<T, string>();
  return (item) => {
    let json = cache.get(item);
    if (json === undefined) {
      json = JSON.stringify(encode(item));
      cache.set(item, json);
    }
    return json;
  };
}

/** Names each kind of stream in the log. */
const streamNames: Record<StreamKind, string> = {
  events: 'event stream',
  warming_sessions: 'warming session stream',
};

export interface EventStream<From> {
  /** The caps, the shared readers, and the open streams that closing the app ends. */
  streams: LiveStreams;
  kind: StreamKind;
  /** Where a client that sends no Last-Event-ID starts: now. */
  start: () => Promise<From>;
  /**
   * Sends the messages after `from` until the signal aborts (the client went away, was dropped, or the app is
   * closing).
   */
  feed: (from: From, send: SendMessage, signal: AbortSignal) => Promise<void>;
}

/**
 * Answers the request with an event stream from its Last-Event-ID (or the stream's start), fed until the
 * client goes away, the feed ends, or the app closes; or refuses it with 429 when a cap on open streams is
 * full.
 */
export async function sendEventStream<From, Reply extends FastifyReply>(
  request: FastifyRequest & { headers: { 'last-event-id'?: From } },
  reply: Reply,
  { streams, kind, start, feed }: EventStream<From>,
): Promise<Reply> {
  const from = request.headers['last-event-id'] ?? (await start());
  const name = streamNames[kind];
  const controller = new AbortController();
  const release = streams.admit(request, reply, kind, controller);
  const stream = new PassThrough();
  const unsent = () => stream.writableLength + stream.readableLength + reply.raw.writableLength;
  let stalled: NodeJS.Timeout | undefined;
  const drop = () => {
    if (controller.signal.aborted) return;
    streams.dropped(kind);
    request.log.warn(
      { stream: name, unsentBytes: unsent() },
      `${name}: client is not reading; dropped (it resumes after Last-Event-ID)`,
    );
    controller.abort();
    // Ending would wait for the client to read what is queued: free the socket and its buffers now.
    reply.raw.destroy();
  };
  // A burst (a page of 500 events) may pass the limit for a moment even for a client that reads: only one
  // still past it STALL_MS later, or far past it, is dropped.
  const checkUnsent = () => {
    const n = unsent();
    if (n <= streams.maxBufferBytes) return;
    if (n > streams.maxBufferBytes * HARD_LIMIT_FACTOR) return drop();
    stalled ??= setTimeout(() => {
      stalled = undefined;
      if (unsent() > streams.maxBufferBytes) drop();
    }, STALL_MS);
  };
  const write = (text: string) => {
    if (stream.writableEnded || controller.signal.aborted) return;
    stream.write(text);
    checkUnsent();
  };
  const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
  const stop = () => controller.abort();
  // The client went away (or the response ended): stop reading for it.
  reply.raw.once('close', stop);
  write(`retry: ${RETRY_MS}\n: connected\n\n`);
  void feed(from, (id, json) => write(`id: ${id}\ndata: ${json}\n\n`), controller.signal)
    .catch((err: unknown) => request.log.warn({ err }, `${name} failed`))
    .finally(() => {
      clearInterval(heartbeat);
      clearTimeout(stalled);
      release();
      reply.raw.off('close', stop);
      stream.end();
    });
  return (
    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      // A stream is piped as it is, not serialized: the route's schema only documents it.
      .send(stream) as Reply
  );
}

/** The OpenAPI description of a stream's 200 response, with the read errors before it opens. */
export const eventStreamResponses = () => ({
  200: {
    description: 'text/event-stream',
    content: { 'text/event-stream': { schema: z.string() } },
  },
});
