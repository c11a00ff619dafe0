// The session executor contract: the one interface between sovi's scheduler and whatever runs a warming
// session on a phone. sovi ships only the deterministic simulator (simulator-executor.ts); a real device
// driver is a plug-in outside this project, loaded by module path (load-executor.ts).
import type { Platform } from '../platforms.ts';
import type { OneOf } from '../errors.ts';

export interface SessionAccount {
  id: string;
  platform: Platform;
  username: string;
  state: string;
}

export interface SessionDevice {
  id: string;
  name: string;
  udid: string;
  host: string;
  wdaPort: number | null;
}

export interface SessionRequest {
  /** Stable across retries of the same planned session: use it to make the session idempotent. */
  sessionKey: string;
  account: SessionAccount;
  device: SessionDevice;
  /** 1–3 while warming, 4 once active. */
  phase: 1 | 2 | 3 | 4;
  /** The warming day this session counts towards. */
  day: number;
  /** Aborted on timeout, when the worker stops, or when the job's claim is lost: stop promptly. */
  signal: AbortSignal;
}

export const sessionOutcomes = ['success', 'device_lost', 'login_failed', 'challenge', 'error'] as const;
export type SessionOutcome = OneOf<typeof sessionOutcomes>;

/** The facts of a finished session, stored in warming_progress.session_data. */
export interface SessionFacts {
  outcome: SessionOutcome;
  videosWatched: number;
  likes: number;
  follows: number;
  durationSeconds: number;
  /** What went wrong, for people; never a credential. */
  detail?: string;
}

export interface SessionExecutor {
  readonly name: string;
  runSession(request: SessionRequest): Promise<SessionFacts>;
  close?(): Promise<void>;
}

/** What a plug-in module exports. `options` is SOVI_EXECUTOR_OPTIONS. */
export type ExecutorFactory = (
  options: Readonly<Record<string, unknown>>,
) => SessionExecutor | Promise<SessionExecutor>;
