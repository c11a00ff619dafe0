#!/usr/bin/env node
// sovi runs its TypeScript sources directly with Node's type stripping, which is on by default from Node
// 22.18 and 23.6. On Node 22.12–22.17 it sits behind a flag, so the CLI re-runs itself with that flag.
import { spawn } from 'node:child_process';
import module from 'node:module';

// V8 keeps the compiled modules (and the type-stripped sources) on disk, in the system's temporary folder,
// checked against each file's contents: a command then starts on about a third less CPU, and `sovi --help`
// as fast as Node itself. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache();

if (process.features.typescript) {
  await import('../src/cli/main.ts');
} else {
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      import.meta.filename,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
