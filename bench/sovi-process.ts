// sovi as a team runs it, for the benches that measure the whole system: `sovi worker`, `sovi up` and one-shot
// commands as real processes (node bin/sovi.js), each with its own environment. One-shot commands run under
// GNU time, which reports the CPU seconds and peak RSS of a process that is gone before /proc could be read.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';

const ROOT = path.join(import.meta.dirname, '..');
export const SOVI_BIN = path.join(ROOT, 'bin', 'sovi.js');

export interface LongRunning {
  readonly name: string;
  readonly pid: number;
  /** What it printed to stdout so far. */
  output(): string;
  /** Resolves with the first stdout match of `pattern`. */
  ready: Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a long-running sovi command; `readyPattern` is what it prints once it is serving. */
export const startSovi = (name: string, args: string[], env: Record<string, string>, readyPattern: RegExp) =>
  startNode(name, [SOVI_BIN, ...args], env, readyPattern);

/** Starts a long-running Node script (a sovi command, or a bench helper such as bare-dashboard.ts). */
export function startNode(
  name: string,
  args: string[],
  env: Record<string, string>,
  readyPattern: RegExp,
): LongRunning {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = readyPattern.exec(stdout);
      if (match) resolve(match);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // Kept short: a worker under load may warn a lot, and only the end matters when it dies.
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    void exited.then(([code, signal]) =>
      reject(
        new Error(`bench: ${name} exited (${code ?? signal}) before it was ready:\n${stderr.slice(-3_000)}`),
      ),
    );
  });
  ready.catch(() => {}); // awaited by the caller; an exit after stop() must not surface as unhandled
  return {
    name,
    pid: child.pid!,
    output: () => stdout,
    ready,
    stop: async (graceMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface OneShot {
  stdout: string;
  stderr: string;
  wallMs: number;
  cpuSeconds: number;
  peakMiB: number;
  /** When it exited (ms since epoch). */
  endedAt: number;
}

/** Runs a one-shot sovi command to completion under GNU time; throws on a non-zero exit. */
export async function runSovi(args: string[], env: Record<string, string>): Promise<OneShot> {
  const marker = '@@bench-time';
  const child: ChildProcess = spawn(
    '/usr/bin/time',
    ['-f', `${marker} %U %S %M`, process.execPath, SOVI_BIN, ...args],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const started = performance.now();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - started;
  const timing = new RegExp(`${marker} ([\\d.]+) ([\\d.]+) (\\d+)`).exec(stderr);
  stderr = stderr.replace(/^@@bench-time.*$/m, '').trim();
  if (code !== 0) throw new Error(`bench: sovi ${args.join(' ')} exited ${code}:\n${stderr.slice(-3_000)}`);
  return {
    stdout,
    stderr,
    wallMs,
    cpuSeconds: timing ? Number(timing[1]) + Number(timing[2]) : Number.NaN,
    peakMiB: timing ? Number(timing[3]) / 1024 : Number.NaN,
    endedAt: Date.now(),
  };
}
