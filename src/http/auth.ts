// Who is calling. Every API route wants a caller: a bearer token in the Authorization header (scripts,
// agents, Prometheus), or a dashboard session cookie obtained by signing in with a name and password (or a
// token).
//
// Sessions live in the database (src/auth/sessions-service.ts): the cookie carries a random secret, and its
// session is looked up joined to the user, so signing out, disabling the user, a new password or revoking the
// token end it in every sovi process, and a restart ends none. The API keeps what it has looked up, bearer
// tokens and sessions alike (src/auth/auth-cache.ts): such a change ends a session in the process that made
// it at once, and in the others when its notification arrives. Cookie-authenticated writes need the
// session's CSRF token (an HMAC of the cookie's secret: the same in every process, unknown to any page that
// cannot read the HttpOnly cookie); bearer requests do not, since a browser never adds an Authorization
// header on its own. The caller's role is its user's, narrowed by its token's.
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAuthFailureLimiter } from '../auth/auth-failures-service.ts';
import {
  csrfMatches,
  csrfTokenFor,
  endSessionBySecret,
  sessionBySecret,
  startSession,
} from '../auth/sessions-service.ts';
import type { AuthCache } from '../auth/auth-cache.ts';
import { authenticateToken, liveTokenById, tokenActor, type ApiToken } from '../auth/tokens-service.ts';
import type { Db } from '../db/pool.ts';
import { SoviError } from '../errors.ts';
import type { ApiSettings } from '../settings/api-settings.ts';
import type { Action, Role } from '../auth/roles.ts';
import type { NicheScope } from '../niches/niche-scope.ts';
import { verifySignIn } from '../users/users-service.ts';
import type { User } from '../users/users-model.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API's authentication hook; null on public routes. */
    auth: ApiAuth | null;
  }
  interface FastifyContextConfig {
    /** No token needed (sign-in and sign-out). */
    public?: boolean;
    /** What the route does, from src/auth/roles.ts: the least role allowed follows from it. */
    action?: Action;
    /** The handler names each batch item holding a NUL byte by its line itself (see nul-bytes.ts). */
    namesNulBytesByItem?: boolean;
  }
}

export interface ApiAuth {
  via: 'bearer' | 'cookie';
  /** What the caller may do: its user's role, narrowed by its token's (src/auth/roles.ts). */
  role: Role;
  /** The person acting: the signed-in user, or the token's owner; null for an ownerless token. */
  user: { id: string; name: string } | null;
  /** The bearer token, or the token a cookie session was signed in with; null for a password session. */
  token: ApiToken | null;
  /** The niches the caller is limited to, or null: every niche. */
  nicheIds: string[] | null;
  /** The cookie session's id and end (cookie requests only). */
  sessionId?: string;
  expiresAt?: Date;
  /** The cookie session's CSRF token (cookie requests only). */
  csrfToken?: string;
}

export const SESSION_COOKIE = 'sovi_session';
/** The cookie the CSRF plug-in used to set; signing out still clears it from older browsers. */
const OLD_CSRF_COOKIE = 'sovi_csrf';
/** The cookies go to the API only, never to the docs or anything else served here. */
const COOKIE_PATH = '/api';
const cookieOptions = {
  path: COOKIE_PATH,
  httpOnly: true,
  sameSite: 'strict',
  // Secure whenever the request came over HTTPS (X-Forwarded-Proto counts with SOVI_TRUST_PROXY).
  secure: 'auto',
} as const;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const isWrite = (method: string): boolean => WRITES.has(method);

/** Who acts in audit events (reveals, state changes, resolutions) when a request does. */
export function actorOf(request: FastifyRequest): string {
  const auth = request.auth;
  if (!auth) return 'api';
  if (auth.via === 'bearer' && auth.token) return tokenActor(auth.token);
  if (auth.user) return `user:${auth.user.name}`;
  return auth.token ? tokenActor(auth.token) : 'api';
}

/** The niches the request's caller may see and change (src/niches/niche-scope.ts); null: every niche. */
export function scopeOf(request: FastifyRequest): NicheScope {
  return request.auth?.nicheIds ?? null;
}

