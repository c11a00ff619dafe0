// The limit on failed token attempts per client address (SOVI_AUTH_FAILURES_PER_MINUTE). Only failures are
// counted, and only after the token was checked: a valid token always passes, so no client can lock another
// out by sending bad tokens from (or claiming) its address. The counters live in PostgreSQL, so every sovi
// process serving the API shares one budget per address.
import type { Db } from '../db/pool.ts';
import {
  countAuthFailures,
  deleteExpiredAuthFailures,
  incrementAuthFailures,
} from './auth-failures-repository.ts';

const WINDOW_SECONDS = 60;
/** Counters whose window ended this long ago are deleted, at most once a window per process. */
const KEEP_SECONDS = 3_600;

export interface FailureVerdict {
  /** Over the budget: answer 429 instead of 401. */
  limited: boolean;
  retryAfterSeconds: number;
}

export interface AuthFailureLimiter {
  /** Counts a failed attempt from `address`, and says whether the address is now over its budget. */
  failed(address: string): Promise<FailureVerdict>;
  /**
   * Whether `address` is over its budget already, counting nothing: a password sign-in asks before checking
   * the password, so an address over budget cannot go on guessing.
   */
  peek(address: string): Promise<FailureVerdict>;
}

export function createAuthFailureLimiter(db: Db, perMinute: number): AuthFailureLimiter {
  let prunedAt = 0;
  return {
    async failed(address) {
      const count = await incrementAuthFailures(db, address.slice(0, 100), WINDOW_SECONDS);
      if (Date.now() - prunedAt > WINDOW_SECONDS * 1000) {
        prunedAt = Date.now();
        await deleteExpiredAuthFailures(db, KEEP_SECONDS);
      }
      return {
        limited: count.failures > perMinute,
        retryAfterSeconds: Math.max(1, count.retryAfterSeconds),
      };
    },
    async peek(address) {
      const count = await countAuthFailures(db, address.slice(0, 100), WINDOW_SECONDS);
      return {
        limited: count.failures >= perMinute,
        retryAfterSeconds: Math.max(1, count.retryAfterSeconds),
      };
    },
  };
}
