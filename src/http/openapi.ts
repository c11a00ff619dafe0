// The API's OpenAPI 3.1 document, generated from the routes' zod schemas: GET /api/openapi.json, and the
// Swagger UI at /api/docs. Both are public: they describe the API, which is no secret (its code is not
// either), and the UI must load before a person can give it a token ("Authorize").
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import packageJson from '../../package.json' with { type: 'json' };
import { SESSION_COOKIE } from './auth.ts';
import type { RouteRoles } from './route-roles.ts';

/** Register before the routes: the document is collected as routes are added. */
export async function registerOpenApi(app: FastifyInstance, routeRoles: RouteRoles): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sovi API',
        version: packageJson.version,
        description:
          'Every /api/v1 route wants a token: `Authorization: Bearer sovi_…` (from `sovi tokens create`), or ' +
          'the session cookie that POST /api/v1/session sets. Each operation names the least role it needs ' +
          '(viewer < reviewer < operator < admin; `x-sovi-role`); a caller below it gets 403. Cookie ' +
          'sessions send their CSRF token as `x-csrf-token` on writes. Lists are keyset-paginated: pass a ' +
          "page's `nextCursor` as `?after=`. Errors are `{error: {code, message, field?, issues?}}`.",
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token: sovi tokens create' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
      tags: [
        { name: 'session', description: 'dashboard sign-in' },
        { name: 'niches' },
        { name: 'devices', description: 'the phone fleet' },
        { name: 'accounts', description: 'managed accounts and their credentials' },
        { name: 'events', description: 'the event log' },
        {
          name: 'review',
          description: 'review before posting: the queue, and reviewers’ approvals and rejections',
        },
        {
          name: 'calendar',
          description: 'when posts go out: the calendar and the posting windows that place them',
        },
        { name: 'audit', description: 'who changed what, and what it was before' },
        {
          name: 'notifications',
          description: 'alert channels (webhook, Slack, email), rules and deliveries',
        },
        { name: 'health' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => withRoles(optionalBodies(jsonSchemaTransformObject(document)), routeRoles),
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    // sovi serves plain HTTP by default: an upgrade directive would break the UI's own assets.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

interface Operation {
  description?: string;
  'x-sovi-role'?: string;
  'x-sovi-action'?: string;
  requestBody?: {
    required?: boolean;
    content?: Record<string, { schema?: { anyOf?: { type?: string }[] } }>;
  };
}

/**
 * @fastify/swagger marks every request body required. A route that takes none (restore, totp, reveal)
 * accepts a missing body as null: its body schema allows null, and its requestBody is not required.
 */
function optionalBodies<T>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
  for (const operation of Object.values(paths).flatMap((methods) => Object.values(methods))) {
    const schema = operation.requestBody?.content?.['application/json']?.schema;
    if (operation.requestBody && schema?.anyOf?.some((s) => s.type === 'null')) {
      operation.requestBody.required = false;
    }
  }
  return document;
}

/**
 * Names the role each operation needs, from the same table the guard checks: `x-sovi-role` and
 * `x-sovi-action` for tools, and a line of the description for people reading /api/docs.
 */
function withRoles<T>(document: T, routeRoles: RouteRoles): T {
  const paths = (document as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const needs = routeRoles.get(`${method.toUpperCase()} ${path}`);
      if (!needs) continue;
      operation['x-sovi-role'] = needs.role;
      operation['x-sovi-action'] = needs.action;
      const line = `Needs the **${needs.role}** role (action \`${needs.action}\`).`;
      operation.description = operation.description ? `${operation.description}\n\n${line}` : line;
    }
  }
  return document;
}
