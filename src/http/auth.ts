// Who is calling. Every API route wants a token: a bearer token in the Authorization header (scripts,
// agents, Prometheus), or a dashboard session cookie obtained by signing in with one.
//
// Sessions are a signed cookie (HMAC-SHA256 by @fastify/cookie) carrying the token's id and the session's
// expiry; nothing is stored server-side. Each request looks the token up by id, so revoking a token ends its
// sessions at once. Cookie-authenticated writes need a CSRF token (@fastify/csrf-protection, bound to the
// session's token id); bearer requests do not, since a browser never adds an Authorization header on its
// own. Read-only tokens get 403 on every write (POST, PUT, PATCH, DELETE).
import { createHmac, randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAuthFailureLimiter } from '../auth/auth-failures-service.ts';
import { authenticateToken, liveTokenById, type ApiToken } from '../auth/tokens-service.ts';
import type { Db } from '../db/pool.ts';
import { SoviError } from '../errors.ts';
import type { ApiSettings } from '../settings/api-settings.ts';
import type { Action, Role } from '../auth/roles.ts';

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
  }
}

export interface ApiAuth {
  token: ApiToken;
  via: 'bearer' | 'cookie';
  /** What the caller may do: its user's role, narrowed by the token's. */
  role: Role;
  /** When a cookie session ends. */
  expiresAt?: Date;
}

export const SESSION_COOKIE = 'sovi_session';
export const CSRF_COOKIE = 'sovi_csrf';
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
export const actorOf = (request: FastifyRequest): string =>
  request.auth ? `token:${request.auth.token.name}` : 'api';

export interface Auth {
  /** The sign-in route's own limit, counting every attempt. */
  readonly signInAttemptsPerMinute: number;
  /**
   * The caller, or a 401 (429 once this address has too many failed attempts). A valid token is never
   * refused because of failures, its own address's or anyone's.
   */
  authenticate(request: FastifyRequest, reply: FastifyReply): Promise<ApiAuth>;
  /** Signs a token in: sets the session cookie, returns the session's CSRF token and end. */
  startSession(reply: FastifyReply, token: ApiToken): { csrfToken: string; expiresAt: Date };
  /** A fresh CSRF token for the current cookie session (after a page reload). */
  csrfToken(reply: FastifyReply, auth: ApiAuth): string;
  endSession(reply: FastifyReply): void;
  /** Checks a bearer secret given in a body (sign-in), counting a failure like a bad Authorization header. */
  signIn(request: FastifyRequest, reply: FastifyReply, secret: string): Promise<ApiToken>;
}

/**
 * Registers the cookie, CSRF and rate-limit plugins on the root instance and returns the authenticator.
 * The signing secret is SOVI_SESSION_SECRET, or random per process (sessions then end at a restart).
 */
export async function registerAuth(app: FastifyInstance, db: Db, settings: ApiSettings): Promise<Auth> {
  const secret = settings.sessionSecret ?? randomBytes(32).toString('base64url');
  await app.register(fastifyCookie, { secret });
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyCsrf, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: { ...cookieOptions, signed: true },
    // A CSRF token is valid only for the session's token, so one planted from another session fails.
    getUserInfo: (request) => request.auth?.token.id ?? '',
    csrfOpts: { hmacKey: createHmac('sha256', secret).update('sovi csrf').digest() },
    getToken: (request) => headerValue(request.headers['x-csrf-token']),
  });
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

  function readSession(request: FastifyRequest, raw: string): { tokenId: string; expiresAt: Date } | null {
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return null;
    const [tokenId, expires] = unsigned.value.split('.');
    const expiresAt = new Date(Number(expires) * 1000);
    if (!tokenId || !Number.isFinite(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) return null;
    return { tokenId, expiresAt };
  }

  return {
    signInAttemptsPerMinute: settings.signInAttemptsPerMinute,

    async authenticate(request, reply) {
      const header = request.headers.authorization;
      if (header !== undefined) {
        const secret = /^Bearer +(\S+) *$/i.exec(header)?.[1];
        const token = secret === undefined ? undefined : await authenticateToken(db, secret);
        if (!token) throw await failed(request, reply, 'invalid or revoked token');
        return { token, via: 'bearer', role: tokenRole(token) };
      }
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie !== undefined) {
        const session = readSession(request, cookie);
        const token = session ? await liveTokenById(db, session.tokenId) : undefined;
        if (!token || !session) {
          void reply.header('www-authenticate', 'Bearer realm="sovi"');
          throw new SoviError('unauthorized', 'the session has expired or was ended: sign in again', {
            field: 'cookie',
          });
        }
        return { token, via: 'cookie', role: tokenRole(token), expiresAt: session.expiresAt };
      }
      void reply.header('www-authenticate', 'Bearer realm="sovi"');
      throw new SoviError(
        'unauthorized',
        'a token is required: Authorization: Bearer sovi_… (sovi tokens create), or a session cookie from POST /api/v1/session',
        { field: 'authorization' },
      );
    },

    startSession(reply, token) {
      const expiresAt = new Date(Math.floor((Date.now() + ttlMs) / 1000) * 1000);
      void reply.setCookie(SESSION_COOKIE, `${token.id}.${expiresAt.getTime() / 1000}`, {
        ...cookieOptions,
        signed: true,
        expires: expiresAt,
      });
      return { csrfToken: reply.generateCsrf({ userInfo: token.id }), expiresAt };
    },

    csrfToken(reply, auth) {
      return reply.generateCsrf({ userInfo: auth.token.id });
    },

    endSession(reply) {
      void reply.clearCookie(SESSION_COOKIE, cookieOptions);
      void reply.clearCookie(CSRF_COOKIE, cookieOptions);
    },

    async signIn(request, reply, secret) {
      const token = await authenticateToken(db, secret);
      if (!token) throw await failed(request, reply, 'invalid or revoked token');
      return token;
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
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (request.auth?.via === 'cookie' && isWrite(request.method)) {
      app.csrfProtection(request, reply, done);
      return;
    }
    done();
  });
}

/** Tokens without an owner: read-only ones read, the others may do everything. */
export const tokenRole = (token: ApiToken): Role => (token.readOnly ? 'viewer' : 'admin');

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
