// Waiting on a condition instead of sleeping (STYLE: tests use no sleeps).

export interface UntilOptions {
  /**
   * How long to wait. The default is generous (a worker meets most conditions in well under a second on an
   * idle machine, and a busy 2-CPU one can stretch that twenty-fold) yet under the suite's 30 s test limit,
   * so a condition that never holds fails with its own message rather than a bare test timeout. A test
   * that waits longer sets its own limit above the deadline it gives here.
   */
  timeoutMs?: number;
  /** Time between probes. */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than undefined, and returns that; after the deadline it
 * throws, naming `what` it waited for.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 25_000, intervalMs = 200 }: UntilOptions = {},
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
