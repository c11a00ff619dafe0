// Runs one planned warming session: takes the device, runs the executor, and records everything the
// session means, exactly once.
//
// Crash safety: the session's key is its identity everywhere. warming_progress has one row per key
// (inserted on first start, reused by retries); the device lease is held by the key (a retry of the same
// session takes it back, anyone else waits for it to run out); and the final transaction only applies if
// the row is not completed yet. A worker killed at any point therefore leaves at most a started row and a
// lease, which the retried job picks up, and never a second row or a second set of effects.
//
// Each table has its owner: warming_progress and warming_queue are written through warming-repository.ts,
// the account through src/accounts/account-warming.ts (and account-state.ts for state changes), the device's
// lease and failure count through src/devices/device-sessions.ts.
import { setAccountState } from '../accounts/account-state.ts';
import { canTransition } from '../accounts/account-lifecycle.ts';
import { isScheduled, type AccountState, type ScheduledState } from '../accounts/account-model.ts';
import {
  accountForSession,
  countSessionStarted,
  markWarmed,
  touchActivity,
  type WarmingAccount,
} from '../accounts/account-warming.ts';
import { recordActivity } from '../activity/activity-log.ts';
import type { Db } from '../db/pool.ts';
import { retryWhileUnavailable } from '../db/retry-unavailable.ts';
import type { Executor } from '../db/executor.ts';
import type { Device } from '../devices/device-model.ts';
import {
  claimForSession,
  releaseFromSession,
  renewForSession,
  sessionFailed,
  sessionSucceeded,
  type ClaimedDevice,
} from '../devices/device-sessions.ts';
import { findDeviceById } from '../devices/devices-service.ts';
import { RetryLater } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import type { SessionExecutor, SessionFacts } from '../plugins/executor.ts';
import type { SessionJob } from './planner.ts';
import {
  dayCountAfter,
  dayCountAfterSql,
  sessionPhase,
  stateAfterSuccess,
  type WarmingPolicy,
} from './warming-policy.ts';
import {
  completeSessionRow,
  deleteQueueRow,
  findSessionRow,
  startSessionRows,
} from './warming-repository.ts';
import { parsePlatform } from '../platforms.ts';

export interface SessionRunnerDeps {
  db: Db;
  executor: SessionExecutor;
  policy: WarmingPolicy;
  logger: Logger;
  /** The job engine's heartbeat: the device lease is renewed twice per heartbeat and lasts three. */
  heartbeatSeconds: number;
  now?: () => Date;
}

export type SessionResult =
  | { status: 'completed'; outcome: SessionFacts['outcome'] | 'timeout'; facts: SessionFacts }
  | { status: 'skipped'; reason: string }
  | { status: 'already_done' }
  /** The job lost its claim or the worker is stopping: nothing was recorded, a retry will run it. */
  | { status: 'interrupted' };

interface Loaded {
  account: WarmingAccount;
  device: ClaimedDevice;
}

/** Why a first attempt of the session would not run now; undefined when it would. */
function refusal(account: WarmingAccount, job: SessionJob): string | undefined {
  if (account.deletedAt) return 'the account was deleted';
  if (!isScheduled(account.state)) return `the account is ${account.state} now`;
  if (account.deviceId !== job.deviceId) return 'the account moved to another device';
  return undefined;
}

/**
 * The device and the session's row as they are now, for the rarer ways: an account that refuses a first
 * attempt, a device that could not be claimed. On the common path the claim returns the device and the start
 * statement says whether an earlier attempt completed the row, so neither is read (two statements fewer on
 * every session's path).
 */
async function lookUp(
  db: Executor,
  job: SessionJob,
): Promise<{ device: Device | undefined; existing: { completed_at: Date | null } | undefined }> {
  const [device, existing] = await Promise.all([
    findDeviceById(db, job.deviceId),
    findSessionRow(db, job.sessionKey),
  ]);
  return { device, existing };
}

/** Rolls the start transaction back (the device's claim with it): an earlier attempt completed the session. */
const completedEarlier = new Error('the session was completed by an earlier attempt');

/**
 * Takes the device and starts the session, in one transaction (one commit, where the claim, the row and the
 * queue row were three): the lease, the session's warming_progress row with the session counted against its
 * account's day (once: a retry of the same session finds the row there and counts nothing), and the queue
 * row marked started. Returns the device as claimed; 'not claimed', with nothing written, when the device
 * could not be claimed; 'completed', with nothing written, when an earlier attempt completed the session.
 */
async function startSession(
  db: Db,
  row: Parameters<typeof startSessionRows>[1],
  leaseUntil: Date,
): Promise<ClaimedDevice | 'not claimed' | 'completed'> {
  try {
    return await db.transaction().execute(async (trx) => {
      const device = await claimForSession(trx, row.deviceId, row.sessionKey, leaseUntil, row.startedAt);
      if (!device) return 'not claimed';
      const { inserted, completed } = await startSessionRows(trx, row);
      if (completed) throw completedEarlier;
      if (inserted) await countSessionStarted(trx, row.accountId, row.startedAt);
      return device;
    });
  } catch (err) {
    if (err === completedEarlier) return 'completed';
    throw err;
  }
}

