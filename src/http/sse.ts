// Server-Sent Events, one way for every live route: the headers, the `retry:` hint, a comment line every
// HEARTBEAT_MS so proxies keep the connection open, `id:`/`data:` messages, and the end of the stream when the
// client goes away, the feed fails, or the app closes (ApiDeps.streams). What a stream sends, and from
// where it resumes, is its route's business.
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readErrors } from './schemas.ts';

const HEARTBEAT_MS = 15_000;
/** How long an EventSource waits before reconnecting. */
const RETRY_MS = 2_000;

/** Sends one message: `id` is what a reconnecting EventSource sends back as Last-Event-ID. */
export type SendMessage = (id: string | number, data: unknown) => void;

export interface EventStream {
  /** Tracks open streams so that closing the app ends them. */
  streams: Set<AbortController>;
  /** Names the stream in the log when its feed fails. */
  name: string;
  /** Sends messages until the signal aborts (the client went away or the app is closing). */
  feed: (send: SendMessage, signal: AbortSignal) => Promise<void>;
}

/** Answers the request with an event stream, fed until the client goes away, the feed ends, or the app closes. */
export function sendEventStream<Reply extends FastifyReply>(
  request: FastifyRequest,
  reply: Reply,
  { streams, name, feed }: EventStream,
): Reply {
  const controller = new AbortController();
  const stream = new PassThrough();
  const write = (text: string) => {
    if (!stream.writableEnded) stream.write(text);
  };
  const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
  const stop = () => controller.abort();
  // The client went away (or the response ended): stop reading for it.
  reply.raw.once('close', stop);
  streams.add(controller);
  write(`retry: ${RETRY_MS}\n: connected\n\n`);
  void feed((id, data) => write(`id: ${id}\ndata: ${JSON.stringify(data)}\n\n`), controller.signal)
    .catch((err: unknown) => request.log.warn({ err }, `${name} failed`))
    .finally(() => {
      clearInterval(heartbeat);
      streams.delete(controller);
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
  ...readErrors(),
});
