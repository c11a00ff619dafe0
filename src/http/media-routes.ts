// GET /media/<key>?expires=…&signature=…: rendered media served to whoever holds a signed URL (a platform
// fetching a video to post), without a token. Nothing under /media/ is reachable without a valid, unexpired
// signature, and every refusal is the same 403 (a bad key, a tampered or expired link alike), so a caller
// learns nothing about what exists; with a good signature, a key the store lacks is a bare 404. Single byte
// ranges are honoured (206 + Content-Range; 416 past the end), and the bytes stream from the media store.
import type { FastifyPluginAsync } from 'fastify';
import { SoviError } from '../errors.ts';
import type { MediaStore } from '../media/media-store.ts';
import { mediaSignatureHolds, type MediaSigning } from '../media/signed-media-url.ts';
import { sendByteRange } from './byte-range.ts';

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
      void reply.header('cache-control', 'private, no-store');
      return sendByteRange(reply, request.headers.range, {
        size: stored.size,
        type: stored.contentType,
        what: 'the media',
        open: (range) => deps.store.read(key, range),
      });
    },
  );
};
