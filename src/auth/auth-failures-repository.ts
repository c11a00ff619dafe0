// SQL for the failed-token counters (migrations/017_auth_failures.sql). The database's clock decides the
// windows, so every sovi process agrees on them.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

export interface FailureCount {
  failures: number;
  /** Until the address's window ends. */
  retryAfterSeconds: number;
}

/**
 * Counts a failure from `address`: one more in its window, or the first of a new window when the last one
 * (`windowSeconds` long) is over.
 */
export async function incrementAuthFailures(
  db: Executor,
  address: string,
  windowSeconds: number,
): Promise<FailureCount> {
  const { rows } = await sql<FailureCount>`
    INSERT INTO auth_failures AS f (address, window_start, failures)
    VALUES (${address}, now(), 1)
    ON CONFLICT (address) DO UPDATE SET
      failures = CASE WHEN f.window_start > now() - make_interval(secs => ${windowSeconds})
                      THEN f.failures + 1 ELSE 1 END,
      window_start = CASE WHEN f.window_start > now() - make_interval(secs => ${windowSeconds})
                          THEN f.window_start ELSE now() END
    RETURNING failures AS "failures",
      ceil(extract(epoch FROM window_start + make_interval(secs => ${windowSeconds}) - now()))::int
        AS "retryAfterSeconds"`.execute(db);
  const row = rows[0];
  if (!row) throw new Error('auth_failures upsert returned no row');
  return row;
}

/** Deletes the counters whose window ended more than `olderThanSeconds` ago. */
export async function deleteExpiredAuthFailures(db: Executor, olderThanSeconds: number): Promise<number> {
  const result = await db
    .deleteFrom('auth_failures')
    .where('window_start', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The failures counted for `address` in its current window, without counting one. */
export async function countAuthFailures(
  db: Executor,
  address: string,
  windowSeconds: number,
): Promise<FailureCount> {
  const { rows } = await sql<FailureCount>`
    SELECT failures AS "failures",
      ceil(extract(epoch FROM window_start + make_interval(secs => ${windowSeconds}) - now()))::int
        AS "retryAfterSeconds"
    FROM auth_failures
    WHERE address = ${address} AND window_start > now() - make_interval(secs => ${windowSeconds})`.execute(
    db,
  );
  return rows[0] ?? { failures: 0, retryAfterSeconds: 0 };
}
