// One attempt at one delivery: open the channel's secrets, send, and record what the peer said in the
// delivery log. A channel whose attempts keep failing raises one notification_channel_failing event (not one
// per message) and one notification_channel_recovered when an attempt succeeds again. The job engine retries
// a failed attempt with backoff (jobs/notifications-worker.ts); "send test" makes one attempt at once.
import type { Db } from '../db/pool.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { notFound } from '../errors.ts';
import { recordEvent, resolveEvents } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { recordAudit } from '../audit/audit-service.ts';
import type { Vault } from '../vault/vault.ts';
import { sendMessage, type SendResult } from './channel-senders.ts';
import { testMessage, type MessageBody } from './notification-messages.ts';
import { CHANNEL_FAILING, CHANNEL_RECOVERED, FAILING_AFTER, type Delivery } from './notification-model.ts';
import {
  countChannelFailure,
  countChannelSuccess,
  findChannelRow,
  findDelivery,
  insertDelivery,
  markChannelFailing,
  openFailingEventIds,
  recordAttempt,
  type ChannelRow,
} from './notifications-repository.ts';
import { channelTarget, getDelivery } from './notifications-service.ts';

export interface DeliveryDeps {
  db: Db;
  vault: Vault;
  logger: Logger;
  /** How long one attempt may take (a webhook that hangs): 10 s by default. */
  timeoutMs?: number;
  /** Attempts before a delivery is given up as failed: 5 by default. */
  maxAttempts?: number;
  /** Failed attempts in a row that make a channel failing: FAILING_AFTER by default. */
  failingAfter?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 5;

export type AttemptOutcome = 'sent' | 'retrying' | 'failed' | 'gone';

async function settle(
  deps: DeliveryDeps,
  channel: ChannelRow,
  deliveryId: number,
  attempts: number,
  sent: SendResult,
): Promise<AttemptOutcome> {
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const outcome: AttemptOutcome = sent.ok ? 'sent' : attempts + 1 >= maxAttempts ? 'failed' : 'retrying';
  await inTransaction(deps.db, async (trx) => {
    await recordAttempt(trx, deliveryId, { status: outcome, result: sent.result, latencyMs: sent.latencyMs });
    if (sent.ok) {
      const was = await countChannelSuccess(trx, channel.id, sent.result);
      if (was?.was_failing) {
        await recordEvent(trx, {
          category: 'system',
          severity: 'info',
          eventType: CHANNEL_RECOVERED,
          message: `notification channel ${channel.name} delivers again (failing since ${was.was_failing.toISOString()})`,
          context: { channelId: channel.id, channel: channel.name, failingSince: was.was_failing },
        });
        // The failing event's condition has cleared: it leaves the inbox, resolved by `auto`.
        const failing = await openFailingEventIds(trx, CHANNEL_FAILING, channel.id);
        if (failing.length > 0)
          await resolveEvents(trx, failing, { by: 'auto', note: `channel ${channel.name} delivers again` });
      }
      return;
    }
    const counted = await countChannelFailure(trx, channel.id, sent.result);
    if (
      counted &&
      counted.consecutive_failures >= (deps.failingAfter ?? FAILING_AFTER) &&
      !counted.failing_since
    ) {
      if (await markChannelFailing(trx, channel.id)) {
        await recordEvent(trx, {
          category: 'system',
          severity: 'error',
          eventType: CHANNEL_FAILING,
          message: `notification channel ${channel.name} keeps failing: ${counted.consecutive_failures} attempts in a row, the last answered ${sent.result}`,
          context: { channelId: channel.id, channel: channel.name, lastResult: sent.result },
        });
      }
    }
  });
  if (!sent.ok)
    deps.logger.warn(
      { channel: channel.name, delivery: deliveryId, result: sent.result, outcome },
      'notification delivery failed',
    );
  return outcome;
}

/** One attempt at a queued delivery. Idempotent once sent: a job run twice does not send twice. */
export async function attemptDelivery(deps: DeliveryDeps, deliveryId: number): Promise<AttemptOutcome> {
  const delivery = await findDelivery(deps.db, deliveryId);
  if (!delivery) return 'gone';
  if (delivery.status === 'sent' || delivery.status === 'failed') return delivery.status;
  const channel = await findChannelRow(deps.db, delivery.channel_id);
  if (!channel) return 'gone';
  const body = delivery.body as unknown as MessageBody;
  const sent = await sendMessage(
    channelTarget(channel, deps.vault),
    {
      deliveryId,
      kind: delivery.kind,
      subject: body.subject,
      text: body.text,
      lines: body.lines,
      data: body.data,
    },
    { timeoutMs: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS },
  );
  return settle(deps, channel, deliveryId, delivery.attempts, sent);
}

/** "Send test": one attempt at once, logged as a test delivery, audited; returns what the peer said. */
export async function sendTest(deps: DeliveryDeps & { actor: string }, ref: string): Promise<Delivery> {
  const channel = await findChannelRow(deps.db, ref);
  if (!channel) throw notFound('notification channel', ref);
  const id = await inTransaction(deps.db, async (trx) => {
    const deliveryId = await insertDelivery(trx, {
      channel_id: channel.id,
      kind: 'test',
      count: 0,
      body: JSON.stringify(testMessage(channel.name, deps.actor)),
    });
    await recordAudit(trx, {
      actor: deps.actor,
      action: 'notification_channel.test',
      targetType: 'notification_channel',
      targetId: channel.id,
      targetLabel: channel.name,
      note: `test delivery ${deliveryId}`,
    });
    return deliveryId;
  });
  await attemptDelivery({ ...deps, maxAttempts: 1 }, id);
  return getDelivery(deps.db, id);
}
