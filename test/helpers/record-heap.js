// Preloaded with --import by test/cli/one-shot-heap.test.ts: writes, at exit, the size V8 gave its young
// generation (new space: both semi-spaces) and the process's peak RSS, as JSON, to SOVI_TEST_HEAP_FILE.
// Plain JavaScript: a preload runs before bin/sovi.js enables the compile cache and sets V8's flags, and a
// TypeScript one would load Node's type stripper (+17 MB) first.
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

process.on('exit', () => {
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  writeFileSync(
    process.env.SOVI_TEST_HEAP_FILE ?? 'heap.json',
    JSON.stringify({ newSpaceBytes: newSpace?.space_size ?? 0, maxRssKiB: process.resourceUsage().maxRSS }),
  );
});
