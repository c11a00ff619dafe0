// GET /media/<key>?expires=…&signature=…: rendered media served to whoever holds a signed URL (a platform
// fetching a video to post), without a token. Nothing under /media/ is reachable without a valid, unexpired
// signature, and every refusal is the same 403 (a bad key, a tampered or expired link alike), so a caller
// learns nothing about what exists; with a good signature, a key the store lacks is a bare 404. Single byte
// ranges are honoured (206 + Content-Range; 416 past the end), and the bytes stream from the media store.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { SoviError } from '../errors.ts';
import type { MediaStore } from '../media/media-store.ts';
import { mediaSignatureHolds, type MediaSigning } from '../media/signed-media-url.ts';
import { byteRange } from './byte-range.ts';

export interface MediaRouteDeps {
  store: MediaStore;
  /** Undefined when no signing key is configured: every request is refused. */
  signing: MediaSigning | undefined;
  now?: () => Date;
}

const refused = () => new SoviError('forbidden', 'this media link is not valid or has expired');

export const mediaRoutes: FastifyPluginAsync<MediaRouteDeps> = async (app, deps) => {
  const now = deps.now ?? (() => new Date());
  app.get<{ Params: { '*': string }; Querystring: Record<string, unknown> }>(
    '/media/*',
    { schema: { hide: true }, config: { public: true } },
    async (request, reply) => {
      const key = request.params['*'];
      if (!mediaSignatureHolds(deps.signing, key, request.query, now())) throw refused();
      let stored;
      try {
        stored = await deps.store.stat(key);
      } catch (err) {
        // The store's own message names its folder or bucket: not for a public caller.
        if (err instanceof SoviError && err.code === 'not_found')
          throw new SoviError('not_found', 'no such media');
        throw err;
      }
      void reply.header('accept-ranges', 'bytes').header('cache-control', 'private, no-store');
      const range = byteRange(request.headers.range, stored.size);
      if (range === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${stored.size}`);
        throw new SoviError('range_not_satisfiable', `range: the media has ${stored.size} bytes`, {
          field: 'range',
        });
      }
      const { start, end } = range ?? { start: 0, end: stored.size - 1 };
      void reply
        .status(range ? 206 : 200)
        .header('content-type', stored.contentType)
        .header('content-length', String(Math.max(0, end - start + 1)));
      if (range) void reply.header('content-range', `bytes ${start}-${end}/${stored.size}`);
      if (stored.size === 0) return reply.send('');
      // HEAD: Fastify's HEAD route drains a stream body and keeps the Content-Length set above, so an empty
      // stream answers it without reading the object.
      if (request.method === 'HEAD') return reply.send(Readable.from([]));
      return reply.send(await deps.store.read(key, { start, end }));
    },
  );
};
