// Runs before every test file (vitest's setupFiles). Most files share their process, and its module cache, with
// the files run before them (the "shared" project in vitest.config.ts), so what one file changes in the process
// must not reach the next: the canaries it registered, the environment it set, its exit code.
import { afterAll } from 'vitest';
import { forgetCanaries } from './canary.ts';

forgetCanaries();

const environment = { ...process.env };
afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
  process.exitCode = undefined;
});
