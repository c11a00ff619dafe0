// Warming's domain types that more than its own modules use.

/** What a warming session is when it starts: whose, on which phone, where in the schedule, when. */
export interface SessionStart {
  accountId: string;
  deviceId: string;
  platform: string;
  phase: number;
  day: number;
  startedAt: Date;
}
