// The API client: same-origin fetches that carry the session cookie, the CSRF token on writes, and errors
// as ApiError with the body's code, message and (for an illegal state change) the allowed states. Paths are
// the OpenAPI document's ('/devices/{ref}'): the answer's type, the query's names and a write's body are
// the server's, so a call the server no longer answers fails `tsc -p web`.
import type { ApiPath, Body, Method, Ok, PathOf, PathParam, QueryName, Session } from './types.ts';

export type { Session };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly allowed?: string[],
    /** A refused import: each bad line by number, with its field. */
    readonly issues?: ApiIssue[],
  ) {
    super(message);
  }
}

export interface ApiIssue {
  line?: number;
  field?: string;
  message: string;
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string; allowed?: string[]; issues?: ApiIssue[] };
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => undefined;

/** Called when a request finds the session gone (expired, revoked, signed out elsewhere). */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

type QueryValue = string | number | boolean | undefined | null | readonly string[];
type Query = Record<string, QueryValue>;

/** A path with a query string; empty and missing values are left out, lists are joined with commas. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(key, value.join(','));
    } else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** A path's parameters (required) and the query parameters its method accepts (optional), in one object. */
type Params<P extends ApiPath, M extends Method> = { [K in PathParam<P>]: string | number } & {
  [K in QueryName<P, M>]?: QueryValue;
};
/** The parameters argument: optional when the path has no parameters of its own. */
type ParamsArg<P extends ApiPath, M extends Method> = [PathParam<P>] extends [never]
  ? [params?: Params<P, M>]
  : [params: Params<P, M>];

/** '/devices/{ref}' with { ref: 'x', limit: 5 } → '/devices/x?limit=5'. */
function url(path: string, params: Query = {}): string {
  const query = { ...params };
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = query[name];
    delete query[name];
    return encodeURIComponent(String(value));
  });
  return withQuery(filled, query);
}

async function send<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => ({}))) as unknown;
  if (response.ok) return data as T;
  const error = (data as ErrorBody).error ?? {};
  // A page left open past a restart has a stale CSRF token: fetch a fresh one and try the write once more.
  if (response.status === 403 && !retried && /CSRF/i.test(error.message ?? '')) {
    await loadSession();
    return send(method, path, body, true);
  }
  if (response.status === 401 && path !== '/session') onUnauthorized();
  throw new ApiError(
    response.status,
    error.code ?? 'internal',
    error.message ?? `${method} ${path}: ${response.status}`,
    error.field,
    error.allowed,
    error.issues,
  );
}

/** GET a path: get('/devices/{ref}', { ref: id }), get('/events', { severity: 'error', limit: 50 }). */
export const get = <P extends PathOf<'get'>>(path: P, ...[params]: ParamsArg<P, 'get'>): Promise<Ok<P>> =>
  send('GET', url(path, params));

/** POST a body to a path: post('/events/{id}/resolve', { by: 'human' }, { id }). */
export const post = <P extends PathOf<'post'>>(
  path: P,
  body: Body<P, 'post'>,
  ...[params]: ParamsArg<P, 'post'>
): Promise<Ok<P, 'post'>> => send('POST', url(path, params), body);

/** PATCH a body to a path: patch('/devices/{ref}', { status: 'maintenance' }, { ref }). */
export const patch = <P extends PathOf<'patch'>>(
  path: P,
  body: Body<P, 'patch'>,
  ...[params]: ParamsArg<P, 'patch'>
): Promise<Ok<P, 'patch'>> => send('PATCH', url(path, params), body);

/** DELETE a path: del('/devices/{ref}', { ref, force: true }). */
export const del = <P extends PathOf<'delete'>>(
  path: P,
  ...[params]: ParamsArg<P, 'delete'>
): Promise<Ok<P, 'delete'>> => send('DELETE', url(path, params));

export async function loadSession(): Promise<Session> {
  const session = await get('/session');
  csrfToken = session.csrfToken;
  return session;
}

/** Signs in with a name and password, or with an API token. */
export async function signIn(
  credentials: { name: string; password: string } | { token: string },
): Promise<Session> {
  const session = await post('/session', credentials);
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut(): Promise<void> {
  await send<void>('DELETE', '/session');
  csrfToken = null;
}

/**
 * Every item of a keyset-paged list, up to maxPages pages (so a huge table never hangs a page):
 * `truncated` says the count is a lower bound.
 */
export async function getAll<P extends PathOf<'get'>, K extends keyof Ok<P>>(
  path: P,
  key: K,
  params: Params<P, 'get'>,
  maxPages = 10,
): Promise<{ items: ItemOf<Ok<P>[K]>[]; truncated: boolean }> {
  const items: ItemOf<Ok<P>[K]>[] = [];
  let after: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const result: Ok<P> = await send('GET', url(path, { ...params, limit: 1000, after }));
    items.push(...(result[key] as ItemOf<Ok<P>[K]>[]));
    after = (result as { nextCursor?: string | null }).nextCursor ?? null;
    if (after === null) return { items, truncated: false };
  }
  return { items, truncated: true };
}

type ItemOf<T> = T extends readonly (infer I)[] ? I : never;
