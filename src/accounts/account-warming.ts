// What warming does to an account, and only that: the facts a session runs on, the device the planner gives
// it, a session counted against its day, and the marks a finished session leaves. When a session is due and
// what it moves the account to are the warming domain's rules (due-rule.ts, warming-policy.ts); state
// changes go through account-state.ts like any other.
import type { Expression } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { utcDay } from '../time.ts';
import {
  assignDeviceRows,
  countSessionOnDay,
  markSessionRow,
  selectWarmingRow,
} from './accounts-repository.ts';

export interface WarmingAccount {
  id: string;
  platform: string;
  username: string;
  /** The stored state: not necessarily one the scheduler plans for any more. */
  state: string;
  deviceId: string | null;
  deletedAt: Date | null;
  warmingDayCount: number;
  lastWarmedAt: Date | null;
}

/** The account a session is for, as it is now; undefined when it no longer exists. */
export async function accountForSession(db: Executor, id: string): Promise<WarmingAccount | undefined> {
  const row = await selectWarmingRow(db, id);
  return (
    row && {
      id: row.id,
      platform: row.platform,
      username: row.username,
      state: row.current_state,
      deviceId: row.device_id,
      deletedAt: row.deleted_at,
      warmingDayCount: row.warming_day_count,
      lastWarmedAt: row.last_warmed_at,
    }
  );
}

/**
 * What a finished session's record reads of its account: its state and warming day count as the session's
 * mark left them, in the transaction that records the session. The row stays locked until that transaction
 * ends, so nothing changes the account under the rest of the record (a state change, say).
 */
export interface MarkedAccount {
  state: string;
  warmingDayCount: number;
}

const marked = (row: { current_state: string; warming_day_count: number } | undefined) =>
  row && { state: row.current_state, warmingDayCount: row.warming_day_count };

/** Counts a session that started at `at` against the account's UTC day (the due rule's daily quota). */
export async function countSessionStarted(trx: Executor, id: string, at: Date): Promise<void> {
  await countSessionOnDay(trx, id, utcDay(at));
}

/**
 * A successful session: warmed at `at`, now on the warming day `day` computes, an expression over the row's
 * last_warmed_at and warming_day_count as they were (the warming domain's rule, worked out under the row's
 * lock: the account may have changed while the session ran). Undefined when the account is gone.
 */
export async function markWarmed(
  trx: Executor,
  id: string,
  at: Date,
  day: Expression<number>,
): Promise<MarkedAccount | undefined> {
  return marked(
    await markSessionRow(trx, id, { last_warmed_at: at, warming_day_count: day, last_activity_at: at }),
  );
}

/** Any other finished session: the account was active at `at`. Undefined when the account is gone. */
export async function touchActivity(trx: Executor, id: string, at: Date): Promise<MarkedAccount | undefined> {
  return marked(await markSessionRow(trx, id, { last_activity_at: at }));
}

/** Gives accounts the devices the planner chose for them. */
export async function assignDevices(
  trx: Executor,
  pairs: { accountId: string; deviceId: string }[],
): Promise<void> {
  await assignDeviceRows(trx, pairs);
}
