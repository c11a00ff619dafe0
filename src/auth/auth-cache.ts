// Who a request is, kept per API process so that a request costs no query for it: bearer tokens by their
// secret's hash, dashboard sessions by their cookie secret's hash, and the tokens sessions were signed in
// with by their id. The lookup was a round trip to PostgreSQL on every request, a third of what the
// dashboard's reads cost over their own SQL (bench/README.md, "Dashboard reads over HTTP"); a cookie request
// with a token session made two.
//
// A kept row is only as good as what this process hears of changes. Triggers notify the sovi_auth channel on
// every change that matters, whoever makes it (this process, another host, the CLI, psql): a token's id for a
// change to api_tokens (migrations/032), 's:' and a session's id for a change to sessions other than its
// once-a-minute last_seen_at (033), and '' (everything) for a change to users or user_niches, or a session
// deleted. Each row is kept with the names whose change forgets it: a token its id, a session its own name
// and its token's id. The cache LISTENs on a connection of its own and forgets what a notification names.
// While it is not listening (starting, or its connection lost) it keeps nothing and every request looks its
// caller up, and it starts empty each time it listens again: a change made while it was deaf is never missed.
// A lookup that a change overtook is not kept (generation). Writes in this process forget at once
// (forgetCachedAuth), not when their notification comes back. What remains is the notification's own delay
// for a change made elsewhere: the time from the change's commit to its delivery here, in which a request may
// still act as the caller was, as a request whose lookup ran just before the commit always could. What is
// decided by the clock (a token's or a session's expiry) is no change anyone announces: callers check it on
// every request.
import pg from 'pg';
import type { Logger } from '../logger.ts';
import type { SessionLookupRow } from './sessions-repository.ts';
import type { TokenRow } from './tokens-repository.ts';

/** The channel migrations/032's and 033's triggers notify: a token's id, a session's name, or '' for all. */
export const AUTH_CHANNEL = 'sovi_auth';

/** A session's name in a notification (migrations/033): a bare id is a token's (032's payload). */
export const sessionName = (id: string): string => `s:${id}`;

/** Bounds the memory a flood of distinct valid tokens or sessions could take: past it, all is forgotten. */
const MAX_ROWS = 10_000;
/** After a failed attempt to listen, the next waits this long (doubling up to the most). */
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/**
 * A connection that died without a word (a host or network gone, no FIN) would keep the cache serving
 * rows it no longer hears about: the listening connection answers a query this often, and kept rows are
 * served only while its last answer is under STALE_MS old. PostgreSQL sends a listener's pending
 * notifications before it answers, so an answer also says every change committed before the ping was heard.
 */
const PING_MS = 5_000;
const STALE_MS = 3 * PING_MS;

/**
 * Each method gives the row kept under its key, or the one `read` reads (kept when nothing changed meanwhile
 * and the cache is listening). A kept row is the same object on every hit: a caller may note on it what it
 * did (a session's last touch), which no notification announces.
 */
