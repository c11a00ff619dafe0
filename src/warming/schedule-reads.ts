// What `sovi schedule status` shows: who is due, who comes next, each device's queue, and how the last
// hour of sessions went.
import { sql } from 'kysely';
import type { Db } from '../db/pool.ts';
import { dueCondition, dueOrder } from './due-rule.ts';
import type { WarmingPolicy } from './warming-policy.ts';

export interface ScheduleStatus {
  at: Date;
  /** Accounts due for a session now (due-rule.ts), queued or not. */
  dueAccounts: number;
  /** Sessions planned and not finished, over all hosts. */
  queuedSessions: number;
  next: {
    id: string;
    platform: string;
    username: string;
    state: string;
    lastWarmedAt: Date | null;
    device: string | null;
    queued: boolean;
  }[];
  devices: {
    id: string;
    name: string;
    host: string;
    status: string;
    queued: number;
    currentSession: string | null;
    sessionsLastHour: number;
    /** Share of the last hour the device spent in sessions, 0–1. */
    utilisation: number;
  }[];
  /** Sessions finished in the last hour, by outcome. */
  lastHour: Record<string, number>;
}

export async function scheduleStatus(
  db: Db,
  policy: WarmingPolicy,
  options: { host?: string; next?: number; now?: Date } = {},
): Promise<ScheduleStatus> {
  const at = options.now ?? new Date();
  const hourAgo = new Date(at.getTime() - 3_600_000);
  const due = dueCondition(policy, at);
  const [count, next, devices, outcomes, queued] = await Promise.all([
    sql<{ n: number }>`SELECT count(*)::int AS n FROM accounts a WHERE ${due}`.execute(db),
    sql<ScheduleStatus['next'][number]>`
      SELECT a.id, a.platform, a.username, a.current_state AS state, a.last_warmed_at AS "lastWarmedAt",
             d.name AS device, q.session_key IS NOT NULL AS queued
      FROM accounts a LEFT JOIN devices d ON d.id = a.device_id LEFT JOIN warming_queue q ON q.account_id = a.id
      WHERE ${due}
      ORDER BY ${dueOrder}
      LIMIT ${options.next ?? 10}`.execute(db),
    sql<ScheduleStatus['devices'][number]>`
      SELECT d.id, d.name, d.host, d.status,
             (SELECT count(*)::int FROM warming_queue q WHERE q.device_id = d.id) AS queued,
             CASE WHEN d.session_lease_until > ${at} THEN d.current_session_key::text END AS "currentSession",
             (SELECT count(*)::int FROM warming_progress w WHERE w.device_id = d.id AND w.started_at >= ${hourAgo})
               AS "sessionsLastHour",
             coalesce((
               SELECT sum(extract(epoch FROM least(coalesce(w.completed_at, ${at}), ${at}::timestamptz)
                                             - greatest(w.started_at, ${hourAgo}::timestamptz)))
               FROM warming_progress w
               WHERE w.device_id = d.id AND w.started_at < ${at} AND coalesce(w.completed_at, ${at}) > ${hourAgo}
             ) / 3600.0, 0)::float8 AS utilisation
      FROM devices d
      ${options.host ? sql`WHERE d.host = ${options.host}` : sql``}
      ORDER BY d.host, d.name`.execute(db),
    sql<{ outcome: string; n: number }>`
      SELECT coalesce(session_data->>'outcome', 'unknown') AS outcome, count(*)::int AS n
      FROM warming_progress WHERE completed_at >= ${hourAgo} GROUP BY 1 ORDER BY 1`.execute(db),
    sql<{ n: number }>`SELECT count(*)::int AS n FROM warming_queue`.execute(db),
  ]);
  return {
    at,
    dueAccounts: count.rows[0]?.n ?? 0,
    queuedSessions: queued.rows[0]?.n ?? 0,
    next: next.rows,
    devices: devices.rows.map((d) => ({ ...d, utilisation: Math.min(1, Math.max(0, d.utilisation)) })),
    lastHour: Object.fromEntries(outcomes.rows.map((r) => [r.outcome, r.n])),
  };
}
