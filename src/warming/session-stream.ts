// Warming sessions as they start and complete, for a live stream (the dashboard's Schedule page).
//
// warming_progress is polled every POLL_MS for rows whose change time — greatest(started_at, completed_at) —
// is past a cursor, served by warming_progress_started_idx (008) and warming_progress_completed_idx (014).
// Those times come from the workers' clocks and a row becomes visible when its transaction commits, which
// may be after a later-stamped row: each poll therefore looks LOOKBACK_MS behind the newest change sent,
// and a per-stream record of what was sent (id and state) keeps that overlap from repeating messages.
//
// Each message is one session, in its state at the time it is read (a session that started and completed
// between two polls is sent once, completed). Its cursor is the newest change time sent so far (exact UTC
// text), from which a stream resumes. The reads are in session-reads.ts.
import type { Executor } from '../db/executor.ts';
import { pause } from '../time.ts';
import {
  SESSION_CHANGES_PAGE,
  sessionsChangedAfter,
  type SessionStreamFilter,
  type WarmingSession,
} from './session-reads.ts';

const POLL_MS = 1_500;
const LOOKBACK_MS = 60_000;
const NO_ID = '00000000-0000-0000-0000-000000000000';

const shift = (exact: string, ms: number): string => {
  const micros = exact.slice(23, 26);
  return `${new Date(Date.parse(exact) + ms).toISOString().slice(0, 23)}${micros}Z`;
};

export interface SessionStreamOptions {
  db: Executor;
  filter: SessionStreamFilter;
  /** Changes after this exact time are sent. */
  from: string;
  signal: AbortSignal;
  /** Each session with the stream's cursor after it. */
  send: (session: WarmingSession, cursor: string) => void;
  pollMs?: number;
}

/** Sends each session that starts or completes after `from` until the signal aborts. */
export async function streamSessions(options: SessionStreamOptions): Promise<void> {
  const { db, filter, signal, send } = options;
  const pollMs = options.pollMs ?? POLL_MS;
  const from = options.from;
  let newest = from;
  // What was sent, by session id: 'started' or 'completed', with the change time (to forget it later).
  const sent = new Map<string, { state: string; changedAt: string }>();
  while (!signal.aborted) {
    // Never before where the client asked to start: it has what came before.
    const lookback = shift(newest, -LOOKBACK_MS);
    let after = lookback > from ? lookback : from;
    let afterId = NO_ID;
    for (;;) {
      const rows = await sessionsChangedAfter(db, filter, after, afterId);
      for (const { session, changedAt } of rows) {
        const state = session.completedAt ? 'completed' : 'started';
        if (sent.get(session.id)?.state === state) continue;
        sent.set(session.id, { state, changedAt });
        if (changedAt > newest) newest = changedAt;
        send(session, newest);
      }
      const last = rows.at(-1);
      if (!last || rows.length < SESSION_CHANGES_PAGE || signal.aborted) break;
      after = last.changedAt;
      afterId = last.session.id;
    }
    const horizon = shift(newest, -2 * LOOKBACK_MS);
    for (const [id, entry] of sent) if (entry.changedAt < horizon) sent.delete(id);
    if (signal.aborted) break;
    await pause(pollMs, signal).done;
  }
}
