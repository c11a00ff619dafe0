// The dashboard: the front end Vite builds from web/ into web/dist (npm ci runs the build: the prepare
// script), served at /. Files under /assets are named by their content's hash, so they are cached for good.
// A browser asking for any other page (Accept: text/html) gets index.html, the shell that routes in the
// browser, so a page's URL (/accounts/…) survives a reload; other clients keep JSON 404s for unknown paths,
// and paths under /api never get the shell.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFoundHandler } from './error-handler.ts';

/** Where `npm run build:web` puts the dashboard. */
export const dashboardDir = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface WebOptions {
  /** A built dashboard elsewhere (tests); default web/dist. */
  dir?: string;
}

const hidden = { schema: { hide: true } };

export const webRoutes: FastifyPluginAsync<WebOptions> = async (app, options) => {
  const dir = options.dir ?? dashboardDir;
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    app.get('/', hidden, (_request, reply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(
          'The dashboard is not built: run `npm run build:web` (npm ci does), then restart sovi.\n' +
            'The API answers at /api/v1 (described at /api/docs).\n',
        ),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root: path.join(dir, 'assets'),
    prefix: '/assets/',
    index: false,
    immutable: true,
    maxAge: '365d',
  });

  // The other files of the build's top folder (the icon), as they were when the server started.
  const topFiles = new Set(
    fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name !== 'index.html')
      .map((entry) => entry.name),
  );

  const serve = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const pathname = request.url.split('?')[0] ?? '/';
    void reply.header('vary', 'Accept');
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      notFoundHandler(request, reply);
      return reply;
    }
    const name = pathname.slice(1);
    if (topFiles.has(name)) return reply.sendFile(name, dir, { maxAge: '1d' });
    // A name with an extension is a file that is not there, not a page; only browsers get pages.
    const page = pathname === '/' || /\btext\/html\b/.test(request.headers.accept ?? '');
    if (!page || /\.[A-Za-z0-9]{1,8}$/.test(pathname)) {
      notFoundHandler(request, reply);
      return reply;
    }
    // The shell is re-read on every load, so a rebuilt dashboard is picked up.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dir, { cacheControl: false });
  };
  app.get('/', hidden, serve);
  app.get('/*', hidden, serve);
};
