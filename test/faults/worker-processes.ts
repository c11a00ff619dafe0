// Real `sovi worker` processes for the fault tests: started with a test's environment, killed at will, and
// all killed when the file ends. Their output is kept, to be scanned for errors and plaintext secrets.
import { spawn, type ChildProcess } from 'node:child_process';
import { SOVI_BIN, cliEnv } from '../helpers/cli.ts';
import { findCanaries } from '../helpers/canary.ts';

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves once the worker printed that it runs (rejects if it exited first). */
  readonly running: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  alive(): boolean;
  /** Started, and taking jobs. */
  ready(): boolean;
  /** Milliseconds since it became ready (0 while starting or after its exit). */
  readyForMs(): number;
}

export interface WorkerFleet {
  start(): WorkerProcess;
  /** Every worker ever started, dead or alive. */
  readonly all: WorkerProcess[];
  alive(): WorkerProcess[];
  /** SIGKILLs every live worker and waits for them to be gone. */
  killAll(): Promise<void>;
  /** Plaintext secrets any worker printed. */
  leakedSecrets(): string[];
  /** Workers that exited by themselves (not by SIGKILL), with their output. */
  crashed(): string[];
}

export function workerFleet(host: string, env: Record<string, string | undefined>): WorkerFleet {
  const all: WorkerProcess[] = [];
  const crashes: string[] = [];
  const start = (): WorkerProcess => {
    const child = spawn(process.execPath, [SOVI_BIN, 'worker', '--host', host], {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let done = false;
    let readyAt: number | undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => {
        done = true;
        if (signal !== 'SIGKILL') crashes.push(`exit ${code ?? signal}:\n${out}`);
        resolve({ code, signal });
      }),
    );
    const running = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('sovi worker running')) {
          readyAt ??= Date.now();
          resolve();
        }
      });
      void exited.then(({ code, signal }) =>
        reject(new Error(`worker exited (${code ?? signal}) before it ran:\n${out}`)),
      );
    });
    running.catch(() => undefined); // A worker killed while starting is expected here.
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const worker = {
      child,
      running,
      exited,
      output: () => out,
      alive: () => !done,
      ready: () => readyAt !== undefined && !done,
      readyForMs: () => (readyAt === undefined || done ? 0 : Date.now() - readyAt),
    };
    all.push(worker);
    return worker;
  };
  return {
    start,
    all,
    alive: () => all.filter((w) => w.alive()),
    killAll: async () => {
      const live = all.filter((w) => w.alive());
      for (const w of live) w.child.kill('SIGKILL');
      await Promise.all(live.map((w) => w.exited));
    },
    leakedSecrets: () => findCanaries(all.map((w) => w.output()).join('\n')),
    crashed: () => [...crashes],
  };
}

/** Error-level lines (pino level ≥ 50) of a worker's JSON log, but for the ones a test expects. */
export function errorLines(output: string, expected: RegExp[] = []): string[] {
  return output
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line))
    .filter((line) => !expected.some((re) => re.test(line)));
}
