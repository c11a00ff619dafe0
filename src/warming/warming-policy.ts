// The warming policy: how often an account in each scheduled state gets a session, and how many days each
// warming phase lasts. Defaults live here; SOVI_WARMING_POLICY_FILE (JSON) overrides any part of them, and
// `sovi schedule policy` prints the result. The per-state tables below are records over the scheduled
// states (account-model.ts), so a state added there fails to compile until each table says what it means.
import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { scheduledStates, type AccountState, type ScheduledState } from '../accounts/account-model.ts';
import { utcDayStart } from '../time.ts';
import { loadPolicy } from '../settings/parse-options.ts';

export interface StatePolicy {
  /** Sessions an account may start per UTC day. */
  sessionsPerDay: number;
  /** Minutes that must pass after a successful session before the next. */
  minGapMinutes: number;
}

export interface PhasePolicy extends StatePolicy {
  /** Warming days spent in this phase before the next one. */
  days: number;
}

/** The scheduled states that are warming phases: they last a number of days. */
export type PhaseState = Exclude<ScheduledState, 'created' | 'active'>;

export type WarmingPolicy = { [S in ScheduledState]: S extends PhaseState ? PhasePolicy : StatePolicy } & {
  /** A session still running after this long is aborted and counts as failed. */
  sessionTimeoutSeconds: number;
  /** Consecutive failed sessions (device lost, timeout, error) that mark a device failed. */
  deviceFailureLimit: number;
};

export const defaultWarmingPolicy: WarmingPolicy = {
  created: { sessionsPerDay: 1, minGapMinutes: 0 },
  warming_p1: { sessionsPerDay: 2, minGapMinutes: 240, days: 3 },
  warming_p2: { sessionsPerDay: 3, minGapMinutes: 180, days: 4 },
  warming_p3: { sessionsPerDay: 3, minGapMinutes: 180, days: 7 },
  active: { sessionsPerDay: 2, minGapMinutes: 360 },
  sessionTimeoutSeconds: 1_800,
  deviceFailureLimit: 3,
};

/** The warming phase a session in each state counts as (warming_progress.warming_phase): 4 once active. */
export const sessionPhase: Readonly<Record<ScheduledState, 1 | 2 | 3 | 4>> = {
  created: 1,
  warming_p1: 1,
  warming_p2: 2,
  warming_p3: 3,
  active: 4,
};

/** Where a successful session leads from each state, once the phases so far have had their days. */
const nextState: Readonly<Record<ScheduledState, AccountState | null>> = {
  created: 'warming_p1',
  warming_p1: 'warming_p2',
  warming_p2: 'warming_p3',
  warming_p3: 'active',
  active: null,
};

const isPhase = (s: ScheduledState): s is PhaseState => 'days' in defaultWarmingPolicy[s];

const count = (max: number) => z.number().int().min(0).max(max);
const state = z
  .object({ sessionsPerDay: count(48).optional(), minGapMinutes: count(10_080).optional() })
  .strict();
const phase = state.extend({ days: z.number().int().min(1).max(365).optional() }).strict();
const overrides = z
  .object({
    ...({
      created: state.optional(),
      warming_p1: phase.optional(),
      warming_p2: phase.optional(),
      warming_p3: phase.optional(),
      active: state.optional(),
    } satisfies Record<ScheduledState, z.ZodOptional<typeof state | typeof phase>>),
    sessionTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
    deviceFailureLimit: z.number().int().min(1).max(100).optional(),
  })
  .strict();

export function loadWarmingPolicy(file: string | undefined): WarmingPolicy {
  return loadPolicy(file, 'SOVI_WARMING_POLICY_FILE', overrides, defaultWarmingPolicy, (d, o) => ({
    created: { ...d.created, ...o.created },
    warming_p1: { ...d.warming_p1, ...o.warming_p1 },
    warming_p2: { ...d.warming_p2, ...o.warming_p2 },
    warming_p3: { ...d.warming_p3, ...o.warming_p3 },
    active: { ...d.active, ...o.active },
    sessionTimeoutSeconds: o.sessionTimeoutSeconds ?? d.sessionTimeoutSeconds,
    deviceFailureLimit: o.deviceFailureLimit ?? d.deviceFailureLimit,
  }));
}

/** The shortest gap any state asks for: accounts warmed more recently than this are due in no state. */
export const shortestGapMinutes = (p: WarmingPolicy): number =>
  Math.min(...scheduledStates.map((s) => p[s].minGapMinutes));

/** Warming days after a successful session: a new UTC day counts one more. */
export function dayCountAfter(lastWarmedAt: Date | null, dayCount: number, now: Date): number {
  if (lastWarmedAt === null) return dayCount + 1;
  return utcDayStart(lastWarmedAt).getTime() === utcDayStart(now).getTime() ? dayCount : dayCount + 1;
}

/**
 * dayCountAfter as SQL over an accounts row's last_warmed_at and warming_day_count, for the statement that
 * marks a successful session under the row's lock (the lock, the read and the write in one round trip on
 * every session's path); test/warming/day-count.test.ts checks that the two agree. The day's bounds are
 * worked out here, not by PostgreSQL, whose day arithmetic follows the session's time zone.
 */
export function dayCountAfterSql(now: Date): RawBuilder<number> {
  const today = utcDayStart(now);
  const tomorrow = new Date(today.getTime() + 86_400_000);
  return sql<number>`CASE WHEN last_warmed_at >= ${today}::timestamptz AND last_warmed_at < ${tomorrow}::timestamptz
    THEN warming_day_count ELSE warming_day_count + 1 END`;
}

/** Warming days the phases up to and including `s` add up to (0 before the first phase). */
function daysThrough(p: WarmingPolicy, s: ScheduledState): number {
  let days = 0;
  for (const each of scheduledStates) {
    if (isPhase(each)) days += p[each].days;
    if (each === s) return days;
  }
  return days;
}

/**
 * The state a successful session moves an account to, if any: the first session starts warming, and each
 * phase ends once the account has warmed for the days the phases so far add up to.
 */
export function stateAfterSuccess(
  p: WarmingPolicy,
  s: ScheduledState,
  dayCount: number,
): AccountState | null {
  const next = nextState[s];
  return next !== null && dayCount >= daysThrough(p, s) ? next : null;
}
