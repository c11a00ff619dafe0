// Keeping within a platform's limit before the platform enforces it: a sliding window of call times per
// budget key (a token, or the whole app), and a pause set when the platform said to wait (HTTP 429 and its
// Retry-After, X-App-Usage near the ceiling). The budgets live in PostgreSQL (call-budget-repository.ts), so
// every sovi process's pulls (the cron job on each worker, `sovi metrics pull`) take from the same ones and
// see each other's pauses. One statement per call: a few hundred microseconds against calls to the platform
// that take tens of milliseconds (bench/README.md, "Metric pulls").
import type { Executor } from '../db/executor.ts';
import { deleteIdleBudgets, pauseCalls, takeCall } from './call-budget-repository.ts';

export interface CallLimit {
  calls: number;
  windowMs: number;
}

export interface CallBudget {
  /**
   * Takes one call from `key`'s budget; false (and nothing taken) when the window is full or the key is
   * paused, or `pausedBy` (the app's key over a per-token key) is.
   */
  take(key: string, limit: CallLimit, pausedBy?: string): Promise<boolean>;
  /** The platform said to wait: no call on `key` for `ms` (a longer pause already set stays). */
  pause(key: string, ms: number): Promise<void>;
  /** Deletes the budgets that hold nothing any more (no call in their window, no pause left). */
  prune(): Promise<number>;
}

/**
 * The shared budget. `now` replaces the database's clock (tests); every process must use the same clock
 * for the windows to agree, which in production is the database's.
 */
export function createCallBudget(db: Executor, options: { now?: () => Date } = {}): CallBudget {
  const at = () => options.now?.() ?? null;
  return {
    take: (key, limit, pausedBy) =>
      takeCall(db, {
        key,
        calls: limit.calls,
        windowMs: limit.windowMs,
        pausedBy: pausedBy ?? null,
        at: at(),
      }),
    pause: (key, ms) => pauseCalls(db, { key, ms: Math.max(0, ms), at: at() }),
    prune: () => deleteIdleBudgets(db, at()),
  };
}
