// The warming policy: how often an account in each state gets a session, and how many days each warming
// phase lasts. Defaults live here; SOVI_WARMING_POLICY_FILE (JSON) overrides any part of them, and
// `sovi schedule policy` prints the result.
import fs from 'node:fs';
import { z } from 'zod';
import type { AccountState } from '../accounts/account-model.ts';
import { SoviError } from '../errors.ts';

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

export interface WarmingPolicy {
  created: StatePolicy;
  warming_p1: PhasePolicy;
  warming_p2: PhasePolicy;
  warming_p3: PhasePolicy;
  active: StatePolicy;
  /** A session still running after this long is aborted and counts as failed. */
  sessionTimeoutSeconds: number;
  /** Consecutive failed sessions (device lost, timeout, error) that mark a device failed. */
  deviceFailureLimit: number;
}

export type ScheduledState = 'created' | 'warming_p1' | 'warming_p2' | 'warming_p3' | 'active';
export const scheduledStates: readonly ScheduledState[] = [
  'created',
  'warming_p1',
  'warming_p2',
  'warming_p3',
  'active',
];

export const defaultWarmingPolicy: WarmingPolicy = {
  created: { sessionsPerDay: 1, minGapMinutes: 0 },
  warming_p1: { sessionsPerDay: 2, minGapMinutes: 240, days: 3 },
  warming_p2: { sessionsPerDay: 3, minGapMinutes: 180, days: 4 },
  warming_p3: { sessionsPerDay: 3, minGapMinutes: 180, days: 7 },
  active: { sessionsPerDay: 2, minGapMinutes: 360 },
  sessionTimeoutSeconds: 1_800,
  deviceFailureLimit: 3,
};

const count = (max: number) => z.number().int().min(0).max(max);
const state = z
  .object({ sessionsPerDay: count(48).optional(), minGapMinutes: count(10_080).optional() })
  .strict();
const phase = state.extend({ days: z.number().int().min(1).max(365).optional() }).strict();
const overrides = z
  .object({
    created: state.optional(),
    warming_p1: phase.optional(),
    warming_p2: phase.optional(),
    warming_p3: phase.optional(),
    active: state.optional(),
    sessionTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
    deviceFailureLimit: z.number().int().min(1).max(100).optional(),
  })
  .strict();

export function loadWarmingPolicy(file: string | undefined): WarmingPolicy {
  if (file === undefined) return defaultWarmingPolicy;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SoviError(
      'config',
      `SOVI_WARMING_POLICY_FILE: cannot read ${file} as JSON (${(err as Error).message})`,
      {
        field: 'SOVI_WARMING_POLICY_FILE',
      },
    );
  }
  const parsed = overrides.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new SoviError('config', `SOVI_WARMING_POLICY_FILE ${file}: ${problems.join('; ')}`, {
      field: 'SOVI_WARMING_POLICY_FILE',
    });
  }
  const o = parsed.data;
  return {
    created: { ...defaultWarmingPolicy.created, ...o.created },
    warming_p1: { ...defaultWarmingPolicy.warming_p1, ...o.warming_p1 },
    warming_p2: { ...defaultWarmingPolicy.warming_p2, ...o.warming_p2 },
    warming_p3: { ...defaultWarmingPolicy.warming_p3, ...o.warming_p3 },
    active: { ...defaultWarmingPolicy.active, ...o.active },
    sessionTimeoutSeconds: o.sessionTimeoutSeconds ?? defaultWarmingPolicy.sessionTimeoutSeconds,
    deviceFailureLimit: o.deviceFailureLimit ?? defaultWarmingPolicy.deviceFailureLimit,
  };
}

export const isScheduled = (s: string): s is ScheduledState =>
  (scheduledStates as readonly string[]).includes(s);

/** The warming phase a session in this state counts as: 1–3 while warming, 4 once active. */
export function phaseOf(s: ScheduledState): 1 | 2 | 3 | 4 {
  return s === 'active' ? 4 : s === 'warming_p3' ? 3 : s === 'warming_p2' ? 2 : 1;
}

/** The shortest gap any state asks for: accounts warmed more recently than this are due in no state. */
export const shortestGapMinutes = (p: WarmingPolicy): number =>
  Math.min(...scheduledStates.map((s) => p[s].minGapMinutes));

export const utcDayStart = (at: Date): Date =>
  new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));

/** Whether an account is due for a session now. */
export function isDue(
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

/** Warming days after a successful session: a new UTC day counts one more. */
export function dayCountAfter(lastWarmedAt: Date | null, dayCount: number, now: Date): number {
  if (lastWarmedAt === null) return dayCount + 1;
  return utcDayStart(lastWarmedAt).getTime() === utcDayStart(now).getTime() ? dayCount : dayCount + 1;
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
  const p1 = p.warming_p1.days;
  const p2 = p1 + p.warming_p2.days;
  const p3 = p2 + p.warming_p3.days;
  if (s === 'created') return 'warming_p1';
  if (s === 'warming_p1' && dayCount >= p1) return 'warming_p2';
  if (s === 'warming_p2' && dayCount >= p2) return 'warming_p3';
  if (s === 'warming_p3' && dayCount >= p3) return 'active';
  return null;
}
