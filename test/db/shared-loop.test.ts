// @no-database
// The lifecycle the live streams' shared readers rely on: one loop for every member, started by the first,
// stopped by the last, started afresh by the next; a loop that failed to start is not handed to anyone.
import { describe, expect, it } from 'vitest';
import { sharedLoop, untilAborted } from '../../src/db/shared-loop.ts';

describe('a shared loop', () => {
  it('starts with the first member, serves the others, and stops when the last leaves', () => {
    const signals: AbortSignal[] = [];
    const shared = sharedLoop((signal) => {
      signals.push(signal);
      return { n: signals.length };
    });
    const first = shared.join();
    const second = shared.join();
    expect(first).toEqual({ loop: { n: 1 }, started: true });
    expect(second.loop).toBe(first.loop);
    expect(second.started).toBe(false);
    shared.leave();
    expect(signals[0]!.aborted).toBe(false);
    shared.leave();
    expect(signals[0]!.aborted).toBe(true);
    expect(shared.join()).toEqual({ loop: { n: 2 }, started: true });
  });

  it('starts afresh after a loop that failed to start is discarded', () => {
    const shared = sharedLoop(() => ({}));
    const failed = shared.join().loop;
    shared.discard(failed);
    const next = shared.join();
    expect(next.started).toBe(true);
    expect(next.loop).not.toBe(failed);
    // Discarding a loop that no longer runs leaves the running one alone.
    shared.discard(failed);
    expect(shared.join().loop).toBe(next.loop);
  });
});

describe('untilAborted', () => {
  it('resolves when the signal aborts, or at once when it has', async () => {
    const controller = new AbortController();
    let done = false;
    const wait = untilAborted(controller.signal).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    controller.abort();
    await wait;
    expect(done).toBe(true);
    await untilAborted(controller.signal);
  });
});