/**
 * The job engine's completion of the session's job, run as the last statement of the transaction that
 * records a finished session, with the result it returns: the record and the job's completion commit
 * together, and the phone's next session can be fetched from that commit on (its gap is one round trip and
 * one commit shorter). Given a `settle`, a 'completed' result means it ran in the committed transaction.
 */
export type SettleInRecord = (trx: Executor, result: SessionResult) => Promise<void>;

export async function runWarmingSession(
  deps: SessionRunnerDeps,
  job: SessionJob,
  signal: AbortSignal,
  settle?: SettleInRecord,
): Promise<SessionResult> {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.heartbeatSeconds * 3_000;
  /** The session ends without running: its queue row goes, and the device if this session holds it. */
  const letGo = async () => {
    await deleteQueueRow(deps.db, job.sessionKey);
    await releaseFromSession(deps.db, job.deviceId, job.sessionKey);
  };
  const skip = async (reason: string): Promise<SessionResult> => {
    await letGo();
    deps.logger.info({ session: job.sessionKey, reason }, 'warming session skipped');
    return { status: 'skipped', reason };
  };
  // Already finished by an earlier attempt that died before its job completed: nothing more to do.
  const alreadyDone = async (): Promise<SessionResult> => {
    await letGo();
    return { status: 'already_done' };
  };
  const gone = 'the account or the device no longer exists';
  const account = await accountForSession(deps.db, job.accountId);
  if (!account) return skip(gone);
  // A first attempt runs only while the account still wants it; a retry (its row is there) runs whatever
  // the account has become.
  const refused = refusal(account, job);
  if (refused !== undefined) {
    const { device, existing } = await lookUp(deps.db, job);
    if (!device) return skip(gone);
    if (existing?.completed_at) return alreadyDone();
    if (!existing) return skip(refused);
  }

  const startedAt = now();
  const state: ScheduledState = isScheduled(account.state) ? account.state : 'active';
  const phase = sessionPhase[state];
  // The day this session counts towards, were it to succeed.
  const day = dayCountAfter(account.lastWarmedAt, account.warmingDayCount, startedAt);
  const started = await startSession(
    deps.db,
    {
      sessionKey: job.sessionKey,
      accountId: account.id,
      deviceId: job.deviceId,
      platform: account.platform,
      phase,
      day,
      startedAt,
    },
    new Date(startedAt.getTime() + leaseMs),
  );
  if (started === 'completed') return alreadyDone();
  if (started === 'not claimed') {
    const { device, existing } = await lookUp(deps.db, job);
    if (!device) return skip(gone);
    if (existing?.completed_at) return alreadyDone();
    if (device.status !== 'active') return skip(`the device is ${device.status}`);
    throw new RetryLater(`device ${device.name} is busy with another session`);
  }
  const device = started;
  const loaded: Loaded = { account, device };

  // Keep the lease while the session runs; losing it means someone else may take the device.
  const timeout = AbortSignal.timeout(deps.policy.sessionTimeoutSeconds * 1_000);
  const lost = new AbortController();
  const renew = setInterval(
    () => {
      renewForSession(deps.db, device.id, job.sessionKey, new Date(now().getTime() + leaseMs))
        .then((held) => {
          if (!held) lost.abort(new Error('the device lease was lost'));
        })
        .catch((err: unknown) =>
          deps.logger.warn({ err, session: job.sessionKey }, 'could not renew the device lease'),
        );
    },
    Math.max(1_000, leaseMs / 6),
  );
  renew.unref();

  let facts: SessionFacts;
  let timedOut = false;
  try {
    facts = await deps.executor.runSession({
      sessionKey: job.sessionKey,
      account: {
        id: account.id,
        platform: parsePlatform(account.platform),
        username: account.username,
        state,
      },
      device: {
        id: device.id,
        name: device.name,
        udid: device.udid,
        host: device.host,
        wdaPort: device.wdaPort,
      },
      phase,
      day,
      signal: AbortSignal.any([signal, timeout, lost.signal]),
    });
  } catch (err) {
    if (signal.aborted || lost.signal.aborted) {
      clearInterval(renew);
      return { status: 'interrupted' };
    }
    timedOut = timeout.aborted;
    facts = {
      outcome: 'error',
      videosWatched: 0,
      likes: 0,
      follows: 0,
      durationSeconds: Math.round((now().getTime() - startedAt.getTime()) / 100) / 10,
      detail: timedOut
        ? `timed out after ${deps.policy.sessionTimeoutSeconds} s`
        : `the executor failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  } finally {
    clearInterval(renew);
  }
  if (signal.aborted) return { status: 'interrupted' };

  // The session happened on the phone: keep its result through a short outage rather than run it again.
  const finishedAt = now();
  const completed: SessionResult = {
    status: 'completed',
    outcome: timedOut ? 'timeout' : facts.outcome,
    facts,
  };
  const recorded = await retryWhileUnavailable(
    () =>
      deps.db.transaction().execute(async (trx) => {
        if (!(await record(deps, trx, loaded, job, state, facts, timedOut, finishedAt))) return false;
        await settle?.(trx, completed);
        return true;
      }),
    { signal, maxMs: leaseMs, logger: deps.logger, what: `warming session ${job.sessionKey}` },
  );
  if (!recorded) return { status: 'already_done' };
  return completed;
}

/** Everything a finished session means, in one transaction. False when another attempt recorded it first. */
async function record(
  deps: SessionRunnerDeps,
  trx: Executor,
  { account, device }: Loaded,
  job: SessionJob,
  state: ScheduledState,
  facts: SessionFacts,
  timedOut: boolean,
  finishedAt: Date,
): Promise<boolean> {
  const outcome = timedOut ? 'timeout' : facts.outcome;
  const sessionData = {
    outcome,
    videos_watched: facts.videosWatched,
    likes: facts.likes,
    follows: facts.follows,
    duration_seconds: facts.durationSeconds,
    executor: deps.executor.name,
    host: device.host,
    ...(facts.detail ? { detail: facts.detail } : {}),
  };
  // The queue row goes in the same statement (it is deleted only when the row is completed now).
  const done = await completeSessionRow(trx, job.sessionKey, finishedAt, sessionData, { dequeue: true });
  if (!done) return false;

  const who = `${account.platform} account ${account.username} on ${device.name}`;
  const context = {
    sessionKey: job.sessionKey,
    outcome,
    phase: done.warming_phase,
    day: done.warming_day,
    ...(facts.detail ? { detail: facts.detail } : {}),
  };
  const event = (eventType: string, severity: 'info' | 'warning' | 'error' | 'critical', message: string) =>
    recordEvent(trx, {
      category: 'scheduler',
      severity,
      eventType,
      message,
      accountId: account.id,
      deviceId: device.id,
      context,
    });

  // The account as the session leaves it, locked by the statement that marks it: it may have changed while
  // the session ran, and nothing changes it until this transaction ends.
  const current =
    outcome === 'success'
      ? await markWarmed(trx, account.id, finishedAt, dayCountAfterSql(finishedAt))
      : await touchActivity(trx, account.id, finishedAt);
  const moveTo = async (to: AccountState, reason: string) => {
    if (!current || !canTransition(current.state as AccountState, to)) return;
    await setAccountState(
      { db: deps.db, actor: 'scheduler' },
      account.id,
      to,
      { reason, context: { sessionKey: job.sessionKey } },
      trx,
    );
  };

  if (outcome === 'success') {
    const day = current?.warmingDayCount ?? done.warming_day;
    await event(
      'warming_complete',
      'info',
      // Spelt as the dashboard spells it (web/src/format.ts phaseDay): phase 4 is an active account.
      `${who}: warming session done (${done.warming_phase >= 4 ? 'active' : `phase ${done.warming_phase}`} · day ${day})`,
    );
    const next =
      current && isScheduled(current.state) ? stateAfterSuccess(deps.policy, current.state, day) : null;
    if (next)
      await moveTo(next, next === 'warming_p1' ? 'first warming session' : `warming day ${day} reached`);
    await sessionSucceeded(trx, device.id, job.sessionKey);
  } else {
    if (outcome === 'login_failed' || outcome === 'challenge') {
      await event(
        outcome,
        'warning',
        `${who}: ${outcome === 'login_failed' ? 'login failed' : 'verification challenge'}`,
      );
      await moveTo(
        'cooldown',
        outcome === 'login_failed' ? 'login failed during warming' : 'verification challenge during warming',
      );
      await releaseFromSession(trx, device.id, job.sessionKey);
    } else {
      await event(
        outcome === 'device_lost' ? 'device_lost' : 'session_failed',
        'error',
        `${who}: ${outcome === 'device_lost' ? 'device lost during the session' : `session failed (${facts.detail ?? outcome})`}`,
      );
      await sessionFailed(trx, device, { limit: deps.policy.deviceFailureLimit, sessionKey: job.sessionKey });
    }
  }
  await recordActivity(trx, [
    {
      account_id: account.id,
      device_id: device.id,
      action_type: 'warming_session',
      detail: { sessionKey: job.sessionKey, ...sessionData },
    },
  ]);
  deps.logger.info(
    { session: job.sessionKey, account: account.id, device: device.name, outcome },
    'warming session done',
  );
  return true;
}
