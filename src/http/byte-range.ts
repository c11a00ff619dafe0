// Serving a file by byte ranges (RFC 9110 §14), for media players that seek: 206 with Content-Range for a
// single satisfiable range, 416 for one that starts past the end, and the whole file otherwise.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { SoviError } from '../errors.ts';

/**
 * The byte range a Range header asks for. Only a single `bytes=` range is honoured; anything else (several
 * ranges, another unit, a malformed header) gets the whole file, as RFC 9110 allows.
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Sends a file of `size` bytes, or the part of it the Range header asks for, from `open` (a stream of the
 * inclusive byte range). An unsatisfiable range is a range_not_satisfiable error, its Content-Range naming the
 * file's size; the error handler sends the body. A HEAD request gets the headers without the file being read
 * (Fastify's HEAD route drains a stream body and keeps the Content-Length set here).
 */
export async function sendByteRange(
  reply: FastifyReply,
  rangeHeader: string | undefined,
  file: {
    size: number;
    type: string;
    what: string;
    open: (range: { start: number; end: number }) => Readable | Promise<Readable>;
  },
): Promise<FastifyReply> {
  void reply.header('accept-ranges', 'bytes');
  const range = byteRange(rangeHeader, file.size);
  if (range === 'unsatisfiable') {
    void reply.header('content-range', `bytes */${file.size}`);
    throw new SoviError('range_not_satisfiable', `range: ${file.what} has ${file.size} bytes`, {
      field: 'range',
    });
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  void reply
    .status(range ? 206 : 200)
    .header('content-type', file.type)
    .header('content-length', String(Math.max(0, end - start + 1)));
  if (range) void reply.header('content-range', `bytes ${start}-${end}/${file.size}`);
  if (file.size === 0) return reply.send('');
  if (reply.request.method === 'HEAD') return reply.send(Readable.from([]));
  return reply.send(await file.open({ start, end }));
}

/** A local file's byte range, for sendByteRange. */
export const fileRange =
  (path: string) =>
  ({ start, end }: { start: number; end: number }): Readable =>
    fs.createReadStream(path, { start, end });
