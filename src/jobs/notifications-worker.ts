// Alerts that reach people: the dispatcher loop (LISTEN on the event log, with a poll as a backstop, each
// wake-up dispatching what is new past the watermark) and the delivery queue, whose jobs carry only a
// delivery id (never a secret), retried with exponential backoff.
import type { PgBoss } from 'pg-boss';
import { inTransaction } from '../db/job-engine.ts';
import type { Database } from '../db/database.ts';
import type { Executor } from '../db/executor.ts';
import { createEventNotifier } from '../events/event-notifier.ts';
import { followNotifications } from '../events/follow-notifications.ts';
import type { Logger } from '../logger.ts';
import {
  attemptDelivery,
  DEFAULT_MAX_ATTEMPTS,
  type DeliveryDeps,
} from '../notifications/notification-delivery.ts';
import {
  dispatchBatch,
  pruneNotifications,
  sendDueDigests,
  summariseClosedGroups,
  type DeliverySink,
} from '../notifications/notification-dispatch.ts';
import type { Vault } from '../vault/vault.ts';

/** How often the dispatcher forgets old grouping windows and match rows. */
const PRUNE_EVERY_MS = 600_000;

export const notificationQueues = { delivery: 'notification-delivery' } as const;

export function deliverySink(boss: PgBoss): DeliverySink {
  return {
    enqueue: async (trx: Executor, ids: number[]) => {
      if (ids.length === 0) return;
      await boss.insert(
        notificationQueues.delivery,
        ids.map((id) => ({ data: { deliveryId: id }, singletonKey: String(id) })),
        { db: inTransaction(trx) },
      );
    },
  };
}

export interface NotificationsWorkerOptions {
  database: Database;
  vault: Vault;
  logger: Logger;
  boss: PgBoss;
  /** Attempt timeout (default 10 s), attempts per delivery (5), failures in a row that make a channel failing (5). */
  delivery?: Pick<DeliveryDeps, 'timeoutMs' | 'maxAttempts' | 'failingAfter'>;
  /** The first retry's delay in seconds, doubling after (default 5). */
  retryDelaySeconds?: number;
  /** The backstop poll of the event log (default 2 s); summaries and digests are checked at most this often too. */
  pollMs?: number;
  /** false: deliver only, no dispatcher (tests that drive dispatchBatch themselves). */
  dispatch?: boolean;
}

export interface NotificationsWorker {
  readonly sink: DeliverySink;
  stop(): Promise<void>;
}

export async function startNotificationsWorker(
  options: NotificationsWorkerOptions,
): Promise<NotificationsWorker> {
  const { database, logger, boss } = options;
  const maxAttempts = options.delivery?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const queue = {
    notify: true,
    // Our own attempt count decides when a delivery has failed for good; the engine's limit is a backstop.
    retryLimit: maxAttempts,
    retryDelay: options.retryDelaySeconds ?? 5,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 120,
  };
  await boss.createQueue(notificationQueues.delivery, queue);
  // A queue made by an earlier version (or with other settings) gets these too.
  await boss.updateQueue(notificationQueues.delivery, queue);
  const deps: DeliveryDeps = { db: database.db, vault: options.vault, logger, ...options.delivery };
  await boss.work<{ deliveryId: number }>(
    notificationQueues.delivery,
    { localConcurrency: 4, pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1 },
    async ([job]) => {
      if (!job) return;
      const outcome = await attemptDelivery(deps, job.data.deliveryId);
      // Thrown, so that the engine retries it with backoff.
      if (outcome === 'retrying') throw new Error(`delivery ${job.data.deliveryId} failed; retrying`);
      return { outcome };
    },
  );
  const sink = deliverySink(boss);
  const stopping = new AbortController();
  let loop: Promise<void> = Promise.resolve();
  let notifier: ReturnType<typeof createEventNotifier> | undefined;
  if (options.dispatch !== false) {
    const pollMs = options.pollMs ?? 2_000;
    notifier = createEventNotifier(database.pool, logger);
    let periodicAt = 0;
    let prunedAt = 0;
    loop = followNotifications(
      notifier.subscribe,
      stopping.signal,
      async () => {
        try {
          while ((await dispatchBatch(database.db, sink)).more && !stopping.signal.aborted);
          if (Date.now() - periodicAt >= pollMs) {
            periodicAt = Date.now();
            await summariseClosedGroups(database.db, sink);
            await sendDueDigests(database.db, sink);
          }
          if (Date.now() - prunedAt >= PRUNE_EVERY_MS) {
            prunedAt = Date.now();
            await pruneNotifications(database.db);
          }
          return undefined;
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'notifications: dispatching failed; retrying');
          return pollMs;
        }
      },
      { pollMs, minGapMs: 20 },
    ).catch((err: unknown) =>
      logger.error({ err: (err as Error).message }, 'notifications: the dispatcher stopped'),
    );
  }
  logger.info({ dispatch: options.dispatch !== false }, 'notifications worker started');
  return {
    sink,
    stop: async () => {
      stopping.abort();
      await loop;
      await notifier?.close();
      await boss.offWork(notificationQueues.delivery, { wait: true });
    },
  };
}
