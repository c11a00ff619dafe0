// Commands load only what they run (issue 12): `sovi --help` imports no command group, and a group's
// command imports that group and what it uses, never the server, the workers or another group.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliTestTimeout } from '../helpers/cli.ts';

/** The command groups' modules (read-command.ts is a helper they share, not a group). */
const isGroup = (m: string) => /^src\/cli\/[\w-]+-commands?\.ts$/.test(m) && m !== 'src/cli/read-command.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'sovi-loaded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `sovi <args>` and returns the src/ modules it loaded. */
function loadedBy(args: string[]): Promise<string[]> {
  const file = path.join(dir, `${args.join('-')}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        path.join(root, 'test/helpers/record-loaded-modules.ts'),
        path.join(root, 'bin/sovi.js'),
        ...args,
      ],
      {
        // No database: a command that needed one would fail, which this test would see in the exit code.
        env: { PATH: process.env.PATH, HOME: process.env.HOME, SOVI_TEST_LOADED_MODULES: file },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`sovi ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(readFileSync(file, 'utf8').split('\n').filter(Boolean));
    });
  });
}

describe('lazy command loading', { timeout: cliTestTimeout(3) }, () => {
  it('sovi --help loads the command manifest and no command group', async () => {
    const loaded = await loadedBy(['--help']);
    expect(loaded).toContain('src/cli/main.ts');
    expect(loaded.filter(isGroup)).toEqual([]);
    expect(loaded.filter((m) => !m.startsWith('src/cli/'))).toEqual([]);
  });

  it("a group's --help loads that group, not the server, the workers or other groups", async () => {
    const loaded = await loadedBy(['niches', '--help']);
    expect(loaded).toContain('src/cli/niches-commands.ts');
    expect(loaded.filter(isGroup)).toEqual(['src/cli/niches-commands.ts']);
    expect(loaded.filter((m) => m.startsWith('src/http/') || m.startsWith('src/jobs/'))).toEqual([]);
  });
});
