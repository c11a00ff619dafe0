// A `sovi worker` loads what a host runs, not the server (issue 19, lean long-running processes): no HTTP
// stack, no MCP server or triage agent (unless SOVI_AGENT asks for it), no SMTP client before an email, no
// rendering pipeline with stub media; and its heap sized for a long-running process by bin/sovi.js. Checked
// on a real worker process, started and stopped.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { SOVI_BIN, cliEnv, cliTestTimeout } from '../helpers/cli.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
beforeAll(async () => {
  // The job engine's schema, which a worker needs and never installs itself.
  const config = loadConfig({ DATABASE_URL: t.url });
  const database = await openDatabase(config, quietLogger, { applicationName: 'worker modules test' });
  await prepareDatabase(database, config, quietLogger);
  await database.close();
});
const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'sovi-worker-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `sovi worker`, stops it once it runs, and returns the src/ modules and packages it loaded. */
function loadedByWorker(
  env: Record<string, string>,
): Promise<{ own: string[]; packages: string[]; commandLine: string[] }> {
  const ownFile = path.join(dir, 'own.txt');
  const packagesFile = path.join(dir, 'packages.txt');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        path.join(root, 'test/helpers/record-loaded-modules.ts'),
        SOVI_BIN,
        'worker',
        '--host',
        'lean',
      ],
      {
        env: cliEnv({
          DATABASE_URL: t.url,
          SOVI_TEST_LOADED_MODULES: ownFile,
          SOVI_TEST_LOADED_PACKAGES: packagesFile,
          ...env,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let running = false;
    let commandLine: string[] = [];
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
      if (!running && out.includes('sovi worker running')) {
        running = true;
        // The same process (bin/sovi.js replaced itself with execve, keeping its pid), as it runs now.
        commandLine = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
        child.kill('SIGTERM'); // a graceful stop: the exit hook writes the lists
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!running) return reject(new Error(`worker exited (${code ?? signal}) before it ran:\n${out}`));
      const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
      resolve({ own: lines(ownFile), packages: lines(packagesFile), commandLine });
    });
  });
}

describe('what a sovi worker loads', { timeout: cliTestTimeout(6) }, () => {
  it('runs the host services without the HTTP stack, the MCP tools, the agent, SMTP or the renderer', async () => {
    const { own, packages, commandLine } = await loadedByWorker({
      SOVI_STUB_MEDIA: '{}',
      SOVI_TRENDS_PULL_CRON: 'off',
    });
    // Its heap sized for a long-running process, and the preload of this test kept.
    expect(commandLine).toContain('--max-semi-space-size=2');
    expect(commandLine).toContain('--import');
    expect(own).toContain('src/host-services.ts');
    expect(own).toContain('src/jobs/warming-worker.ts');
    expect(own).toContain('src/jobs/notifications-worker.ts');
    expect(own.filter((m) => /^src\/(http|mcp|agent|demo)\//.test(m))).toEqual([]);
    expect(own).not.toContain('src/content/builtin-media.ts');
    expect(own).not.toContain('src/main-job.ts');
    expect(
      packages.filter((p) =>
        /^(fastify|@fastify\/|@modelcontextprotocol\/|nodemailer$|prom-client$)/.test(p),
      ),
    ).toEqual([]);
  });
});
