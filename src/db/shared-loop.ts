// The lifecycle of a loop that many callers share, like the one reader of the database behind every open
// stream of a kind (events/event-fanout.ts, warming/session-stream.ts): the first member to join starts it,
// the last to leave stops it by aborting its signal, and the next to join starts a new one.

export interface SharedLoop<L> {
  /** Counts a member in: the running loop, or one started for it (`started`) when none runs. */
  join(): { loop: L; started: boolean };
  /** Counts a member out: the last one out stops the loop. */
  leave(): void;
  /** Forgets `loop` if it still is the running one (it failed to start): the next member starts afresh. */
  discard(loop: L): void;
}

/** `start` begins a loop that runs until its signal aborts, and returns what members share of it. */
export function sharedLoop<L>(start: (signal: AbortSignal) => L): SharedLoop<L> {
  let members = 0;
  let running: { loop: L; stop: AbortController } | undefined;
  return {
    join() {
      members += 1;
      if (running) return { loop: running.loop, started: false };
      const stop = new AbortController();
      running = { loop: start(stop.signal), stop };
      return { loop: running.loop, started: true };
    },
    leave() {
      members -= 1;
      if (members === 0 && running) {
        running.stop.abort();
        running = undefined;
      }
    },
    discard(loop) {
      if (running?.loop === loop) running = undefined;
    },
  };
}

/** Resolves once the signal aborts (at once if it has): a member's wait while the loop serves it. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