export interface Auth {
  /** The sign-in route's own limit, counting every attempt. */
  readonly signInAttemptsPerMinute: number;
  /**
   * The caller, or a 401 (429 once this address has too many failed attempts). A valid token is never
   * refused because of failures, its own address's or anyone's.
   */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<ApiAuth>;
  /** Starts a cookie session for a user (password sign-in) or a token; returns what GET /session says. */
  startSession(
    request: FastifyRequest,
    reply: FastifyReply,
    who: { user: User } | { token: ApiToken },
  ): Promise<{ csrfToken: string; expiresAt: Date }>;
  /** Ends the request's cookie session (if any) and clears the cookie. */
  endSession(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Checks a bearer secret given in a body (sign-in), counting a failure like a bad Authorization header. */
  signInWithToken(request: FastifyRequest, reply: FastifyReply, secret: string): Promise<ApiToken>;
  /**
   * Checks a name and password: 401 with the same words for an unknown name and a wrong password; 429 once
   * this address, or this address for this user, has failed too often.
   */
  signInWithPassword(
    request: FastifyRequest,
    reply: FastifyReply,
    input: { name: string; password: string },
  ): Promise<User>;
}

/**
 * Registers the cookie and rate-limit plugins on the root instance and returns the authenticator. Bearer
 * tokens and cookie sessions are kept in `cache` (src/auth/auth-cache.ts) when given.
 */
export async function registerAuth(
  app: FastifyInstance,
  db: Db,
  settings: ApiSettings,
  cache?: AuthCache,
): Promise<Auth> {
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  app.decorateRequest('auth', null);

  const failures = createAuthFailureLimiter(db, settings.authFailuresPerMinute);
  const ttlMs = settings.sessionTtlHours * 3_600_000;

  // request.ip is the peer's address, or the client's as a trusted proxy (SOVI_TRUST_PROXY) reports it.
  async function failed(request: FastifyRequest, reply: FastifyReply, message: string): Promise<Error> {
    const verdict = await failures.failed(request.ip);
    if (verdict.limited) return tooManyFailures(reply, verdict.retryAfterSeconds);
    void reply.header('www-authenticate', 'Bearer realm="sovi"');
    return new SoviError('unauthorized', message, { field: 'authorization' });
  }

  const sessionEnded = (reply: FastifyReply) => {
    void reply.header('www-authenticate', 'Bearer realm="sovi"');
    return new SoviError('unauthorized', 'the session has expired or was ended: sign in again', {
      field: 'cookie',
    });
  };

  async function fromCookie(secret: string, reply: FastifyReply): Promise<ApiAuth> {
    const session = await sessionBySecret(db, secret, cache);
    if (!session || session.user?.disabled) throw sessionEnded(reply);
    const token = session.tokenId === null ? null : await liveTokenById(db, session.tokenId, cache);
    if (session.tokenId !== null && !token) throw sessionEnded(reply);
    const role = token ? token.effectiveRole : session.user?.role;
    if (!role) throw sessionEnded(reply);
    return {
      via: 'cookie',
      role,
      user: session.user ? { id: session.user.id, name: session.user.name } : null,
      token: token ?? null,
      nicheIds: session.user?.nicheIds ?? null,
      sessionId: session.id,
      expiresAt: session.expiresAt,
      csrfToken: csrfTokenFor(secret),
    };
  }

  return {
    signInAttemptsPerMinute: settings.signInAttemptsPerMinute,

    async authenticate(request, reply) {
      const header = request.headers.authorization;
      if (header !== undefined) {
        const secret = /^Bearer +(\S+) *$/i.exec(header)?.[1];
        const check = secret === undefined ? undefined : await authenticateToken(db, secret, cache);
        if (!check?.ok) throw await failed(request, reply, check?.reason ?? 'invalid or revoked token');
        const { token } = check;
        return {
          via: 'bearer',
          role: token.effectiveRole,
          user: token.owner ? { id: token.owner.id, name: token.owner.name } : null,
          token,
          nicheIds: token.owner?.nicheIds ?? null,
        };
      }
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie !== undefined) return fromCookie(cookie, reply);
      void reply.header('www-authenticate', 'Bearer realm="sovi"');
      throw new SoviError(
        'unauthorized',
        'a token is required: Authorization: Bearer sovi_… (sovi tokens create), or a session cookie from POST /api/v1/session',
        { field: 'authorization' },
      );
    },

    async startSession(request, reply, who) {
      const userId = 'user' in who ? who.user.id : (who.token.owner?.id ?? null);
      const session = await startSession(db, {
        userId,
        tokenId: 'token' in who ? who.token.id : null,
        ttlMs,
        address: request.ip,
        userAgent: headerValue(request.headers['user-agent']) ?? null,
      });
      void reply.setCookie(SESSION_COOKIE, session.secret, { ...cookieOptions, expires: session.expiresAt });
      return { csrfToken: csrfTokenFor(session.secret), expiresAt: session.expiresAt };
    },

    async endSession(request, reply) {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie !== undefined) await endSessionBySecret(db, cookie);
      void reply.clearCookie(SESSION_COOKIE, cookieOptions);
      void reply.clearCookie(OLD_CSRF_COOKIE, cookieOptions);
    },

    async signInWithToken(request, reply, secret) {
      const check = await authenticateToken(db, secret, cache);
      if (!check.ok) throw await failed(request, reply, check.reason);
      return check.token;
    },

    async signInWithPassword(request, reply, input) {
      // An address over its budget tries no password at all: otherwise it could go on guessing.
      const budget = await failures.peek(request.ip);
      if (budget.limited) throw tooManyFailures(reply, budget.retryAfterSeconds);
      const verdict = await verifySignIn(db, { ...input, address: request.ip });
      if (verdict.ok) return verdict.user;
      if (verdict.limited) {
        void reply.header('retry-after', String(verdict.retryAfterSeconds));
        throw Object.assign(
          new Error(
            `too many failed sign-ins for this user from this address: retry in ${verdict.retryAfterSeconds} s`,
          ),
          { statusCode: 429 },
        );
      }
      throw await failed(request, reply, verdict.message);
    },
  };
}

/**
 * The API scope's hooks: authenticate every non-public route and demand the CSRF token on cookie-authenticated
 * writes. What the caller may do is route-roles.ts's to check.
 */
export function guardRoutes(app: FastifyInstance, auth: Auth): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public) return;
    request.auth = await auth.authenticate(request, reply);
    if (request.auth.via === 'cookie' && isWrite(request.method)) {
      const cookie = request.cookies[SESSION_COOKIE] ?? '';
      if (!csrfMatches(cookie, headerValue(request.headers['x-csrf-token']))) {
        throw new SoviError(
          'forbidden',
          'missing or wrong CSRF token: send the csrfToken of GET /api/v1/session as x-csrf-token',
          { field: 'x-csrf-token' },
        );
      }
    }
  });
}

function tooManyFailures(reply: FastifyReply, retryAfterSeconds: number): Error {
  void reply.header('retry-after', String(Math.max(1, retryAfterSeconds)));
  return Object.assign(
    new Error(
      `too many failed token attempts from this address: retry in ${Math.max(1, retryAfterSeconds)} s`,
    ),
    { statusCode: 429 },
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
