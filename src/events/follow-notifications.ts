// The loop every follower of the event log runs (the shared reader of the API's streams, `sovi events tail
// -f`): read, then wait until a notification wakes it or pollMs passes, since a notification sent while the
// listener reconnects is lost. One loop, so that none of them can lose a wake-up.
import { pause } from '../time.ts';
import type { SubscribeToEvents } from './event-notifier.ts';

export interface FollowLoopOptions {
  /** How often to read regardless of notifications. */
  pollMs: number;
  /** The least time between two reads while notifications keep coming (a burst costs one read per gap). */
  minGapMs?: number;
  /** Called once listening, before the first read. */
  onListening?: () => void;
}

/**
 * Runs `read` until `signal` aborts: at once, then after each notification or pollMs. `read` may return how
 * long to wait next (a back-off after a failure), which then wins over notifications that came meanwhile.
 */
export async function followNotifications(
  subscribe: SubscribeToEvents,
  signal: AbortSignal,
  read: () => Promise<number | undefined>,
  options: FollowLoopOptions,
): Promise<void> {
  let wake: () => void = () => undefined;
  // A notification that arrives while reading must not be lost: it leaves a flag for the next wait.
  let pending: boolean;
  const subscription = await subscribe(() => {
    pending = true;
    wake();
  });
  options.onListening?.();
  try {
    while (!signal.aborted) {
      pending = false;
      const readAt = Date.now();
      const backOff = await read();
      if (signal.aborted) break;
      if (pending && backOff === undefined) {
        const gap = (options.minGapMs ?? 0) - (Date.now() - readAt);
        if (gap > 0) await pause(gap, signal).done;
        continue;
      }
      const wait = pause(backOff ?? options.pollMs, signal);
      wake = wait.wake;
      await wait.done;
      wake = () => undefined;
      await subscription.refresh();
    }
  } finally {
    await subscription.close();
  }
}
