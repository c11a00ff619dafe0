// Where a platform sends the person back after they authorized sovi: GET /oauth/callback/<platform>?code=…
// &state=…. Public (the platform's redirect carries no sovi session); the single-use state is what binds it
// to the person who started it. Answers a small page in every case, never an error trace: what the platform
// or a stale link sent is the person's to read, not a server failure.
import type { FastifyPluginAsync } from 'fastify';
import { finishConnect, type ConnectionDeps } from '../connections/connections-service.ts';
import { isPlatform } from '../platforms.ts';

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const page = (ok: boolean, message: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sovi: ${ok ? 'connected' : 'not connected'}</title>` +
  `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
  `<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">` +
  `<h1>${ok ? 'Connected' : 'Not connected'}</h1><p data-outcome="${ok ? 'connected' : 'failed'}">${escape(message)}</p></body></html>`;

const one = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 4_096 ? v : undefined);

export const oauthCallbackRoutes: FastifyPluginAsync<ConnectionDeps> = async (app, deps) => {
  app.get<{ Params: { platform: string }; Querystring: Record<string, unknown> }>(
    '/oauth/callback/:platform',
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      void reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8');
      if (!isPlatform(request.params.platform)) return reply.code(404).send(page(false, 'No such platform.'));
      const q = request.query;
      const result = await finishConnect(deps, request.params.platform, {
        code: one(q.code),
        state: one(q.state),
        error: one(q.error),
        error_description: one(q.error_description),
      });
      return reply.code(result.ok ? 200 : 400).send(page(result.ok, result.message));
    },
  );
};
