// Option parsing shared by the commands: every bad value becomes an invalid_input error naming the option.
import fs from 'node:fs/promises';
import { invalidInput, oneOf } from '../errors.ts';

export function parseInteger(option: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw invalidInput(option, `${option}: expected an integer between ${min} and ${max}, got "${value}"`);
  }
  return Number(value);
}

export function parseNumber(option: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw invalidInput(option, `${option}: expected a number between ${min} and ${max}, got "${value}"`);
  }
  return n;
}

export function parseChoice<T extends string>(option: string, value: string, choices: readonly T[]): T {
  return oneOf(choices, value, option);
}

/** "a,b" or repeated options, as a list. */
export function parseList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

export { isUuid } from '../ids.ts';

/** The text of the file an import was given (its `<file>` argument); one it cannot read is bad input. */
export async function readFileArgument(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw invalidInput('file', `file: cannot read ${file}`);
  }
}
