// Keeping within a platform's limit before the platform enforces it: a sliding window of call times per
// budget key (a token, or the whole app), and a pause set when the platform said to wait. One budget lives as
// long as the process's puller, so back-to-back pulls share it.
export interface CallLimit {
  calls: number;
  windowMs: number;
}

export class CallBudget {
  private readonly calls = new Map<string, number[]>();
  private readonly pausedUntil = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Takes one call from `key`'s budget; false (and nothing taken) when the window is full or paused. */
  take(key: string, limit: CallLimit): boolean {
    const now = this.now();
    if ((this.pausedUntil.get(key) ?? 0) > now) return false;
    const recent = (this.calls.get(key) ?? []).filter((t) => t > now - limit.windowMs);
    if (recent.length >= limit.calls) {
      this.calls.set(key, recent);
      return false;
    }
    recent.push(now);
    this.calls.set(key, recent);
    return true;
  }

  /** The platform said to wait: no call on `key` for `ms`. */
  pause(key: string, ms: number): void {
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, this.now() + ms));
  }
}
