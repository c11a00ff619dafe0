// A worker's stop, in the order every worker needs it: abort what it is running, take no more jobs from its
// queues and wait for the running ones to finish, then close what it opened.
import type { PgBoss } from 'pg-boss';
import { stopWork } from './job-engine.ts';

export interface WorkerStop {
  /** Aborted when the worker stops: handed to what its jobs run, so that a long run ends early. */
  readonly signal: AbortSignal;
  readonly stop: () => Promise<void>;
}

export function workerStop(
  boss: PgBoss,
  queues: Record<string, string>,
  options: {
    /** Who stops, for the abort's reason: `${name} is stopping`. */
    name: string;
    /** Closes what the worker opened, once its jobs are done. */
    close?: () => Promise<void>;
  },
): WorkerStop {
  const stopping = new AbortController();
  return {
    signal: stopping.signal,
    stop: async () => {
      stopping.abort(new Error(`${options.name} is stopping`));
      await stopWork(boss, queues);
      await options.close?.();
    },
  };
}
