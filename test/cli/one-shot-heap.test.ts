// Reads and help keep V8 lean (issue 19, "commands start fast": peak RSS at most 80 MB): bin/sovi.js
// stops the young generation from growing past its first semi-space and leaves the optimizing compilers off,
// which were most of what a read command held above Node itself (bench/README.md, "Command start"). Checked
// on the real binary, against the same command with SOVI_LEAN_HEAP=0 (V8's defaults), which must differ:
// else this test would not see the flags at all. The RSS itself is the bench's (bench/cli-start.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SOVI_BIN, cliEnv, cliTestTimeout } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'sovi-one-shot-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = ['accounts', 'list', '--limit', '20'];

/** Runs `node <nodeArgs> bin/sovi.js <args>` and returns its stdout. */
function run(nodeArgs: string[], env: Record<string, string>, args = read): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, SOVI_BIN, ...args], {
      env: cliEnv({ DATABASE_URL: t.url, ...env }),
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sovi ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(stdout);
    });
  });
}

let n = 0;
/** The young generation's size (both semi-spaces) at exit, from the preload test/helpers/record-heap.js. */
async function newSpaceBytes(env: Record<string, string> = {}): Promise<number> {
  const file = path.join(dir, `heap-${++n}.json`);
  await run(['--import', path.join(root, 'test/helpers/record-heap.js')], {
    SOVI_TEST_HEAP_FILE: file,
    ...env,
  });
  return (JSON.parse(readFileSync(file, 'utf8')) as { newSpaceBytes: number }).newSpaceBytes;
}

/**
 * The lines of V8's --trace-opt: each function marked for, or compiled by, an optimizing compiler. Without a
 * preload: one runs before bin/sovi.js and already has Node's path functions marked for Maglev.
 */
async function optimized(env: Record<string, string> = {}, args = read): Promise<string[]> {
  const stdout = await run(['--trace-opt'], env, args);
  return stdout.split('\n').filter((line) => /\(target \w+\)/.test(line));
}

describe('a read command', { timeout: cliTestTimeout(4) }, () => {
  it("keeps V8's young generation at its first size", async () => {
    // Two semi-spaces of 1 MiB, V8's first size; loading the modules grows them to 8 MiB each by default.
    expect(await newSpaceBytes()).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(await newSpaceBytes({ SOVI_LEAN_HEAP: '0' })).toBeGreaterThan(2 * 1024 * 1024);
  });

  it('runs no optimizing compiler', async () => {
    expect(await optimized()).toEqual([]);
    expect((await optimized({ SOVI_LEAN_HEAP: '0' })).length).toBeGreaterThan(0);
  });
});

describe('a command that works for long', { timeout: cliTestTimeout(2) }, () => {
  it('keeps the optimizing compilers, which pay for themselves there', async () => {
    // `sovi migrate` stands for imports, rotations, backups and renders; here it has nothing to apply.
    expect((await optimized({}, ['migrate'])).length).toBeGreaterThan(0);
  });
});
