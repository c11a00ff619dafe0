// Preloaded with --import by test/cli/lazy-commands.test.ts and test/jobs/worker-modules.test.ts: records the
// URL of every module the process loads and writes the project's own (src/) to the file named by
// SOVI_TEST_LOADED_MODULES at exit, and the packages it loaded (node_modules) to SOVI_TEST_LOADED_PACKAGES
// when that is set.
import module from 'node:module';
import { writeFileSync } from 'node:fs';

const loaded = new Set<string>();
module.registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  const own = [...loaded]
    .filter((url) => url.includes('/src/'))
    .map((url) => url.slice(url.indexOf('/src/') + 1));
  writeFileSync(process.env.SOVI_TEST_LOADED_MODULES ?? 'loaded-modules.txt', own.sort().join('\n'));
  const packagesFile = process.env.SOVI_TEST_LOADED_PACKAGES;
  if (packagesFile) {
    const packages = new Set(
      [...loaded].flatMap((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []),
    );
    writeFileSync(packagesFile, [...packages].sort().join('\n'));
  }
});
