// Live events for Server-Sent Events streams. One LISTEN connection on sovi_events (005) serves every open
// stream of the process: a connection per stream would let a few dashboard tabs exhaust the pool. Each
// stream re-reads the log after its last id when woken, and every few seconds regardless, so a
// notification lost while the listener reconnects delays an event by at most one poll.
//
// (`sovi events tail -f` uses followEvents, which holds a connection of its own: right for one process that
// follows one query. If more callers want a shared listener, this belongs in src/events.)
import type pg from 'pg';
import type { Db } from '../db/pool.ts';
import type { SystemEvent } from '../events/event-model.ts';
import { eventsAfter, type EventFilter } from '../events/events-repository.ts';
import { EVENTS_CHANNEL, toEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';

export interface EventNotifier {
  /** Calls wake on each new event until the returned function is called; resolves once listening. */
  subscribe(wake: () => void): Promise<() => void>;
  /** Listens again after a lost connection (a no-op while listening). */
  ensureListening(): Promise<void>;
  close(): Promise<void>;
}

export function createEventNotifier(pool: pg.Pool, logger: Logger): EventNotifier {
  const subscribers = new Set<() => void>();
  let client: pg.PoolClient | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;

  const notify = () => {
    for (const wake of subscribers) wake();
  };

  // A LISTENing connection is never handed back to the pool for another use: it is destroyed.
  const drop = (c: pg.PoolClient) => {
    c.off('notification', notify);
    if (client === c) client = undefined;
    c.release(true);
  };

  const listen = (): Promise<void> => {
    if (client || closed || subscribers.size === 0) return Promise.resolve();
    connecting ??= (async () => {
      let c: pg.PoolClient | undefined;
      try {
        c = await pool.connect();
        const connection = c;
        connection.on('notification', notify);
        connection.on('error', (err) => {
          logger.warn({ err: err.message }, 'event listener connection lost; streams poll until it is back');
          drop(connection);
        });
        await connection.query(`LISTEN ${EVENTS_CHANNEL}`);
        if (closed || subscribers.size === 0) drop(connection);
        else client = connection;
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'cannot listen for events; streams poll instead');
        if (c) drop(c);
      } finally {
        connecting = undefined;
      }
    })();
    return connecting;
  };

  return {
    async subscribe(wake) {
      subscribers.add(wake);
      await listen();
      return () => {
        subscribers.delete(wake);
        if (subscribers.size === 0 && client) drop(client);
      };
    },
    ensureListening: listen,
    async close() {
      closed = true;
      subscribers.clear();
      await connecting;
      if (client) drop(client);
    },
  };
}

export interface StreamOptions {
  db: Db;
  notifier: EventNotifier;
  filter: EventFilter;
  /** Events with a greater id are sent, oldest first. */
  fromId: number;
  signal: AbortSignal;
  send: (event: SystemEvent) => void;
  pollMs?: number;
}

/** Sends each new event matching the filter until the signal aborts. */
export async function streamEvents(options: StreamOptions): Promise<void> {
  const { db, notifier, filter, signal, send } = options;
  const pollMs = options.pollMs ?? 2_000;
  let lastId = options.fromId;
  // A notification that arrives while we read must not be lost: it leaves a flag for the next wait.
  let pending: boolean;
  let wake: () => void = () => undefined;
  const unsubscribe = await notifier.subscribe(() => {
    pending = true;
    wake();
  });
  try {
    while (!signal.aborted) {
      pending = false;
      for (;;) {
        const rows = await eventsAfter(db, filter, lastId, 500);
        for (const row of rows) send(toEvent(row));
        lastId = rows.at(-1)?.id ?? lastId;
        if (rows.length < 500 || signal.aborted) break;
      }
      if (pending || signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = () => undefined;
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      await notifier.ensureListening();
    }
  } finally {
    unsubscribe();
  }
}