export interface AuthCache {
  /** The token whose secret hashes to `hash` (a bearer request). */
  token(hash: Buffer, read: () => Promise<TokenRow | undefined>): Promise<TokenRow | undefined>;
  /** The token with this id (the one a session was signed in with). */
  tokenById(id: string, read: () => Promise<TokenRow | undefined>): Promise<TokenRow | undefined>;
  /** The live session whose cookie secret hashes to `hash`. */
  session(
    hash: Buffer,
    read: () => Promise<SessionLookupRow | undefined>,
  ): Promise<SessionLookupRow | undefined>;
  /**
   * Forgets what a change names (after its row is written): a token's id (the token, and the sessions signed
   * in with it), a session's name (sessionName), or with '' or nothing, everything.
   */
  forget(name?: string): void;
  /** Whether kept rows are served now: only while listening. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** Every cache of this process, so that a write in it can forget at once (tests build several apps). */
const caches = new Set<AuthCache>();

/** Called by this process's writes to tokens, sessions and users, once they are committed. */
export function forgetCachedAuth(name?: string): void {
  for (const cache of caches) cache.forget(name);
}

/** A kept row and the names (token ids, session names) whose change forgets it. */
interface Kept<Row> {
  row: Row;
  names: readonly string[];
}

/**
 * A cache listening on a connection of its own, opened with the pool's settings (not taken from the pool:
 * it is held for the life of the process and would leave the pool one short).
 */
export function createAuthCache(pool: pg.Pool, logger: Logger): AuthCache {
  const tokensByHash = new Map<string, Kept<TokenRow>>();
  const tokensById = new Map<string, Kept<TokenRow>>();
  const sessionsByHash = new Map<string, Kept<SessionLookupRow>>();
  const kinds = [tokensByHash, tokensById, sessionsByHash];
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let listening = false;
  let closed = false;
  /** Bumped by every notification and every start of listening: a lookup that saw it change is not kept. */
  let generation = 0;
  let retryMs = RETRY_MS;
  let nextAttempt = 0;
  /** When the listening connection last answered. */
  let heardAt = 0;
  let pinging = false;
  const live = () => listening && Date.now() - heardAt < STALE_MS;

  const forget = (name?: string) => {
    generation++;
    for (const kind of kinds) {
      if (name === undefined || name === '') kind.clear();
      else for (const [key, entry] of kind) if (entry.names.includes(name)) kind.delete(key);
    }
  };

  const deaf = (c: pg.Client, why: string) => {
    if (client !== c) return;
    client = undefined;
    listening = false;
    forget();
    nextAttempt = Date.now() + retryMs;
    if (!closed) logger.warn({ err: why }, 'auth cache: not listening for changes; callers are looked up');
    c.removeAllListeners('notification');
    void c.end().catch(() => undefined);
  };

  const listen = () => {
    if (closed || client || connecting || Date.now() < nextAttempt) return;
    connecting = (async () => {
      const c = new pg.Client({ ...pool.options, application_name: 'sovi auth cache' });
      // An error (the server gone) before or after connecting: deaf until a later attempt succeeds.
      c.on('error', (err) => deaf(c, err.message));
      c.on('end', () => deaf(c, 'connection ended'));
      c.on('notification', (message) => {
        if (message.channel === AUTH_CHANNEL) forget(message.payload);
      });
      client = c;
      try {
        await c.connect();
        await c.query(`LISTEN ${AUTH_CHANNEL}`);
        if (closed || client !== c) {
          if (client === c) client = undefined;
          await c.end().catch(() => undefined);
          return;
        }
        // Anything looked up before now may have changed unheard.
        forget();
        listening = true;
        heardAt = Date.now();
        retryMs = RETRY_MS;
      } catch (err) {
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        deaf(c, (err as Error).message);
      } finally {
        connecting = undefined;
      }
    })();
  };

  const ping = () => {
    const c = client;
    if (!c || !listening || pinging) {
      // Silent for STALE_MS: given up on, and a new connection tried on the next request.
      if (c && listening && Date.now() - heardAt >= STALE_MS) deaf(c, 'no answer to its ping');
      return;
    }
    pinging = true;
    c.query('SELECT 1')
      .then(
        () => {
          if (client === c) heardAt = Date.now();
        },
        (err: Error) => deaf(c, err.message),
      )
      .finally(() => {
        pinging = false;
      });
  };
  const pinger = setInterval(ping, PING_MS);
  pinger.unref();

  /** The one way every kind is served: kept while listening, else read (and kept if nothing overtook it). */
  async function kept<Row>(
    kind: Map<string, Kept<Row>>,
    key: string,
    read: () => Promise<Row | undefined>,
    names: (row: Row) => string[],
  ): Promise<Row | undefined> {
    listen();
    if (live()) {
      const found = kind.get(key);
      if (found) return found.row;
    }
    const seen = generation;
    const row = await read();
    if (row && live() && generation === seen) {
      if (kinds.reduce((n, k) => n + k.size, 0) >= MAX_ROWS) for (const k of kinds) k.clear();
      kind.set(key, { row, names: names(row) });
    }
    return row;
  }
  const tokenNames = (row: TokenRow) => [row.id];
  const sessionNames = (row: SessionLookupRow) =>
    row.token_id === null ? [sessionName(row.id)] : [sessionName(row.id), row.token_id];

  const cache: AuthCache = {
    token: (hash, read) => kept(tokensByHash, hash.toString('base64'), read, tokenNames),
    tokenById: (id, read) => kept(tokensById, id, read, tokenNames),
    session: (hash, read) => kept(sessionsByHash, hash.toString('base64'), read, sessionNames),
    forget,
    get listening() {
      return live();
    },
    async close() {
      closed = true;
      clearInterval(pinger);
      caches.delete(cache);
      await connecting;
      const c = client;
      client = undefined;
      listening = false;
      forget();
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    },
  };
  caches.add(cache);
  listen();
  return cache;
}
