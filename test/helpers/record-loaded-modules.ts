// Preloaded with --import by test/cli/lazy-commands.test.ts and test/jobs/worker-modules.test.ts: records the
// URL of every module the process loads and writes, at exit, the project's own (src/) to the file named by
// SOVI_TEST_LOADED_MODULES and the packages loaded from node_modules (by name, once each) to
// SOVI_TEST_LOADED_PACKAGES, or to the first name with `.packages` appended.
import module from 'node:module';
import { writeFileSync } from 'node:fs';

const loaded = new Set<string>();
module.registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});

/** The package a node_modules URL is in: `pg-boss`, `@opentelemetry/api`. */
function packageOf(url: string): string {
  const [first, second] = url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? '');
}

process.on('exit', () => {
  const file = process.env.SOVI_TEST_LOADED_MODULES ?? 'loaded-modules.txt';
  const own = [...loaded]
    .filter((url) => url.includes('/src/') && !url.includes('/node_modules/'))
    .map((url) => url.slice(url.indexOf('/src/') + 1));
  writeFileSync(file, own.sort().join('\n'));
  const packages = new Set([...loaded].filter((url) => url.includes('/node_modules/')).map(packageOf));
  writeFileSync(process.env.SOVI_TEST_LOADED_PACKAGES ?? `${file}.packages`, [...packages].sort().join('\n'));
});
