// Warming sessions as they start and complete, for live streams (the dashboard's Schedule page): one poller
// per process, however many streams are open. A poller per stream meant 200 idle tabs ran 133 queries a
// second (bench/streams.ts); here one read every POLL_MS is handed to every watcher, each filtered in memory.
//
// warming_progress is polled for rows whose change time — greatest(started_at, completed_at) — is past a
// cursor, served by warming_progress_started_idx (008) and warming_progress_completed_idx (014). Those times
// come from the workers' clocks and a row becomes visible when its transaction commits, which may be after a
// later-stamped row: each watcher therefore looks LOOKBACK_MS behind the newest change it has seen, and its
// record of what it sent (id and state) keeps that overlap from repeating messages. The shared read starts
// at the earliest point any watcher needs.
//
// Each message is one session, in its state at the time it is read (a session that started and completed
// between two polls is sent once, completed). Its cursor is the newest change time the watcher has seen
// (exact UTC text), from which a stream resumes. The reads are in session-reads.ts.
import type { Executor } from '../db/executor.ts';
import { sharedLoop, untilAborted } from '../db/shared-loop.ts';
import type { Logger } from '../logger.ts';
import { pause } from '../time.ts';
import {
  SESSION_CHANGES_PAGE,
  sessionsChangedAfter,
  type ChangedSession,
  type SessionStreamFilter,
  type WarmingSession,
} from './session-reads.ts';

const POLL_MS = 1_500;
/** After a failed poll (the database is away), wait this long before the next. */
const RETRY_MS = 2_000;
const LOOKBACK_MS = 60_000;
const NO_ID = '00000000-0000-0000-0000-000000000000';

const shift = (exact: string, ms: number): string => {
  const micros = exact.slice(23, 26);
  return `${new Date(Date.parse(exact) + ms).toISOString().slice(0, 23)}${micros}Z`;
};

export interface WatchOptions {
  filter: SessionStreamFilter;
  /** Changes after this exact time are sent. */
  from: string;
  signal: AbortSignal;
  /** Each session with the stream's cursor after it. */
  send: (session: WarmingSession, cursor: string) => void;
}

export interface SessionFanout {
  /** Sends each session that starts or completes after `from` until the signal aborts (then resolves). */
  watch(options: WatchOptions): Promise<void>;
  /** Watchers, and the shared polls so far (what a test or /metrics counts). */
  stats(): { watchers: number; reads: number };
}

interface Watcher {
  filter: SessionStreamFilter;
  from: string;
  /** The newest change time seen, matching or not: the cursor sent with each message. */
  newest: string;
  /** What was sent, by session id: 'started' or 'completed', with the change time (to forget it later). */
  sent: Map<string, { state: string; changedAt: string }>;
  send: WatchOptions['send'];
}

const matches = (filter: SessionStreamFilter, session: WarmingSession): boolean =>
  (!filter.accountId || session.accountId === filter.accountId) &&
  (!filter.deviceId || session.deviceId === filter.deviceId);

/** Where a watcher's next read starts: never before where its client asked to start. */
function startOf(w: Watcher): string {
  const lookback = shift(w.newest, -LOOKBACK_MS);
  return lookback > w.from ? lookback : w.from;
}

function offer(w: Watcher, since: string, { session, changedAt }: ChangedSession): void {
  if (changedAt < since) return;
  if (changedAt > w.newest) w.newest = changedAt;
  if (!matches(w.filter, session)) return;
  const state = session.completedAt ? 'completed' : 'started';
  if (w.sent.get(session.id)?.state === state) return;
  w.sent.set(session.id, { state, changedAt });
  w.send(session, w.newest);
}

export function createSessionFanout(db: Executor, logger: Logger): SessionFanout {
  const watchers = new Set<Watcher>();
  let reads = 0;

  async function poll(): Promise<void> {
    // Those who joined during a read wait for the next: that read may start after what they need.
    const round = [...watchers].map((w) => ({ w, since: startOf(w) }));
    if (round.length === 0) return;
    let after = round.reduce((min, r) => (r.since < min ? r.since : min), round[0]!.since);
    let afterId = NO_ID;
    for (;;) {
      const rows = await sessionsChangedAfter(db, {}, after, afterId);
      reads++;
      for (const row of rows) for (const { w, since } of round) if (watchers.has(w)) offer(w, since, row);
      const last = rows.at(-1);
      if (!last || rows.length < SESSION_CHANGES_PAGE) break;
      after = last.changedAt;
      afterId = last.session.id;
    }
    for (const { w } of round) {
      const horizon = shift(w.newest, -2 * LOOKBACK_MS);
      for (const [id, entry] of w.sent) if (entry.changedAt < horizon) w.sent.delete(id);
    }
  }

  interface Loop {
    /** Ends the current wait early (a new watcher); pending keeps a wake that came during a read. */
    wake: () => void;
    pending: boolean;
  }

  async function run(current: Loop, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      current.pending = false;
      let failed = false;
      try {
        await poll();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'warming streams: polling sessions failed; retrying');
        failed = true;
      }
      if (signal.aborted) break;
      // A wake that came during a successful read is served at once; after a failure the retry wait stands.
      if (current.pending && !failed) continue;
      const wait = pause(failed ? RETRY_MS : POLL_MS, signal);
      current.wake = wait.wake;
      await wait.done;
      current.wake = () => undefined;
    }
  }

  const shared = sharedLoop((signal): Loop => {
    const current: Loop = { wake: () => undefined, pending: false };
    void run(current, signal).catch((err: unknown) =>
      logger.error({ err: (err as Error).message }, 'warming streams: the shared poller stopped'),
    );
    return current;
  });

  return {
    async watch({ filter, from, signal, send }) {
      if (signal.aborted) return;
      const watcher: Watcher = { filter, from, newest: from, sent: new Map(), send };
      watchers.add(watcher);
      const { loop, started } = shared.join();
      if (!started) {
        // A new stream's first read should not wait for the next tick; joiners at once share one read.
        loop.pending = true;
        loop.wake();
      }
      try {
        await untilAborted(signal);
      } finally {
        watchers.delete(watcher);
        shared.leave();
      }
    },
    stats: () => ({ watchers: watchers.size, reads }),
  };
}
