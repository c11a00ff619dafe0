// People, for admins: list, add, show, change (name, role, niches), disable, enable, set a password.
// Passwords arrive in request bodies only, and never come back.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { roles } from '../../auth/roles.ts';
import type { User } from '../../users/users-model.ts';
import {
  addUser,
  disableUser,
  enableUser,
  findUser,
  listUsers,
  setPassword,
  updateUser,
} from '../../users/users-service.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf } from '../auth.ts';
import { errorResponses, refParam } from '../schemas.ts';
import { op } from '../operation.ts';

export const userSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(roles),
  niches: z
    .array(z.object({ id: z.uuid(), slug: z.string(), name: z.string() }))
    .nullable()
    .describe('the niches the user is limited to; null: every niche'),
  disabledAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  passwordChangedAt: z.date(),
  lastSignInAt: z.date().nullable(),
});

const toBody = (u: User): z.infer<typeof userSchema> => u;

const userRef = z.strictObject({ ref: refParam.describe('user name or id') });
const password = z.string().max(2000).describe('at least 12 characters');
const niches = z.array(z.string().max(200)).max(1000).describe('niche slugs or ids; empty: every niche');

export const usersRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/users',
    op('users', {
      action: 'users.manage',
      summary: 'Every user, by name',
      response: { 200: z.object({ users: z.array(userSchema) }), ...errorResponses(401, 403) },
    }),
    async () => ({ users: (await listUsers(db)).map(toBody) }),
  );

  app.post(
    '/users',
    op('users', {
      action: 'users.manage',
      summary: 'Add a user',
      body: z.strictObject({
        name: z.string().max(200).describe('1–100 letters, digits or . _ @ -; unique ignoring case'),
        role: z.enum(roles),
        password,
        niches: niches.optional(),
      }),
      response: { 201: userSchema, ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (request, reply) =>
      reply.status(201).send(toBody(await addUser(db, request.body, actorOf(request)))),
  );

  app.get(
    '/users/:ref',
    op('users', {
      action: 'users.manage',
      summary: 'One user, by name or id',
      params: userRef,
      response: { 200: userSchema, ...errorResponses(401, 403, 404) },
    }),
    async (request) => toBody(await findUser(db, request.params.ref, 'ref')),
  );

  app.patch(
    '/users/:ref',
    op('users', {
      action: 'users.manage',
      summary: "Change a user's name, role or niches (null: every niche)",
      params: userRef,
      body: z.strictObject({
        name: z.string().max(200).optional(),
        role: z.enum(roles).optional(),
        niches: niches.nullable().optional(),
      }),
      response: { 200: userSchema, ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (request) => {
      const { name, role, niches: limits } = request.body;
      const patch = {
        ...(name === undefined ? {} : { name }),
        ...(role === undefined ? {} : { role }),
        ...(limits === undefined ? {} : { niches: limits?.length ? limits : null }),
      };
      return toBody(await updateUser(db, request.params.ref, patch, actorOf(request)));
    },
  );

  for (const [verb, change, summary] of [
    ['disable', disableUser, 'Disable a user: their sessions, tokens and streams stop at once'],
    ['enable', enableUser, 'Enable a disabled user again'],
  ] as const) {
    app.post(
      `/users/:ref/${verb}`,
      {
        config: { action: 'users.manage' },
        schema: {
          tags: ['users'],
          summary,
          params: userRef,
          response: { 200: userSchema, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request) => toBody(await change(db, request.params.ref, actorOf(request))),
    );
  }

  app.post(
    '/users/:ref/password',
    op('users', {
      action: 'users.manage',
      summary: "Set a user's password (a reset): their sessions end",
      params: userRef,
      body: z.strictObject({ password }),
      response: { 204: z.undefined(), ...errorResponses(400, 401, 403, 404) },
    }),
    async (request, reply) => {
      await setPassword(db, request.params.ref, request.body.password, actorOf(request));
      return reply.status(204).send();
    },
  );
};
