#!/usr/bin/env node
// sovi runs its TypeScript sources directly with Node's type stripping, which is on by default from Node
// 22.18 and 23.6. On Node 22.12–22.17 it sits behind a flag, so the CLI re-runs itself with that flag.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import module from 'node:module';
import v8 from 'node:v8';

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

// `sovi worker` and `sovi up` run for days: V8 sizes their heap from the machine's memory (on a 16 GB host a
// young generation of ~100 MiB and an old one let to grow to 4× what it holds before it is collected), so a
// worker holding ~40 MiB of live objects sat at 300+ MiB (bench/README.md, "Memory"). V8 reads its heap
// sizes only at start: the process replaces itself (process.execve: same pid, nothing loaded yet) with one
// started with LEAN_HEAP, and MALLOC_ARENA_MAX keeps glibc from one arena per thread. Heap sizes of one's
// own (on Node's command line or in NODE_OPTIONS) are left alone; SOVI_LEAN_HEAP=0 turns this off.
const LEAN_HEAP = [
  '--max-semi-space-size=2', // MiB per semi-space: the young generation is 4 MiB instead of ~100
  '--heap-growing-percent=20', // the old generation is collected at 1.2× what it held after the last collection
  '--v8-pool-size=2', // V8's background threads (compilers, GC): 2 instead of 4
  '--optimize-for-size', // V8 favours size over speed where it has the choice
];
// The command and its verb (`accounts list`), and Node's own flags (its command line and NODE_OPTIONS): what
// both heap decisions below read.
const [command, verb] = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const nodeFlags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
const longRunning = command === 'worker' || command === 'up';
if (
  longRunning &&
  typeof process.execve === 'function' &&
  !/--max-(semi|old)-space-size|--max-heap-size|--heap-growing-percent/.test(nodeFlags) &&
  process.env.SOVI_LEAN_HEAP !== '0'
) {
  const argv = [process.execPath, ...LEAN_HEAP, ...process.execArgv, ...process.argv.slice(1)];
  // Once: the new process has the flags on its command line.
  process.execve(process.execPath, argv, { MALLOC_ARENA_MAX: '2', ...process.env });
}

// A read (`list`, `show`, `status`) or the help lives for half a second, and V8's defaults for a long life were
// most of its peak RSS above Node's own (bench/README.md, "Command start"): loading modules, whose objects
// mostly survive a scavenge, grew the young generation from 2 to 16 MiB (under 1 MiB of it live), and the
// optimizing compilers (TurboFan, Maglev) spent ~9 MB of zones on Node's loader functions, hot while modules
// load, in a process about to exit. Unlike --max-semi-space-size, these flags are read each time V8 decides, so
// they hold when set here: the young generation keeps its first size, and code runs in the interpreter and
// Sparkplug (bytecode compiled to machine code as is). `accounts list` peaked at 91 MB, now 74 (Node: 44).
// Commands that work for long (imports, key rotation, backups, pulls, renders, `sovi mcp`) keep V8's
// defaults: the optimizing compilers pay for themselves there. Set before the compile cache is enabled: its
// folder is keyed by V8's flags, whose code it holds.
const quickRead =
  command === undefined ||
  command === 'help' ||
  process.argv.includes('--help') ||
  process.argv.includes('-h') ||
  ['list', 'show', 'status'].includes(verb ?? '');
const userHeapFlags =
  /--max-(semi|old)-space-size|--max-heap-size|--semi-space-growth-factor|--(no-)?(opt|turbofan|maglev)\b/.test(
    nodeFlags,
  );
if (quickRead && !userHeapFlags && process.env.SOVI_LEAN_HEAP !== '0') {
  v8.setFlagsFromString('--semi-space-growth-factor=1 --no-opt --no-maglev');
}

// V8 keeps the compiled modules (and the type-stripped sources) on disk, in the system's temporary folder,
// checked against each file's contents: a command then starts on about a third less CPU, and `sovi --help`
// as fast as Node itself. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache();

// kysely and zod, bundled at install by scripts/build-vendor.ts (`prepare`): hundreds of small files each,
// whose reading and linking was most of a command's start. Used only while the bundled version of each is the
// one installed (else, or when bundles are missing or SOVI_NO_VENDOR=1, Node loads node_modules as before).
// Only libraries are bundled: sovi's own sources always run as they are, so nothing here can be stale.
useVendorBundles();

function useVendorBundles() {
  if (process.env.SOVI_NO_VENDOR === '1' || typeof module.registerHooks !== 'function') return;
  const root = new URL('..', import.meta.url);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(new URL('dist/vendor/manifest.json', root), 'utf8'));
    for (const [name, version] of Object.entries(manifest.versions)) {
      const installed = JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, root), 'utf8'));
      if (installed.version !== version) return;
    }
  } catch {
    return; // No bundles (not built yet, or removed): node_modules serves.
  }
  const bundles = new Map(
    Object.entries(manifest.entries).map(([specifier, file]) => [
      specifier,
      new URL(`dist/vendor/${file}`, root).href,
    ]),
  );
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const url = bundles.get(specifier);
      // ESM imports only: require() of these gets their CommonJS build from node_modules, as before.
      if (url !== undefined && context.conditions?.includes('import')) {
        return { url, format: 'module', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
}

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
