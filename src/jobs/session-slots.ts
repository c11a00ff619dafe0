// A host's session slots: one loop fetching sessions for every free slot at once, in place of a pg-boss
// registration per slot. Under key_strict_fifo each fetch reads every queued session of the host (each
// device's head) and probes each device for a running one: with 200 phones and 4 queued each, 4–6 ms of
// PostgreSQL per fetch, and a registration per slot fetched once per session (bench/README.md, "No idle
// phones"). One fetch now serves the slots freed meanwhile. The loop settles what it fetched as pg-boss's own
// workers do: complete or fail each job, fenced to its attempt, and one heartbeat for all the running jobs,
// aborting a session whose claim is gone (expired, or taken by the supervisor).
import type { Job, PgBoss } from 'pg-boss';
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/job-engine.ts';
import type { Logger } from '../logger.ts';
import { sleep } from '../time.ts';

/**
 * What `run` returns when it completed its job itself, with `complete` inside a transaction of its own that
 * has committed: the loop then has nothing left to settle.
 */
export const completedByRun: unique symbol = Symbol('completed by run');

/**
 * Completes the job inside the caller's transaction (fenced to the attempt fetched, as the loop's own
 * completion is): the job's effects and its completion commit together, one round trip and one commit
 * fewer than completing it afterwards, and under key_strict_fifo the key's next job is fetchable from that
 * commit on.
 */
export type CompleteInTransaction = (trx: Executor, output: object) => Promise<void>;

export interface SessionSlotsOptions<T> {
  boss: PgBoss;
  queue: string;
  /** How many jobs run at once. */
  slots: number;
  /** The backstop poll while slots are free and nothing woke the loop. */
  pollSeconds: number;
  /** The queue's heartbeat: running jobs are touched twice per heartbeat. */
  heartbeatSeconds: number;
  logger: Logger;
  /**
   * Runs one job: its result completes it, a throw fails it (pg-boss retries it). A run that completed the
   * job with `complete` in a transaction that committed returns `completedByRun`.
   */
  run(job: Job<T>, signal: AbortSignal, complete: CompleteInTransaction): Promise<unknown>;
}

export interface SessionSlots {
  /** Fetch now (after a short gathering wait): a slot freed, or sessions were queued. */
  wake(): void;
  /** Jobs running now. */
  running(): number;
  /** Fetches no more, aborts the running jobs (they fail, and are retried) and waits for them, up to `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * How long a wake-up waits before fetching, so that slots freed close together share one fetch. With 200
 * phones on 2 s sessions, 100 end each second: each fetch then takes 2–3 of them. It is part of every
 * hand-off's gap (goal: p95 ≤ 100 ms).
 */
const GATHER_MS = 20;

export function startSessionSlots<T>(options: SessionSlotsOptions<T>): SessionSlots {
  const { boss, queue, slots, logger } = options;
  const running = new Map<string, { job: Job<T>; claim: AbortController; done: Promise<void> }>();
  const stopping = new AbortController();
  let woken = false;
  let ring: (() => void) | undefined;

  const wake = () => {
    woken = true;
    ring?.();
  };
  /** Resolves on wake() or stop() (at once if woken since the last fetch), or after `ms`. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        ring = undefined;
        resolve();
      }
      ring = done;
      if (woken || stopping.signal.aborted) done();
    });

  const start = (job: Job<T>) => {
    const claim = new AbortController();
    // pg-boss's supervisor fails a job past its expiry; the handler is told as pg-boss's workers tell theirs.
    const expiry = setTimeout(
      () => claim.abort(new Error(`job ${job.id} ran past its ${job.expireInSeconds} s expiry`)),
      job.expireInSeconds * 1_000,
    );
    const done = (async () => {
      const complete: CompleteInTransaction = async (trx, output) => {
        await boss.complete(queue, job, output, { db: inTransaction(trx) });
      };
      try {
        const result = await options.run(job, AbortSignal.any([claim.signal, stopping.signal]), complete);
        if (result !== completedByRun) await boss.complete(queue, job, result as object);
      } catch (err) {
        await boss
          .fail(queue, job, err as object)
          .catch((failErr: unknown) =>
            logger.warn({ err: failErr, job: job.id }, 'could not fail a session job; its heartbeat will'),
          );
      } finally {
        clearTimeout(expiry);
        running.delete(job.id);
        wake();
      }
    })();
    running.set(job.id, { job, claim, done });
  };

  // One heartbeat for every running job: a job it does not refresh is no longer this worker's (touch is
  // fenced to the attempt fetched), and its session is aborted before it records anything.
  const heartbeat = setInterval(
    () => {
      const held = [...running.values()].filter((r) => !r.claim.signal.aborted);
      if (held.length === 0) return;
      boss
        .touch(
          queue,
          held.map((r) => r.job),
        )
        .then((touched) => {
          // The ids it refreshed: pg-boss returns them beside the count (its own workers read them the same
          // way) though its types leave them out. Without them nothing is aborted, as pg-boss does.
          const settled = (touched as { settled?: string[] }).settled;
          if (!settled) return;
          const refreshed = new Set(settled);
          for (const r of held) {
            if (!refreshed.has(r.job.id))
              r.claim.abort(new Error(`job ${r.job.id} is no longer active under this worker's claim`));
          }
        })
        .catch((err: unknown) => logger.warn({ err }, 'session heartbeat failed'));
    },
    (options.heartbeatSeconds / 2) * 1_000,
  );

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const free = slots - running.size;
      let fetched = 0;
      // A wake-up from here on (a slot freed during the fetch) means fetch again.
      woken = false;
      if (free > 0) {
        try {
          const jobs = await boss.fetch<T>(queue, { batchSize: free });
          fetched = jobs.length;
          if (stopping.signal.aborted) {
            // Fetched as the worker stopped: handed back at once (a failed attempt is retried).
            for (const job of jobs)
              await boss.fail(queue, job, { message: 'the worker is stopping' }).catch(() => {});
            break;
          }
          for (const job of jobs) start(job);
        } catch (err) {
          logger.warn({ err }, 'could not fetch sessions');
        }
      }
      if (stopping.signal.aborted) break;
      // A full batch may have left more behind for slots still free; a partial one found all there was.
      if (fetched > 0 && fetched === free && running.size < slots) continue;
      if (!woken) await pause(free > 0 ? options.pollSeconds * 1_000 : 2_147_483_647);
      if (woken) await sleep(GATHER_MS, stopping.signal).catch(() => {});
    }
  })();

  return {
    wake,
    running: () => running.size,
    stop: async (timeoutMs) => {
      stopping.abort(new Error('the worker is stopping'));
      ring?.();
      await loop;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...running.values()].map((r) => r.done)),
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      clearInterval(heartbeat);
    },
  };
}
