// Which role each API route needs, and the check. A route names its action (`config: { action }`, from
// src/auth/roles.ts); reads may leave it out and are `read`. A write that names none is refused when the app
// starts, so no route can be added without saying who may call it. The OpenAPI document names the role of
// every operation from the same table (openapi.ts reads it).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { can, roleFor, type Action, type Role } from '../auth/roles.ts';
import { SoviError } from '../errors.ts';
import { isWrite } from './auth.ts';

export interface RouteRole {
  action: Action;
  role: Role;
}

/** The API's routes and what each needs, keyed `GET /api/v1/devices/{ref}` as the OpenAPI document spells it. */
export type RouteRoles = Map<string, RouteRole>;

const READS = new Set(['GET', 'HEAD']);

/** `/api/v1/devices/:ref` → `/api/v1/devices/{ref}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export const routeKey = (method: string, url: string): string =>
  `${method.toUpperCase()} ${openApiPath(url)}`;

/**
 * On the API scope, after authentication: records each route's action in `table` as it is added, and refuses
 * a caller whose role is below it with 403 naming the role needed. Public routes (sign-in) need none.
 */
export function checkRouteRoles(app: FastifyInstance, table: RouteRoles): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.public === true) return;
    const methods = [route.method].flat();
    const action = route.config?.action ?? (methods.every((m) => READS.has(m)) ? 'read' : undefined);
    if (action === undefined) {
      throw new Error(
        `${methods.join(',')} ${route.url}: a write route must name its action (config: { action }) from src/auth/roles.ts`,
      );
    }
    route.config = { ...route.config, action };
    for (const method of methods) table.set(routeKey(method, route.url), { action, role: roleFor(action) });
  });
  // A callback hook: an async one costs every request a promise and a turn of the queue.
  app.addHook('onRequest', (request, _reply, done) => done(refusal(request)));
}

/** Why the caller may not call this route, or undefined. */
function refusal(request: FastifyRequest): SoviError | undefined {
  const { action, public: isPublic } = request.routeOptions.config;
  if (isPublic || !request.auth || action === undefined) return undefined;
  if (!can(request.auth.role, action)) {
    return new SoviError(
      'forbidden',
      `${request.method} ${request.routeOptions.url ?? request.url} needs the ${roleFor(action)} role (action ${action}); you are ${request.auth.role}`,
      { field: 'authorization' },
    );
  }
  // A read-only token changes nothing, even what its role would allow (its owner's own tokens).
  const token = request.auth.token;
  if (isWrite(request.method) && token?.readOnly) {
    return new SoviError(
      'forbidden',
      `token "${token.name}" is read-only: ${request.method} needs a read-write token`,
      { field: 'authorization' },
    );
  }
  return undefined;
}
