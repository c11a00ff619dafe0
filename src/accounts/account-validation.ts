// What an account's fields may be: checked the same way for the CLI, the API and imports, each error naming
// the field.
import { invalidInput, oneOf } from '../errors.ts';
import { accountStates, type AccountState } from './account-model.ts';

// Platform usernames: letters, digits, underscores and periods, at most 30 characters (both platforms' rule).
const USERNAME = /^[A-Za-z0-9_.]{1,30}$/;

export function validateUsername(value: string, field = 'username'): string {
  if (!USERNAME.test(value)) {
    throw invalidInput(
      field,
      `${field}: expected 1–30 letters, digits, underscores or periods, got "${value}"`,
    );
  }
  return value;
}

export function validateState(value: string, field = 'state'): AccountState {
  return oneOf(accountStates, value, field);
}

/** Followers and following: whole numbers ≥ 0. */
export function validateCount(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw invalidInput(field, `${field}: expected a whole number ≥ 0, got ${value}`);
  }
  return value;
}
