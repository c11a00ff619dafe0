// Commands load only what they run (issues 12 and 19): `sovi --help` imports no command group, a group's
// command imports that group and what it uses, never the server, the workers or another group, and a read
// command loads none of the heavy libraries only writes, the server or the workers need.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliTestTimeout } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

/** The command groups' modules (read-command.ts is a helper they share, not a group). */
const isGroup = (m: string) => /^src\/cli\/[\w-]+-commands?\.ts$/.test(m) && m !== 'src/cli/read-command.ts';

const root = path.resolve(import.meta.dirname, '../..');
const t = useTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), 'sovi-loaded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `sovi <args>` and returns the src/ modules it loaded (and, in `.packages`, the packages). */
function loadedBy(
  args: string[],
  env: Record<string, string> = {},
): Promise<string[] & { packages: string[] }> {
  const file = path.join(dir, `${args.join('-')}.txt`);
  const lines = (name: string) => readFileSync(name, 'utf8').split('\n').filter(Boolean);
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
        env: { PATH: process.env.PATH, HOME: process.env.HOME, SOVI_TEST_LOADED_MODULES: file, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`sovi ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(Object.assign(lines(file), { packages: lines(`${file}.packages`) }));
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

  it(
    'read commands load no job engine, server, telemetry or writer-only library',
    { timeout: cliTestTimeout(6) },
    async () => {
      const heavy = [
        'pg-boss',
        '@opentelemetry/api',
        'fastify',
        'prom-client',
        'cron-parser',
        'yaml',
        '@inquirer/core',
        'cli-progress',
        'csv-parse',
        'nodemailer',
      ];
      for (const args of [
        ['accounts', 'list', '--limit', '20'],
        ['devices', 'list'],
        ['schedule', 'status'],
        ['content', 'list'],
      ]) {
        const loaded = await loadedBy(args, { DATABASE_URL: t.url });
        expect(loaded.filter((m) => m.startsWith('src/http/') || m.startsWith('src/jobs/'))).toEqual([]);
        expect(loaded.packages.filter((p) => heavy.includes(p))).toEqual([]);
      }
    },
  );
});
