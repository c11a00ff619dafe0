// Wakes followers of the event log when an event is recorded: LISTEN on sovi_events (005), on one
// connection per notifier however many follow. The API shares one notifier across every open stream (a
// connection per stream would let a few dashboard tabs exhaust the pool); `sovi events tail -f` makes its
// own. A follower also re-reads every few seconds (followEvents), so a notification lost while the listener
// reconnects delays an event by at most one poll.
import type pg from 'pg';
import type { Logger } from '../logger.ts';

/** The channel the system_events trigger (005) notifies on each insert. */
export const EVENTS_CHANNEL = 'sovi_events';

export interface EventSubscription {
  /** Listens again after a lost connection (a no-op while listening). */
  refresh(): Promise<void>;
  /** Stops waking this subscriber. */
  close(): Promise<void>;
}

/**
 * Calls wake on each new event until the subscription is closed. Resolves once listening, or once listening
 * failed (logged): the follower then polls until a refresh succeeds.
 */
export type SubscribeToEvents = (wake: () => void) => Promise<EventSubscription>;

export interface EventNotifier {
  subscribe: SubscribeToEvents;
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
          logger.warn(
            { err: err.message },
            'event listener connection lost; followers poll until it is back',
          );
          drop(connection);
        });
        await connection.query(`LISTEN ${EVENTS_CHANNEL}`);
        if (closed || subscribers.size === 0) drop(connection);
        else client = connection;
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'cannot listen for events; followers poll instead');
        if (c) drop(c);
      } finally {
        connecting = undefined;
      }
    })();
    return connecting;
  };

  return {
    subscribe: async (wake) => {
      subscribers.add(wake);
      await listen();
      return {
        refresh: listen,
        close: async () => {
          subscribers.delete(wake);
          if (subscribers.size === 0 && client) drop(client);
        },
      };
    },
    close: async () => {
      closed = true;
      subscribers.clear();
      await connecting;
      if (client) drop(client);
    },
  };
}
