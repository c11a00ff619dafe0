// Which accounts are due for a warming session, written once. The planner (warming-repository.ts's
// pickCandidates), `sovi schedule status` / GET /warming/status and GET /accounts?needsWarming=true all
// read accounts through dueCondition(); isDue() states the same rule in TypeScript, and
// test/warming/due-rule.test.ts checks that the two agree on generated accounts.
//
// An account is due when it is live, on a platform sovi knows, in a scheduled state, its state's gap since
// its last session has passed, and it has not had its state's sessions for the current UTC day.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { isScheduled, scheduledStates, type ScheduledState } from '../accounts/account-model.ts';
import { isPlatform, platforms } from '../platforms.ts';
import { utcDay } from '../time.ts';
import { shortestGapMinutes, type StatePolicy, type WarmingPolicy } from './warming-policy.ts';

/** What the rule reads of an account (its row's columns). */
export interface DueFacts {
  platform: string;
  current_state: string;
  deleted_at: Date | null;
  last_warmed_at: Date | null;
  sessions_today: number;
  /** The UTC day sessions_today counts (YYYY-MM-DD). */
  sessions_day: string | null;
}

/** The rule for an account in a scheduled state that started `sessionsToday` sessions today. */
export function isDueInState(
  p: WarmingPolicy,
  account: { state: ScheduledState; lastWarmedAt: Date | null },
  sessionsToday: number,
  now: Date,
): boolean {
  const rule = p[account.state];
  if (sessionsToday >= rule.sessionsPerDay) return false;
  if (account.lastWarmedAt === null) return true;
  return now.getTime() - account.lastWarmedAt.getTime() >= rule.minGapMinutes * 60_000;
}

/** The whole rule, over an account row. */
export function isDue(p: WarmingPolicy, a: DueFacts, now: Date): boolean {
  if (a.deleted_at !== null || !isPlatform(a.platform) || !isScheduled(a.current_state)) return false;
  const today = a.sessions_day === utcDay(now) ? a.sessions_today : 0;
  return isDueInState(p, { state: a.current_state, lastWarmedAt: a.last_warmed_at }, today, now);
}

/** A CASE over the account's state, with each scheduled state's value from the policy. */
const byState = (p: WarmingPolicy, value: (rule: StatePolicy) => number) =>
  sql<number>`CASE a.current_state ${sql.join(
    scheduledStates.map((s) => sql`WHEN ${s} THEN ${value(p[s])}::int`),
    sql` `,
  )} END`;

/**
 * The rule as a condition over `accounts a`. Its first three lines are idx_accounts_needs_warming's
 * predicate (the lists are parameters: PostgreSQL plans each statement with their values, and proves the
 * partial index applies), and the shortest gap bounds last_warmed_at, so a due read walks the head of that
 * index (ORDER BY dueOrder) instead of the table.
 */
export function dueCondition(p: WarmingPolicy, now: Date): RawBuilder<SqlBool> {
  const cutoff = new Date(now.getTime() - shortestGapMinutes(p) * 60_000);
  return sql<SqlBool>`(a.current_state = ANY(${[...scheduledStates]}::text[])
    AND a.platform = ANY(${[...platforms]}::text[])
    AND a.deleted_at IS NULL
    AND (a.last_warmed_at IS NULL OR a.last_warmed_at <= ${cutoff})
    AND (a.last_warmed_at IS NULL
         OR a.last_warmed_at <= ${now}::timestamptz - make_interval(mins => ${byState(p, (r) => r.minGapMinutes)}))
    AND (a.sessions_day IS DISTINCT FROM ${utcDay(now)}::date
         OR a.sessions_today < ${byState(p, (r) => r.sessionsPerDay)}))`;
}

/** Due accounts come least recently warmed first: the index's own order. */
export const dueOrder = sql`a.last_warmed_at ASC NULLS FIRST`;
