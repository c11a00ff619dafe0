// Test files that open no PostgreSQL database say so on a line of their own:
//
//   // @no-database
//
// CI runs the suite twice, on the embedded PostgreSQL 17 and on the machine's PostgreSQL 15. A file that
// never talks to the test server (ffmpeg renders, parsers, fakes of other services) would do the very same
// work twice (and so would one that starts an embedded server of its own: backups, the embedded server's
// lifecycle), so the second run leaves it out (SOVI_TEST_DATABASE_ONLY=1, see vitest.config.ts and .ci/run).
// The mark is kept honest: a marked file that asks for a test database fails (test/helpers/database.ts).
import fs from 'node:fs';
import path from 'node:path';

export const NO_DATABASE_MARK = /^\/\/ @no-database\b/m;

/** Whether the test file at this path carries the mark. */
export const isMarkedNoDatabase = (file: string): boolean =>
  NO_DATABASE_MARK.test(fs.readFileSync(file, 'utf8'));

/** The marked test files under a folder, relative to `root`, for vitest's `exclude`. */
export function markedNoDatabase(root: string, folder = 'test'): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.test.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (isMarkedNoDatabase(file)) found.push(path.relative(root, file));
  }
  return found.sort();
}
