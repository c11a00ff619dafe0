// Changing an account's lifecycle state: only the transitions account-lifecycle.ts allows, one change at a
// time, each with an event (its severity from the lifecycle's table) and an activity row.
import { recordEventWithActivity } from '../activity/activity-log.ts';
import type { Executor } from '../db/executor.ts';
import { SoviError, invalidInput } from '../errors.ts';
import { assertTransition, stateSeverity } from './account-lifecycle.ts';
import type { AccountState } from './account-model.ts';
import { compareAndSetState, findAccountRow } from './accounts-repository.ts';
import { findAccount, type AccountDeps } from './accounts-service.ts';
import { validateState } from './account-validation.ts';
import { auditAccount } from './account-audit.ts';

export interface StateChange {
  reason: string;
  /** The state the caller saw; the change is refused if the account has moved on since. */
  expectedFrom?: AccountState;
  /** Defaults to deps.actor. */
  actor?: string;
  /** Where the change came from, e.g. a session id; kept in the event's context. */
  context?: Record<string, unknown>;
}

/**
 * Applies a lifecycle transition. Two concurrent changes of one account cannot both apply from the same
 * starting state: the update only matches while the account is still in the state the transition was
 * checked against.
 */
export async function setAccountState(
  deps: Pick<AccountDeps, 'db' | 'actor' | 'scope'>,
  ref: string,
  toState: string,
  change: StateChange,
  executor?: Executor,
): Promise<{ from: AccountState; to: AccountState }> {
  const to = validateState(toState);
  if (!change.reason.trim()) throw invalidInput('reason', 'reason: say why the state changes');
  const actor = change.actor ?? deps.actor;
  const apply = async (trx: Executor) => {
    const row = await findAccount(trx, ref, 'account', deps.scope);
    const from = row.current_state as AccountState;
    if (row.deleted_at)
      throw new SoviError('conflict', `account ${row.id} is deleted: restore it first`, { field: 'id' });
    if (change.expectedFrom !== undefined && change.expectedFrom !== from) {
      throw new SoviError(
        'conflict',
        `account ${row.id} is ${from} now, not ${change.expectedFrom}; check and retry`,
        {
          field: 'state',
          from: change.expectedFrom,
          current: from,
        },
      );
    }
    assertTransition(from, to);
    if (!(await compareAndSetState(trx, row.id, from, to))) {
      const now = await findAccountRow(trx, row.id);
      throw new SoviError(
        'conflict',
        `account ${row.id} changed concurrently (it is now ${now?.current_state ?? 'gone'}, not ${from}); check and retry`,
        { field: 'state', from, current: now?.current_state },
      );
    }
    const detail = { from, to, reason: change.reason, actor, ...change.context };
    await recordEventWithActivity(trx, {
      category: 'account',
      severity: stateSeverity[to],
      eventType: 'state_changed',
      accountId: row.id,
      deviceId: row.device_id,
      message: `${row.platform} account ${row.username}: ${from} → ${to} (${change.reason})`,
      context: detail,
    });
    await auditAccount(trx, {
      actor,
      action: 'account.state',
      id: row.id,
      before: row,
      note: change.reason,
    });
    return { from, to };
  };
  return executor ? apply(executor) : deps.db.transaction().execute(apply);
}
