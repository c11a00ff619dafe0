// Dashboard sign-in: a token in, an HttpOnly SameSite=Strict session cookie out, with the CSRF token the
// dashboard sends back (x-csrf-token) on every write.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SoviError } from '../../errors.ts';
import { errorResponses } from '../schemas.ts';
import { roles } from '../../auth/roles.ts';
import { tokenRole } from '../auth.ts';
import type { ApiDeps } from '../api-deps.ts';

const tokenSummary = z.object({ id: z.uuid(), name: z.string(), readOnly: z.boolean() });

const session = z.object({
  via: z.enum(['bearer', 'cookie']),
  role: z.enum(roles).describe('what the caller may do (src/auth/roles.ts)'),
  token: tokenSummary,
  expiresAt: z.date().nullable().describe('when the cookie session ends (null for bearer requests)'),
  csrfToken: z
    .string()
    .nullable()
    .describe('send it as x-csrf-token on cookie-authenticated writes (null for bearer requests)'),
});

export const sessionRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { auth }) => {
  app.post(
    '/session',
    {
      config: { public: true, rateLimit: { max: auth.signInAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['session'],
        summary: 'Sign in with a token: sets the session cookie and returns the CSRF token',
        security: [],
        body: z.strictObject({ token: z.string().max(200).describe('an API token (sovi tokens create)') }),
        response: { 201: session, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (request, reply) => {
      const token = await auth.signIn(request, reply, request.body.token);
      const { csrfToken, expiresAt } = auth.startSession(reply, token);
      request.log.info({ token: token.name }, 'signed in');
      return reply.status(201).send({
        via: 'cookie' as const,
        role: tokenRole(token),
        token: { id: token.id, name: token.name, readOnly: token.readOnly },
        expiresAt,
        csrfToken,
      });
    },
  );

  app.get(
    '/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Who is calling; for a cookie session, its end and a fresh CSRF token',
        response: { 200: session, ...errorResponses(401, 429, 503) },
      },
    },
    async (request, reply) => {
      const caller = request.auth;
      if (!caller) throw new SoviError('unauthorized', 'not signed in');
      return reply.send({
        via: caller.via,
        role: caller.role,
        token: { id: caller.token.id, name: caller.token.name, readOnly: caller.token.readOnly },
        expiresAt: caller.expiresAt ?? null,
        csrfToken: caller.via === 'cookie' ? auth.csrfToken(reply, caller) : null,
      });
    },
  );

  app.delete(
    '/session',
    {
      // Signing out needs nothing: it only clears cookies (SameSite=Strict keeps other sites from doing it).
      config: { public: true },
      schema: {
        tags: ['session'],
        summary: 'Sign out: clears the session cookies',
        security: [],
        response: { 204: z.undefined() },
      },
    },
    async (_request, reply) => {
      auth.endSession(reply);
      return reply.status(204).send();
    },
  );
};
