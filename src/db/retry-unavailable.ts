// Retries a write while the database is unavailable (a dropped connection, a restarting server).
//
// For the last step of work that already happened outside the database: a finished warming session, a post
// the platform took. Failing that step would throw the result away and have the job engine retry the whole
// job later, which runs the session on the phone a second time, and waits out the job's retry delay (the
// outage fault test measured 5–17 s before sessions came back, and 30 s for posts). Retrying only the record,
// with a short backoff, keeps the result and records it as soon as the database answers. The write itself
// must be idempotent (a guarded UPDATE), since a lost COMMIT reply may have committed it already.
import type { Logger } from '../logger.ts';
import { translatePgError } from './pg-errors.ts';
import { sleep } from '../time.ts';

export interface RetryUnavailableOptions {
  /** Stop retrying (and throw the last error) when this aborts: the worker is stopping. */
  signal?: AbortSignal;
  /** Give up after this long; the job engine's own retry takes over. */
  maxMs: number;
  logger: Logger;
  /** What is being recorded, for the log. */
  what: string;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2_000;

export async function retryWhileUnavailable<T>(
  write: () => Promise<T>,
  options: RetryUnavailableOptions,
): Promise<T> {
  const deadline = Date.now() + options.maxMs;
  for (let attempt = 1, delay = FIRST_DELAY_MS; ; attempt++, delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      return await write();
    } catch (err) {
      const unavailable = translatePgError(err)?.code === 'unavailable';
      if (!unavailable || options.signal?.aborted || Date.now() + delay > deadline) throw err;
      options.logger.warn(
        { attempt, retryInMs: delay, err: err instanceof Error ? err.message : String(err) },
        `database unavailable while recording ${options.what}; retrying`,
      );
      await sleep(delay);
    }
  }
}
