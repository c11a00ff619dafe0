// Runs one media tool (ffmpeg, ffprobe, espeak-ng) as a child process: an argument array and never a shell,
// so no narration or file name is ever parsed as shell syntax. A deadline and the caller's AbortSignal both
// kill the child (SIGKILL: ffmpeg's SIGTERM handler would first finish writing the file), and the promise
// settles only once the child has exited, so a caller that saw the rejection knows nothing still runs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { childEnvironment } from '../child-env.ts';
import { SoviError } from '../errors.ts';

export interface RunOptions {
  /** Kill the child after this long. Default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  cwd?: string;
  /** Called with the child's pid once it started (tests use it to see that an abort killed it). */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Output kept per stream; beyond it the oldest stderr and the newest stdout are dropped. */
const MAX_OUTPUT = 4 * 1024 * 1024;

export function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const name = path.basename(command);
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      // Never the vault keys or any other secret of this process (see child-env.ts).
      env: childEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let stopped: Error | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > MAX_OUTPUT) stderr = stderr.slice(-MAX_OUTPUT / 2);
    });
    const stop = (reason: Error) => {
      stopped ??= reason;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop(abortReason(signal!));
    const timer = setTimeout(
      () => stop(new SoviError('internal', `${name} did not finish within ${timeoutMs} ms and was stopped`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanUp = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('spawn', () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      cleanUp();
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        reject(
          new SoviError('unavailable', `${name} could not be started (${err.code}): ${command}`, {
            tool: name,
          }),
        );
      } else {
        reject(new SoviError('internal', `${name} could not be started: ${err.message}`, { tool: name }));
      }
    });
    child.on('close', (code, killedBy) => {
      cleanUp();
      const elapsedMs = performance.now() - started;
      if (stopped) reject(stopped);
      else if (code === 0) resolve({ stdout, stderr, elapsedMs });
      else {
        const status = code === null ? `killed by ${killedBy ?? 'a signal'}` : `exit status ${code}`;
        const said = lastLines(stderr);
        reject(
          new SoviError('internal', `${name} failed (${status})${said ? `: ${said}` : ''}`, {
            tool: name,
            exitCode: code,
            stderr: lastLines(stderr, 20),
          }),
        );
      }
    });
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new SoviError('internal', `aborted${signal.reason === undefined ? '' : `: ${String(signal.reason)}`}`);
}

/**
 * The end of a tool's stderr, for an error message. The static ffmpeg's fontconfig complains about every
 * newer system config file it reads; those lines say nothing about the failure.
 */
export function lastLines(stderr: string, count = 3): string {
  return (
    stderr
      .split(/\r?\n|\r/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('Fontconfig '))
      .slice(-count)
      // A filter graph echoed back can be tens of kilobytes long.
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
      .join(' | ')
  );
}
