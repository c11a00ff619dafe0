// Runs the real `sovi` binary as a child process, the way a user does.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { findCanaries } from './canary.ts';
import { TEST_PASSWORD_COST } from './password-cost.ts';

export const SOVI_BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'sovi.js');

/**
 * The time limit for a test (or a describe block's tests) that runs `sovi` up to `runs` times, one after
 * another or at once. Each run is a Node process that type-strips and imports its command group and
 * connects: under a second of CPU, which a busy 2-CPU machine (the suite's other test file, PostgreSQL,
 * anything else running) stretches to several seconds. The suite's 30 s stays the floor.
 */
export const cliTestTimeout = (runs: number): number => Math.max(30_000, runs * 12_000);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /**
   * From the last output to the exit: what the process took to close once it had said its piece (open
   * sockets or timers left behind show here). Unlike the whole run, it does not include starting Node.
   */
  exitMsAfterOutput: number;
}

/** A clean environment: nothing from the developer's shell (DATABASE_URL, PG*) leaks into the command. */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SOVI_LOG_FORMAT: 'json',
    SOVI_PASSWORD_COST: String(TEST_PASSWORD_COST),
    ...env,
  };
}

export function runSovi(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOVI_BIN, ...args], { env: cliEnv(env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    let outputAt = performance.now();
    let exitedAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      outputAt = performance.now();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      outputAt = performance.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', () => (exitedAt = performance.now()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Secrets may only ever be printed by `accounts reveal`, and never to stderr (logs, errors).
      const revealing = args[0] === 'accounts' && args[1] === 'reveal';
      const leaked = [...findCanaries(stderr), ...(revealing ? [] : findCanaries(stdout))];
      if (leaked.length > 0) {
        reject(
          new Error(
            `sovi ${args.join(' ')} printed plaintext secrets: ${leaked.join(', ')}\n${stdout}\n${stderr}`,
          ),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr, exitMsAfterOutput: Math.max(0, exitedAt - outputAt) });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface RunningSoviProcess {
  child: ChildProcess;
  url: string;
  output(): { stdout: string; stderr: string };
  /** Sends the signal and resolves with the exit status. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `sovi up` and resolves once it prints the URL it serves on. */
export function startSoviUp(
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
  args: string[] = [],
): Promise<RunningSoviProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOVI_BIN, 'up', ...args], {
      env: cliEnv({ SOVI_PORT: '0', ...env }),
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sovi up did not start within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /sovi is up at (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1],
          output: () => ({ stdout, stderr }),
          stop: async (signal = 'SIGTERM') => {
            child.kill(signal);
            const result = await exited;
            // The server's whole log must be free of plaintext secrets too.
            const leaked = findCanaries(`${stdout}\n${stderr}`);
            if (leaked.length > 0) throw new Error(`sovi up logged plaintext secrets: ${leaked.join(', ')}`);
            return result;
          },
        });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`sovi up exited with ${code} before it was up:\n${stdout}\n${stderr}`));
    });
  });
}
