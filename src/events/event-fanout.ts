// One reader of the event log for every event stream of a process. Each stream following the log on its own
// meant one query per stream per NOTIFY (and per 2 s poll): 200 idle dashboard tabs halved write throughput
// (bench/streams.ts). Here a single loop, woken by the shared EventNotifier, reads what is new once and hands
// each event to every follower whose filter it matches, checked in memory (matchesEvent).
//
// A follower that resumes from an older id (Last-Event-ID) first catches up alone, with its filter in SQL, up
// to where the shared reader is; it joins in the same tick as its last catch-up read is checked against the
// shared cursor, so no event falls between the two. The loop starts with the first follower and stops when
// the last one leaves.
import type { Executor } from '../db/executor.ts';
import { sharedLoop, untilAborted } from '../db/shared-loop.ts';
import type { Logger } from '../logger.ts';
import type { SystemEvent } from './event-model.ts';
import type { SubscribeToEvents } from './event-notifier.ts';
import { followNotifications } from './follow-notifications.ts';
import { eventsAfter, maxEventId, type EventFilter } from './events-repository.ts';
import { toEvent } from './events-service.ts';

const PAGE = 500;
/** Re-read this often regardless, for a notification lost while the listener reconnects. */
const POLL_MS = 2_000;
/** After a failed read (the database is away), wait this long before the next. */
const RETRY_MS = 2_000;
/**
 * Under a stream of writes every read finds a notification already waiting: reads at most this often, so
 * a burst of NOTIFYs costs one read per period, not one per write (bench/streams.ts).
 */
const MIN_READ_GAP_MS = 50;

/** The in-memory twin of events-repository's conditions, for a live event. */
export function matchesEvent(filter: EventFilter, event: SystemEvent): boolean {
  if (filter.unresolved && event.resolved) return false;
  if (filter.severities?.length && !filter.severities.includes(event.severity)) return false;
  if (filter.category && event.category !== filter.category) return false;
  if (filter.eventType && event.eventType !== filter.eventType) return false;
  if (filter.deviceId && event.deviceId !== filter.deviceId) return false;
  if (filter.accountId && event.accountId !== filter.accountId) return false;
  if (filter.since && event.timestamp < filter.since) return false;
  if (filter.until && event.timestamp >= filter.until) return false;
  return true;
}

export interface EventFanout {
  /**
   * Calls onEvent for each event past `fromId` that matches the filter, oldest first, until the signal
   * aborts (then resolves).
   */
  follow(
    filter: EventFilter,
    fromId: number,
    onEvent: (event: SystemEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Followers, and the shared reads of the log so far (what a test or /metrics counts). */
  stats(): { followers: number; reads: number };
}

interface Follower {
  filter: EventFilter;
  lastId: number;
  onEvent: (event: SystemEvent) => void;
}

interface Loop {
  signal: AbortSignal;
  /** The id the shared reader has read through; set before any follower joins. */
  cursor: number;
  ready: Promise<void>;
}

export function createEventFanout(db: Executor, subscribe: SubscribeToEvents, logger: Logger): EventFanout {
  const joined = new Set<Follower>();
  let reads = 0;

  const deliver = (event: SystemEvent) => {
    for (const f of joined) {
      if (event.id <= f.lastId || !matchesEvent(f.filter, event)) continue;
      f.lastId = event.id;
      f.onEvent(event);
    }
  };

  async function run(current: Loop): Promise<void> {
    const { signal } = current;
    await followNotifications(
      subscribe,
      signal,
      async () => {
        try {
          for (;;) {
            const rows = await eventsAfter(db, {}, current.cursor, PAGE);
            reads++;
            for (const row of rows) deliver(toEvent(row));
            current.cursor = rows.at(-1)?.id ?? current.cursor;
            if (rows.length < PAGE || signal.aborted) return undefined;
          }
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'event streams: reading the log failed; retrying');
          return RETRY_MS;
        }
      },
      { pollMs: POLL_MS, minGapMs: MIN_READ_GAP_MS },
    );
  }

  // Members are the followers joined or catching up: the loop runs while there are any.
  const shared = sharedLoop((signal): Loop => {
    const current: Loop = { signal, cursor: 0, ready: Promise.resolve() };
    current.ready = maxEventId(db).then(
      (id) => {
        current.cursor = id ?? 0;
        void run(current).catch((err: unknown) =>
          logger.error({ err: (err as Error).message }, 'event streams: the shared reader stopped'),
        );
      },
      (err: unknown) => {
        // The next follower tries again rather than inheriting this failure.
        shared.discard(current);
        throw err;
      },
    );
    return current;
  });

  return {
    async follow(filter, fromId, onEvent, signal) {
      const follower: Follower = { filter, lastId: fromId, onEvent };
      try {
        const { loop: current } = shared.join();
        await current.ready;
        // Catch up alone, filtered in SQL, to where the shared reader is; joined in the same tick as the
        // check that nothing is left between.
        let covered = fromId;
        while (!signal.aborted && covered < current.cursor) {
          const through = current.cursor;
          const rows = await eventsAfter(db, { ...filter, throughId: through }, follower.lastId, PAGE);
          for (const row of rows) {
            if (signal.aborted) break;
            follower.lastId = row.id;
            onEvent(toEvent(row));
          }
          if (rows.length < PAGE) covered = through;
        }
        if (signal.aborted) return;
        follower.lastId = Math.max(follower.lastId, covered);
        joined.add(follower);
        await untilAborted(signal);
      } finally {
        joined.delete(follower);
        shared.leave();
      }
    },
    stats: () => ({ followers: joined.size, reads }),
  };
}
