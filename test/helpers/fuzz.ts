// Fast-check parameters for every fuzz test: seeded (FUZZ_SEED replays a run; fast-check prints the seed of a
// failure), with an everyday number of runs that FUZZ_RUNS raises for a deep run, e.g.
//   FUZZ_RUNS=2000 npx vitest run test/fuzz test/http/fuzz.test.ts test/http/domain-fuzz.test.ts
// The everyday numbers keep the suite's time in bounds (it runs twice in CI, beside other work); each run of
// the suite draws a new seed, so the cases covered add up from run to run.
import type fc from 'fast-check';

/** The number of runs: FUZZ_RUNS when set, else the test's everyday number. */
export const fuzzRuns = (everyday: number): number => Number(process.env.FUZZ_RUNS ?? everyday);

export const fuzzParams = (everyday: number): fc.Parameters<unknown> => ({
  numRuns: fuzzRuns(everyday),
  seed: process.env.FUZZ_SEED === undefined ? Date.now() ^ (process.pid << 8) : Number(process.env.FUZZ_SEED),
  endOnFailure: true,
  // On a loaded machine a property stops after this long (without failing) rather than hold the suite up.
  interruptAfterTimeLimit: 30_000,
  markInterruptAsFailure: false,
});
