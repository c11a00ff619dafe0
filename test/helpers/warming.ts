// Scheduler test wiring: a job sink that keeps planned sessions in a list, a clock the test moves, and a
// simulator that answers instantly.
import type { SessionJob, SessionJobSink } from '../../src/warming/planner.ts';
import { createSimulatorExecutor } from '../../src/plugins/simulator-executor.ts';
import type { SessionExecutor, SessionFacts, SessionRequest } from '../../src/plugins/executor.ts';

export function listSink(): SessionJobSink & { jobs: SessionJob[] } {
  const jobs: SessionJob[] = [];
  return {
    jobs,
    enqueue: async (_trx, _host, planned) => {
      jobs.push(...planned);
    },
  };
}

export function testClock(start: string | Date) {
  let now = new Date(start);
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    set: (at: string | Date) => {
      now = new Date(at);
    },
  };
}

export const instantSimulator = (options: Record<string, unknown> = {}): SessionExecutor =>
  createSimulatorExecutor({
    minDurationMs: 0,
    maxDurationMs: 0,
    deviceDropRate: 0,
    loginFailureRate: 0,
    challengeRate: 0,
    ...options,
  });

/** An executor that always gives the same outcome. */
export function fixedExecutor(outcome: SessionFacts['outcome'], durationMs = 0): SessionExecutor {
  return {
    name: `fixed-${outcome}`,
    runSession: async (request: SessionRequest) => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, durationMs);
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(request.signal.reason as Error);
        });
      });
      return { outcome, videosWatched: 1, likes: 0, follows: 0, durationSeconds: durationMs / 1000 };
    },
  };
}

/** An executor whose session succeeds once `meanwhile` has run: what happens elsewhere while a session runs. */
export function succeedingAfter(meanwhile: () => Promise<unknown> | void): SessionExecutor {
  return {
    name: 'succeeding-after',
    runSession: async () => {
      await meanwhile();
      return { outcome: 'success', videosWatched: 1, likes: 0, follows: 0, durationSeconds: 1 };
    },
  };
}
