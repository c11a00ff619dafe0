#!/usr/bin/env node
// sovi runs its TypeScript sources directly with Node's type stripping, which is on by default from Node
// 22.18 and 23.6. On Node 22.12–22.17 it sits behind a flag, so the CLI re-runs itself with that flag.
import { spawn } from 'node:child_process';
import module from 'node:module';

// Before anything that needs a new Node (enableCompileCache, type stripping): an older one would otherwise
// fail with a bare `bad option: --experimental-strip-types` or a TypeError. This file must stay plain
// JavaScript that old Nodes can parse, so that this message is what they print. `npm start` runs this too.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `sovi: needs Node.js 22.12 or newer; this is Node ${process.versions.node} (${process.execPath}).\n` +
      'Install Node 24 (https://nodejs.org/, or `nvm install 24`), or without root put it on your PATH from npm:\n' +
      '  npm install --prefix ~/.cache/node24 node@24\n' +
      '  export PATH=~/.cache/node24/node_modules/.bin:$PATH\n',
  );
  process.exit(69);
}

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
