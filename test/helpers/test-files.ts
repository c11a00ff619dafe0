// What vitest.config.ts needs to know about the test files before it runs them.
//
// 1. Files that open no PostgreSQL database say so on a line of their own:
//
//      // @no-database
//
//    CI runs the suite twice, on the embedded PostgreSQL 17 and on the machine's PostgreSQL 15. A file that
//    never talks to the test server (ffmpeg renders, parsers, fakes of other services) would do the very same
//    work twice (and so would one that starts an embedded server of its own: backups, the embedded server's
//    lifecycle), so the second run leaves it out (SOVI_TEST_DATABASE_ONLY=1, see .ci/run). The mark is kept
//    honest: a marked file that asks for a test database fails (test/helpers/database.ts).
//
// 2. Files that replace a module with `vi.mock` run each in a process of their own. The others share their
//    process's module cache with the files run before them (a fork imports sovi once, not once a file): a mock
//    cannot replace a module an earlier file already loaded, so a mocking file needs a fresh one. Found from the
//    source, so a new mocking file cannot be forgotten.
import fs from 'node:fs';
import path from 'node:path';

export const NO_DATABASE_MARK = /^\/\/ @no-database\b/m;
const MOCKS_MODULES = /\bvi\.(?:mock|doMock)\(/;

/** Whether the test file at this path carries the mark. */
export const isMarkedNoDatabase = (file: string): boolean =>
  NO_DATABASE_MARK.test(fs.readFileSync(file, 'utf8'));

/** The test files under a folder whose source matches, relative to `root`, for vitest's include/exclude. */
function testFilesMatching(pattern: RegExp, root: string, folder: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.test.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (pattern.test(fs.readFileSync(file, 'utf8'))) found.push(path.relative(root, file));
  }
  return found.sort();
}

/** The files marked `// @no-database`. */
export const markedNoDatabase = (root: string, folder = 'test'): string[] =>
  testFilesMatching(NO_DATABASE_MARK, root, folder);

/** The files that replace modules with vi.mock / vi.doMock. */
export const mockingModules = (root: string, folder = 'test'): string[] =>
  testFilesMatching(MOCKS_MODULES, root, folder);
