// Closing sessions whose job failed for good, and keeping the queue from holding accounts back. The job
// engine's side (dead letters, failed jobs holding a device's key) is wired in src/jobs/warming-worker.ts;
// what those mean for the schedule's tables is decided here.
import type { Db } from '../db/pool.ts';
import { releaseFromSession } from '../devices/device-sessions.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import type { SessionJob } from './planner.ts';
import { completeSessionRow, deleteQueueRow, deleteUnstartedQueueRows } from './warming-repository.ts';

/**
 * A session whose job failed for good (e.g. its worker died on every attempt): close it with an event, free
 * its device and its queue row. The planner plans a new one. Idempotent: a second call changes nothing.
 */
export async function abandonSession(db: Db, logger: Logger, job: SessionJob): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await completeSessionRow(trx, job.sessionKey, new Date(), { outcome: 'abandoned' });
    const queued = await deleteQueueRow(trx, job.sessionKey);
    await releaseFromSession(trx, job.deviceId, job.sessionKey);
    if (row || queued) {
      await recordEvent(trx, {
        category: 'scheduler',
        severity: 'error',
        eventType: 'session_abandoned',
        accountId: job.accountId,
        deviceId: job.deviceId,
        message: `warming session ${job.sessionKey} failed on every attempt and was abandoned; the planner will plan a new one`,
        context: { sessionKey: job.sessionKey, started: row !== undefined },
      });
    }
  });
  logger.warn({ session: job.sessionKey }, 'warming session abandoned');
}

/**
 * A failed job that held its device's queue was removed (by the watchdog): its session is abandoned, and
 * the removal recorded.
 */
export async function sessionJobRemoved(
  db: Db,
  logger: Logger,
  job: { id: string; queue: string; data: SessionJob },
): Promise<void> {
  await abandonSession(db, logger, job.data);
  await recordEvent(db, {
    category: 'scheduler',
    severity: 'info',
    eventType: 'device_queue_unblocked',
    deviceId: job.data.deviceId,
    message: `removed failed session ${job.id} that held the device's queue`,
    context: { sessionKey: job.id, queue: job.queue },
  });
}

/**
 * Queue rows whose job no longer exists (expired unstarted, or deleted) would keep their accounts out of
 * planning: drops the unstarted ones older than the job retention, `retentionMs`.
 */
export async function dropStaleQueueRows(db: Db, retentionMs: number, now: Date = new Date()): Promise<void> {
  await deleteUnstartedQueueRows(db, new Date(now.getTime() - retentionMs));
}
