// Posting schedules: when an account posts. A niche's schedule is the default of its accounts; an account's
// own schedule overrides it. With neither, an account posts as soon as its cadence allows (the behaviour
// before the calendar).
import { findAccount } from '../accounts/accounts-service.ts';
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { invalidInput, notFound } from '../errors.ts';
import type { NicheScope } from '../niches/niche-scope.ts';
import { getNiche } from '../niches/niches-service.ts';
import { parseTimeZone, parseWindows, type PostingWindows } from './posting-slots.ts';
import {
  deleteScheduleRow,
  effectiveScheduleRow,
  findScheduleRow,
  upsertScheduleRow,
  type PostingScheduleRow,
  type ScheduleOwner,
} from './posting-schedules-repository.ts';

export interface PostingSchedule extends PostingWindows {
  /** What it belongs to: `niche` (the default of the niche's accounts) or `account` (an override). */
  scope: 'niche' | 'account';
  nicheId: string | null;
  accountId: string | null;
  updatedAt: Date;
}

const toSchedule = (r: PostingScheduleRow): PostingSchedule => ({
  scope: r.account_id ? 'account' : 'niche',
  nicheId: r.niche_id,
  accountId: r.account_id,
  timeZone: r.time_zone,
  windows: r.windows,
  maxPerDay: r.max_per_day,
  minGapMinutes: r.min_gap_minutes,
  updatedAt: r.updated_at,
});

/** Names a schedule's owner: a niche (slug or id) or an account (id, platform:username or username). */
export type ScheduleRef = { niche: string } | { account: string };

async function resolveOwner(
  db: Executor,
  ref: ScheduleRef,
  scope?: NicheScope,
): Promise<{ owner: ScheduleOwner; label: string }> {
  if ('niche' in ref) {
    const niche = await getNiche(db, ref.niche, 'niche', scope);
    return { owner: { nicheId: niche.id }, label: `niche:${niche.slug}` };
  }
  const account = await findAccount(db, ref.account, 'account', scope);
  return { owner: { accountId: account.id }, label: `${account.platform}:${account.username}` };
}

/**
 * The schedule of a niche or an account as stored, and for an account the one it posts by (its own, else its
 * niche's). null when there is none.
 */
export async function showPostingSchedule(
  db: Executor,
  ref: ScheduleRef,
  scope?: NicheScope,
): Promise<{ own: PostingSchedule | null; effective: PostingSchedule | null }> {
  const { owner } = await resolveOwner(db, ref, scope);
  const own = await findScheduleRow(db, owner);
  const effective = 'accountId' in owner ? await effectiveScheduleRow(db, owner.accountId) : own;
  return { own: own ? toSchedule(own) : null, effective: effective ? toSchedule(effective) : null };
}

export interface PostingScheduleInput {
  timeZone: string;
  windows: string[];
  maxPerDay?: number;
  minGapMinutes?: number;
}

/** Sets (creates or replaces) a niche's or an account's schedule; audited. */
export async function setPostingSchedule(
  db: Executor,
  ref: ScheduleRef,
  input: PostingScheduleInput,
  actor: string,
  scope?: NicheScope,
): Promise<PostingSchedule> {
  const windows = parseWindows(input.windows);
  const values = {
    time_zone: parseTimeZone(input.timeZone),
    windows,
    max_per_day: input.maxPerDay ?? windows.length,
    min_gap_minutes: input.minGapMinutes ?? 0,
  };
  if (!Number.isInteger(values.max_per_day) || values.max_per_day < 1 || values.max_per_day > 100)
    throw invalidInput('maxPerDay', `maxPerDay: expected 1–100, got ${values.max_per_day}`);
  if (
    !Number.isInteger(values.min_gap_minutes) ||
    values.min_gap_minutes < 0 ||
    values.min_gap_minutes > 10_080
  )
    throw invalidInput('minGapMinutes', `minGapMinutes: expected 0–10080, got ${values.min_gap_minutes}`);
  return inTransaction(db, async (trx) => {
    const { owner, label } = await resolveOwner(trx, ref, scope);
    const before = await findScheduleRow(trx, owner);
    const row = await upsertScheduleRow(trx, owner, values);
    await recordAudit(trx, {
      actor,
      action: before ? 'posting_schedule.update' : 'posting_schedule.create',
      targetType: 'posting_schedule',
      targetId: row.id,
      targetLabel: label,
      changes: diffChanges(before && { ...before }, { ...row }, { ignore: ['id', 'updated_at'] }),
    });
    return toSchedule(row);
  });
}

/** Removes a schedule: an account then posts by its niche's, a niche's accounts as their cadence allows. */
export async function removePostingSchedule(
  db: Executor,
  ref: ScheduleRef,
  actor: string,
  scope?: NicheScope,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const { owner, label } = await resolveOwner(trx, ref, scope);
    const before = await findScheduleRow(trx, owner);
    if (!before || !(await deleteScheduleRow(trx, owner))) throw notFound('posting schedule', label);
    await recordAudit(trx, {
      actor,
      action: 'posting_schedule.delete',
      targetType: 'posting_schedule',
      targetId: before.id,
      targetLabel: label,
      changes: diffChanges({ ...before }, undefined, { ignore: ['id', 'updated_at'] }),
    });
  });
}

/** The windows an account posts by, for the planner; null when it has none (it posts when cadence allows). */
export async function postingWindowsOf(db: Executor, accountId: string): Promise<PostingWindows | null> {
  const row = await effectiveScheduleRow(db, accountId);
  return row ? toSchedule(row) : null;
}
