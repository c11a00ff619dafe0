// Changes to many accounts at once (the dashboard's selection): each account is changed on its own, in its
// own transaction, by the same rules as one at a time, so one refusal (a transition the lifecycle forbids, a
// deleted account) leaves the others changed and is reported with its reason.
import { resolveDevice } from '../devices/devices-service.ts';
import { SoviError } from '../errors.ts';
import type { AccountState } from './account-model.ts';
import { setAccountState } from './account-state.ts';
import { findOwnAccount, updateAccount, type AccountDeps } from './accounts-service.ts';

export interface BulkOutcome {
  id: string;
  /** platform:username, for people to read; null when the account was not found. */
  account: string | null;
  ok: boolean;
  /** Why this account was not changed. */
  error?: { code: string; message: string; allowed?: string[] };
}

/** Runs `change` on each account in turn; a SoviError becomes that account's refusal, anything else fails. */
async function eachAccount(
  deps: AccountDeps,
  ids: readonly string[],
  change: (id: string) => Promise<void>,
): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = [];
  for (const id of new Set(ids)) {
    let account: string | null = null;
    try {
      const row = await findOwnAccount(deps, id);
      account = `${row.platform}:${row.username}`;
      await change(row.id);
      outcomes.push({ id, account, ok: true });
    } catch (err) {
      if (!(err instanceof SoviError)) throw err;
      const allowed = err.details.allowed;
      outcomes.push({
        id,
        account,
        ok: false,
        error: {
          code: err.code,
          message: err.message,
          ...(Array.isArray(allowed) ? { allowed: allowed.map(String) } : {}),
        },
      });
    }
  }
  return outcomes;
}

/** A lifecycle transition of each account, with one reason; the lifecycle decides for each. */
export async function setAccountStates(
  deps: AccountDeps,
  ids: readonly string[],
  state: AccountState,
  reason: string,
): Promise<BulkOutcome[]> {
  return eachAccount(deps, ids, async (id) => {
    await setAccountState(deps, id, state, { reason });
  });
}

/** Moves each account to one device (null: off any device). An unknown device refuses the whole request. */
export async function moveAccounts(
  deps: AccountDeps,
  ids: readonly string[],
  device: string | null,
): Promise<BulkOutcome[]> {
  const deviceId = device === null ? null : await resolveDevice(deps.db, device);
  return eachAccount(deps, ids, async (id) => {
    await updateAccount(deps, id, { device: deviceId });
  });
}
