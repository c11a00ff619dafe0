import { configDefaults, defineConfig } from 'vitest/config';
import { markedNoDatabase, mockingModules } from './test/helpers/test-files.ts';

const root = import.meta.dirname;
// The second CI run (the machine's PostgreSQL) leaves out the files that open no database: they would repeat
// the first run exactly (test/helpers/test-files.ts).
const databaseOnly = process.env.SOVI_TEST_DATABASE_ONLY === '1';
const exclude = [...configDefaults.exclude, ...(databaseOnly ? markedNoDatabase(root) : [])];
// Files that vi.mock a module need a process whose module cache no other file has filled.
const ownProcess = mockingModules(root);

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/password-cost.ts', 'test/helpers/per-file.ts'],
    pool: 'forks',
    // Most test files wait on PostgreSQL, child processes and Chromium, not the CPU: on a 2-CPU machine one file
    // at a time left a core idle and the suite took twice as long. Three at a time passed too but gained only
    // 3% (990 s against 1,018 s on 2026-12-06), for more contention on a machine CI shares with other work.
    maxWorkers: 2,
    // A deadline, not an expectation: tests wait on conditions and pass as soon as they hold. CI runs the suite
    // beside other work on 2 CPUs, where starting a server or a sovi process can take several times as long.
    testTimeout: 60_000,
    // expect.poll waits on a condition, but gives up after 1 s by default: a page that renders a table from
    // a fetch can take longer than that on a busy machine. The pages' own waits allow 15 s (test/web).
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    projects: [
      {
        // A fork runs file after file with one module cache: sovi's modules are imported and type-stripped
        // once a fork instead of once a file (about a third of the suite's CPU when each file had its own
        // process). test/helpers/per-file.ts resets what a file leaves in the process.
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: [...exclude, ...ownProcess],
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'own-process', include: ownProcess, exclude, isolate: true },
      },
    ],
  },
});
