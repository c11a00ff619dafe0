// The bearer tokens an API process has looked up, kept so that a request carrying one costs no query: the
// lookup was a round trip to PostgreSQL on every request, a third of what the dashboard's reads cost over
// their own SQL (bench/README.md, "Dashboard reads over HTTP").
//
// A kept token is only as good as what this process hears of changes. Triggers (migrations/032) notify the
// sovi_auth channel on every change to api_tokens, users and user_niches, whoever makes it (this process,
// another host, the CLI, psql); the cache LISTENs on a connection of its own and forgets the token named (or
// every token, for a change to a user). While it is not listening (starting, or its connection lost) it
// keeps nothing and every request looks its token up, and it starts empty each time it listens again: a
// change made while it was deaf is never missed. A lookup that a change overtook is not kept (generation).
// Writes in this process forget at once (forgetCachedTokens), not when their notification comes back. What
// remains is the notification's own delay for a change made elsewhere: the time from the change's commit to
// its delivery here, in which a request may still act with the token as it was, as a request whose lookup
// ran just before the commit always could.
import pg from 'pg';
import type { Logger } from '../logger.ts';
import type { TokenRow } from './tokens-repository.ts';

/** The channel migrations/032's triggers notify: a token's id, or '' for every token. */
export const AUTH_CHANNEL = 'sovi_auth';

/** Bounds the memory a flood of distinct valid tokens could take; past it the cache starts over. */
const MAX_TOKENS = 10_000;
/** After a failed attempt to listen, the next waits this long (doubling up to the most). */
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/**
 * A connection that died without a word (a host or network gone, no FIN) would keep the cache serving
 * tokens it no longer hears about: the listening connection answers a query this often, and kept tokens are
 * served only while its last answer is under STALE_MS old. PostgreSQL sends a listener's pending
 * notifications before it answers, so an answer also says every change committed before the ping was heard.
 */
const PING_MS = 5_000;
const STALE_MS = 3 * PING_MS;

export interface TokenCache {
  /**
   * The row of the token whose secret hashes to `hash`: kept, or read by `read` (and kept when nothing
   * changed meanwhile and the cache is listening).
   */
  row(hash: Buffer, read: () => Promise<TokenRow | undefined>): Promise<TokenRow | undefined>;
  /** Forgets one token (after its row is written), or every token. */
  forget(tokenId?: string): void;
  /** Whether kept tokens are served now: only while listening. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** Every cache of this process, so that a write in it can forget at once (tests build several apps). */
const caches = new Set<TokenCache>();

/** Called by this process's writes to tokens and users, once they are committed. */
export function forgetCachedTokens(tokenId?: string): void {
  for (const cache of caches) cache.forget(tokenId);
}

/**
 * A cache listening on a connection of its own, opened with the pool's settings (not taken from the pool:
 * it is held for the life of the process and would leave the pool one short).
 */
export function createTokenCache(pool: pg.Pool, logger: Logger): TokenCache {
  const byHash = new Map<string, TokenRow>();
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

  const forget = (tokenId?: string) => {
    generation++;
    if (tokenId === undefined || tokenId === '') {
      byHash.clear();
      return;
    }
    for (const [hash, row] of byHash) if (row.id === tokenId) byHash.delete(hash);
  };

  const deaf = (c: pg.Client, why: string) => {
    if (client !== c) return;
    client = undefined;
    listening = false;
    forget();
    nextAttempt = Date.now() + retryMs;
    if (!closed) logger.warn({ err: why }, 'token cache: not listening for changes; tokens are looked up');
    c.removeAllListeners('notification');
    void c.end().catch(() => undefined);
  };

  const listen = () => {
    if (closed || client || connecting || Date.now() < nextAttempt) return;
    connecting = (async () => {
      const c = new pg.Client({ ...pool.options, application_name: 'sovi token cache' });
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

  const cache: TokenCache = {
    async row(hash, read) {
      listen();
      const key = hash.toString('base64');
      if (live()) {
        const kept = byHash.get(key);
        if (kept) return kept;
      }
      const seen = generation;
      const row = await read();
      if (row && live() && generation === seen) {
        if (byHash.size >= MAX_TOKENS) byHash.clear();
        byHash.set(key, row);
      }
      return row;
    },
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
      byHash.clear();
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
