// The overview's counts: the fleet by status, live accounts by state, what needs attention, and the last
// 24 hours' sessions and posts. Each figure is one aggregate over its table, so the dashboard's overview
// costs the same for ten phones as for ten thousand.
import { DAY_MS } from '../time.ts';
import { sql } from 'kysely';
import type { Db } from '../db/pool.ts';

export interface Overview {
  at: Date;
  /** The window the last-24-hours figures count from. */
  since: Date;
  devices: Record<string, number>;
  accounts: Record<string, number>;
  unresolvedEvents: Record<string, number>;
  sessions: { total: number; byOutcome: Record<string, number> };
  posts: { posted: number; failed: number };
}

type Counted = { key: string; n: number };
const tally = (rows: Counted[]): Record<string, number> => Object.fromEntries(rows.map((r) => [r.key, r.n]));

export async function readOverview(db: Db, now: Date = new Date()): Promise<Overview> {
  const since = new Date(now.getTime() - DAY_MS);
  const [devices, accounts, events, sessions, posts] = await Promise.all([
    // A small table; devices_host_status_idx (008) can serve it as an index-only scan.
    sql<Counted>`SELECT status AS key, count(*)::int AS n FROM devices GROUP BY 1`.execute(db),
    // Live accounts only: a deleted account is no longer part of the fleet.
    sql<Counted>`
      SELECT current_state AS key, count(*)::int AS n
      FROM accounts WHERE deleted_at IS NULL GROUP BY 1`.execute(db),
    // Served by idx_events_unresolved (003): (severity, "timestamp") WHERE resolved = false.
    sql<Counted>`
      SELECT severity AS key, count(*)::int AS n
      FROM system_events WHERE resolved = false GROUP BY 1`.execute(db),
    // Sessions started in the window, served by warming_progress_started_idx (008). The outcome is what the
    // executor reported in session_data (as in session-reads.ts and /metrics); a session without one is
    // running while it has no completed_at, and 'unknown' once finished.
    sql<Counted>`
      SELECT CASE
               WHEN jsonb_typeof(session_data->'outcome') = 'string' THEN session_data->>'outcome'
               WHEN completed_at IS NULL THEN 'running'
               ELSE 'unknown'
             END AS key,
             count(*)::int AS n
      FROM warming_progress WHERE started_at >= ${since} GROUP BY 1`.execute(db),
    // Posted or failed in the window: a post counts from when it went out, a failure (which has no
    // posted_at) from when it was planned. Served by distributions_status_idx (010): (status, created_at).
    sql<Counted>`
      SELECT status AS key, count(*)::int AS n
      FROM distributions
      WHERE status IN ('posted', 'failed') AND coalesce(posted_at, created_at) >= ${since}
      GROUP BY 1`.execute(db),
  ]);
  const byOutcome = tally(sessions.rows);
  const postCounts = tally(posts.rows);
  return {
    at: now,
    since,
    devices: tally(devices.rows),
    accounts: tally(accounts.rows),
    unresolvedEvents: tally(events.rows),
    sessions: { total: Object.values(byOutcome).reduce((a, b) => a + b, 0), byOutcome },
    posts: { posted: postCounts.posted ?? 0, failed: postCounts.failed ?? 0 },
  };
}
