// SQL for the metric pulls' call budgets (migrations/031_platform_call_budget.sql). Each function is one
// statement. Time is the database's clock (clock_timestamp(), read once per statement) so that every sovi
// process agrees on the windows; `at` replaces it (tests move time with it).
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

/**
 * Takes one call from `key`'s budget: at most `calls` in any `windowMs`, none while paused (by its own row,
 * or by `pausedBy`'s, an app-wide pause over a per-token key). True when granted.
 *
 * The row is locked by ON CONFLICT while its WHERE is checked against its latest version, so concurrent
 * takes queue on it and only the grants that fit return a row. A key's first take inserts its row. `calls`
 * stays sorted (a call is recorded no earlier than the latest before it), so width_bucket finds by binary
 * search how many have left the window; they are cut off as the new call is appended.
 */
export async function takeCall(
  db: Executor,
  take: { key: string; calls: number; windowMs: number; pausedBy: string | null; at: Date | null },
): Promise<boolean> {
  const { rows } = await sql<{ key: string }>`
    WITH clock AS (SELECT coalesce(${take.at}::timestamptz, clock_timestamp()) AS now)
    INSERT INTO platform_call_budget AS b (key, calls, window_ms, last_call_at)
    SELECT ${take.key}, ARRAY[clock.now], ${take.windowMs}, clock.now FROM clock
    WHERE NOT EXISTS (
      SELECT FROM platform_call_budget p
      WHERE p.key = ${take.pausedBy} AND p.paused_until > clock.now)
    ON CONFLICT (key) DO UPDATE SET
      calls = b.calls[
                width_bucket(excluded.last_call_at - make_interval(secs => ${take.windowMs / 1000}), b.calls) + 1
              :] || greatest(b.last_call_at, excluded.last_call_at),
      window_ms = excluded.window_ms,
      last_call_at = greatest(b.last_call_at, excluded.last_call_at)
    WHERE (b.paused_until IS NULL OR b.paused_until <= excluded.last_call_at)
      AND cardinality(b.calls)
          - width_bucket(excluded.last_call_at - make_interval(secs => ${take.windowMs / 1000}), b.calls)
          < ${take.calls}
    RETURNING b.key`.execute(db);
  return rows.length > 0;
}

/** No call on `key` for `ms`: the pause only ever grows (a shorter one asked later changes nothing). */
export async function pauseCalls(
  db: Executor,
  pause: { key: string; ms: number; at: Date | null },
): Promise<void> {
  await sql`
    INSERT INTO platform_call_budget AS b (key, paused_until)
    SELECT ${pause.key}, coalesce(${pause.at}::timestamptz, clock_timestamp())
                         + make_interval(secs => ${pause.ms / 1000})
    ON CONFLICT (key) DO UPDATE SET paused_until = greatest(b.paused_until, excluded.paused_until)`.execute(
    db,
  );
}

/** Deletes the budgets with no call in their window and no pause left: as if never used. */
export async function deleteIdleBudgets(db: Executor, at: Date | null): Promise<number> {
  const result = await sql`
    DELETE FROM platform_call_budget
    WHERE (last_call_at IS NULL
           OR last_call_at + make_interval(secs => window_ms / 1000.0)
              <= coalesce(${at}::timestamptz, clock_timestamp()))
      AND (paused_until IS NULL OR paused_until <= coalesce(${at}::timestamptz, clock_timestamp()))`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0);
}
