// The API client: same-origin fetches that carry the session cookie, the CSRF token on writes, and errors
// as ApiError with the body's code, message and (for an illegal state change) the allowed states.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly allowed?: string[],
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string; allowed?: string[] };
}

export interface Session {
  via: 'bearer' | 'cookie';
  token: { id: string; name: string; readOnly: boolean };
  expiresAt: string | null;
  csrfToken: string | null;
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => undefined;

/** Called when a request finds the session gone (expired, revoked, signed out elsewhere). */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

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
  );
}

export const get = <T>(path: string, query?: Query): Promise<T> => send<T>('GET', withQuery(path, query));
export const post = <T>(path: string, body: unknown = {}): Promise<T> => send<T>('POST', path, body);

export async function loadSession(): Promise<Session> {
  const session = await send<Session>('GET', '/session');
  csrfToken = session.csrfToken;
  return session;
}

export async function signIn(token: string): Promise<Session> {
  const session = await send<Session>('POST', '/session', { token });
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
export async function getAll<T>(
  path: string,
  key: string,
  query: Query = {},
  maxPages = 10,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let after: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const result: Record<string, unknown> = await get(path, { ...query, limit: 1000, after });
    items.push(...((result[key] as T[] | undefined) ?? []));
    after = (result.nextCursor as string | null | undefined) ?? null;
    if (after === null) return { items, truncated: false };
  }
  return { items, truncated: true };
}
