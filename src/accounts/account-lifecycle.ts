// The account lifecycle, as data: the one place that says which state may follow which.
//
//   created → warming_p1 → warming_p2 → warming_p3 → active ⇄ resting
//                                                    active ⇄ cooldown
//                                                    active → flagged | restricted | shadowbanned | suspended | banned
//
// Recovery paths a team needs: a flagged, restricted or shadowbanned account cools down and comes back
// (→ cooldown → active); a login failure or verification challenge during warming sends the account to
// cooldown, from which it resumes the phase it was in; a suspension can be appealed (→ cooldown) or end in a
// ban. A platform can suspend or ban an account at any point. banned is terminal.
import { SoviError } from '../errors.ts';
import type { Severity } from '../events/event-model.ts';
import type { AccountState } from './account-model.ts';

const troubled = ['flagged', 'suspended', 'banned'] as const;

export const transitions: Readonly<Record<AccountState, readonly AccountState[]>> = {
  created: ['warming_p1', 'cooldown', ...troubled],
  warming_p1: ['warming_p2', 'cooldown', ...troubled],
  warming_p2: ['warming_p3', 'cooldown', ...troubled],
  warming_p3: ['active', 'cooldown', ...troubled],
  active: ['resting', 'cooldown', 'flagged', 'restricted', 'shadowbanned', 'suspended', 'banned'],
  resting: ['active', 'cooldown', 'suspended', 'banned'],
  cooldown: ['active', 'warming_p1', 'warming_p2', 'warming_p3', 'resting', 'suspended', 'banned'],
  flagged: ['cooldown', 'restricted', 'shadowbanned', 'suspended', 'banned'],
  restricted: ['cooldown', 'suspended', 'banned'],
  shadowbanned: ['cooldown', 'resting', 'suspended', 'banned'],
  suspended: ['cooldown', 'banned'],
  banned: [],
};

export const allowedTransitions = (from: AccountState): readonly AccountState[] => transitions[from];

export const canTransition = (from: AccountState, to: AccountState): boolean =>
  transitions[from].includes(to);

export function assertTransition(from: AccountState, to: AccountState): void {
  if (canTransition(from, to)) return;
  const allowed = transitions[from];
  throw new SoviError(
    'conflict',
    allowed.length === 0
      ? `an account in ${from} cannot change state: ${from} is terminal`
      : `an account cannot go from ${from} to ${to}; from ${from} it can go to: ${allowed.join(', ')}`,
    { field: 'state', from, to, allowed: [...allowed] },
  );
}

/** How loud a move into each state is in the event log: trouble from the platform is an error or a warning. */
export const stateSeverity: Readonly<Record<AccountState, Severity>> = {
  created: 'info',
  warming_p1: 'info',
  warming_p2: 'info',
  warming_p3: 'info',
  active: 'info',
  resting: 'info',
  cooldown: 'info',
  flagged: 'warning',
  restricted: 'warning',
  shadowbanned: 'warning',
  suspended: 'error',
  banned: 'error',
};
