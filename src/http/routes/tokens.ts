// API tokens of the caller: list, create (the secret is in the 201 and nowhere else), revoke. Admins may list
// and revoke every user's (?all=true). A token acts with at most its user's role, narrowed by its own.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { can, roleAtLeast, roles } from '../../auth/roles.ts';
import { createToken, listTokens, revokeToken, type ApiToken } from '../../auth/tokens-service.ts';
import { SoviError } from '../../errors.ts';
import { parseDuration } from '../../time.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf } from '../auth.ts';
import { errorResponses, refParam } from '../schemas.ts';
import { op } from '../operation.ts';

const tokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(roles).describe("the token's own role; it acts with at most its user's"),
  user: z
    .object({ id: z.uuid(), name: z.string() })
    .nullable()
    .describe('null: made before tokens had owners'),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  expiresAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});

const toBody = (t: ApiToken): z.infer<typeof tokenSchema> => ({
  id: t.id,
  name: t.name,
  role: t.role,
  user: t.owner ? { id: t.owner.id, name: t.owner.name } : null,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
});

export const tokensRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/tokens',
    op('tokens', {
      summary: "The caller's live tokens; every user's (revoked ones too) with all=true, for admins",
      querystring: z.strictObject({ all: z.enum(['true', 'false']).optional() }),
      response: { 200: z.object({ tokens: z.array(tokenSchema) }), ...errorResponses(400, 401, 403) },
    }),
    async (request) => {
      const caller = request.auth!;
      if (request.query.all === 'true') {
        if (!can(caller.role, 'tokens.manage')) {
          throw new SoviError('forbidden', 'all=true lists every user’s tokens: admins only', {
            field: 'all',
          });
        }
        return { tokens: (await listTokens(db, { all: true })).map(toBody) };
      }
      if (!caller.user) return { tokens: [] };
      return { tokens: (await listTokens(db, { userId: caller.user.id })).map(toBody) };
    },
  );

  app.post(
    '/tokens',
    op('tokens', {
      action: 'self.manage',
      summary: 'Create a token for yourself: its secret is in this response and nowhere else',
      body: z.strictObject({
        name: z.string().max(200).describe('1–100 letters, digits or . _ @ -; unique among live tokens'),
        role: z.enum(roles).optional().describe('narrows your role; default: your role'),
        expiresIn: z.string().max(20).optional().describe('e.g. 30d, 12h, 2w; default: never'),
      }),
      response: {
        201: tokenSchema.extend({ secret: z.string().describe('shown this once') }),
        ...errorResponses(400, 401, 403, 409),
      },
    }),
    async (request, reply) => {
      const caller = request.auth!;
      if (!caller.user) {
        throw new SoviError(
          'forbidden',
          'this token has no user to own a new token: use sovi tokens create',
          {
            field: 'authorization',
          },
        );
      }
      const { expiresIn, role, name } = request.body;
      // A token may not give more than the caller has now (a narrowed token cannot mint a wider one).
      if (role !== undefined && !roleAtLeast(caller.role, role)) {
        throw new SoviError('forbidden', `role: you act as ${caller.role}; a token cannot be ${role}`, {
          field: 'role',
        });
      }
      const { token, secret } = await createToken(
        db,
        {
          name,
          userId: caller.user.id,
          role: role ?? caller.role,
          ...(expiresIn === undefined ? {} : { expiresInMs: parseDuration('expiresIn', expiresIn) }),
        },
        actorOf(request),
      );
      return reply.status(201).send({ ...toBody(token), secret });
    },
  );

  app.delete(
    '/tokens/:ref',
    op('tokens', {
      action: 'self.manage',
      summary: 'Revoke a token (yours; admins: anyone’s): its requests, sessions and streams end at once',
      params: z.strictObject({ ref: refParam.describe('token id or name') }),
      response: { 204: z.undefined(), ...errorResponses(401, 403, 404, 409) },
    }),
    async (request, reply) => {
      const caller = request.auth!;
      const mine = can(caller.role, 'tokens.manage') ? {} : { ownerId: caller.user?.id ?? '-' };
      await revokeToken(db, request.params.ref, actorOf(request), mine);
      return reply.status(204).send();
    },
  );
};
