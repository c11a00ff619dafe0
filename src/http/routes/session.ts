// Dashboard sign-in: a name and password (or a token) in, an HttpOnly SameSite=Strict session cookie out,
// with the CSRF token the dashboard sends back (x-csrf-token) on every write. Sessions live in the database:
// signing out ends the session row, and a copied cookie is worth nothing afterwards.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { SoviError } from '../../errors.ts';
import { errorResponses } from '../schemas.ts';
import { roles } from '../../auth/roles.ts';
import { changeOwnPassword, findUser } from '../../users/users-service.ts';
import { actorOf, type ApiAuth } from '../auth.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { Db } from '../../db/pool.ts';
import { op } from '../operation.ts';

const nicheRef = z.object({ id: z.uuid(), slug: z.string(), name: z.string() });

const session = z.object({
  via: z.enum(['bearer', 'cookie']),
  role: z.enum(roles).describe('what the caller may do (src/auth/roles.ts)'),
  user: z
    .object({
      id: z.uuid(),
      name: z.string(),
      role: z.enum(roles).describe("the user's own role (a token may narrow it)"),
      niches: z.array(nicheRef).nullable().describe('the niches the user is limited to; null: every niche'),
    })
    .nullable()
    .describe('the person acting; null for a token made before tokens had owners'),
  token: z
    .object({ id: z.uuid(), name: z.string(), role: z.enum(roles) })
    .nullable()
    .describe('the token used (bearer, or signed in with one); null for a password session'),
  expiresAt: z.date().nullable().describe('when the cookie session ends (null for bearer requests)'),
  csrfToken: z
    .string()
    .nullable()
    .describe('send it as x-csrf-token on cookie-authenticated writes (null for bearer requests)'),
});

async function describeSession(db: Db, auth: ApiAuth): Promise<z.infer<typeof session>> {
  const user = auth.user ? await findUser(db, auth.user.id) : null;
  return {
    via: auth.via,
    role: auth.role,
    user: user ? { id: user.id, name: user.name, role: user.role, niches: user.niches } : null,
    token: auth.token ? { id: auth.token.id, name: auth.token.name, role: auth.token.role } : null,
    expiresAt: auth.expiresAt ?? null,
    csrfToken: auth.csrfToken ?? null,
  };
}

const signedIn = (request: FastifyRequest): ApiAuth => {
  if (!request.auth) throw new SoviError('unauthorized', 'not signed in');
  return request.auth;
};

export const sessionRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { auth, db }) => {
  app.post(
    '/session',
    {
      config: { public: true, rateLimit: { max: auth.signInAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['session'],
        summary: 'Sign in with a name and password (or an API token): sets the session cookie',
        security: [],
        body: z.union([
          z.strictObject({
            name: z.string().max(200).describe('your user name'),
            password: z.string().max(2000),
          }),
          z.strictObject({ token: z.string().max(200).describe('an API token (sovi tokens create)') }),
        ]),
        response: { 201: session, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const token = 'token' in body ? await auth.signInWithToken(request, reply, body.token) : null;
      const signedInUser = 'token' in body ? null : await auth.signInWithPassword(request, reply, body);
      const { csrfToken, expiresAt } = await auth.startSession(
        request,
        reply,
        token ? { token } : { user: signedInUser! },
      );
      const user = signedInUser ?? (token?.owner ? await findUser(db, token.owner.id) : null);
      request.log.info({ user: user?.name ?? null, token: token?.name ?? null }, 'signed in');
      return reply.status(201).send({
        via: 'cookie' as const,
        role: token ? token.effectiveRole : signedInUser!.role,
        user: user ? { id: user.id, name: user.name, role: user.role, niches: user.niches } : null,
        token: token ? { id: token.id, name: token.name, role: token.role } : null,
        expiresAt,
        csrfToken,
      });
    },
  );

  app.get(
    '/session',
    op('session', {
      summary: 'Who is calling; for a cookie session, its end and its CSRF token',
      response: { 200: session, ...errorResponses(401, 429, 503) },
    }),
    async (request, reply) => reply.send(await describeSession(db, signedIn(request))),
  );

  app.delete(
    '/session',
    {
      // Signing out needs nothing but the cookie (SameSite=Strict keeps other sites from sending it).
      config: { public: true },
      schema: {
        tags: ['session'],
        summary: 'Sign out: ends the session and clears its cookie',
        security: [],
        response: { 204: z.undefined() },
      },
    },
    async (request, reply) => {
      await auth.endSession(request, reply);
      return reply.status(204).send();
    },
  );

  app.post(
    '/session/password',
    op('session', {
      action: 'self.manage',
      summary: "Change one's own password: every other session of the user ends",
      body: z.strictObject({
        current: z.string().max(2000),
        new: z.string().max(2000).describe('at least 12 characters'),
      }),
      response: { 204: z.undefined(), ...errorResponses(400, 401, 403, 429, 503) },
    }),
    async (request, reply) => {
      const caller = signedIn(request);
      if (!caller.user) {
        throw new SoviError('forbidden', 'this token has no user, so no password', {
          field: 'authorization',
        });
      }
      await changeOwnPassword(
        db,
        caller.user.id,
        { current: request.body.current, next: request.body.new },
        actorOf(request),
        caller.sessionId,
      );
      return reply.status(204).send();
    },
  );
};
