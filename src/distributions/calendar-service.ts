// The content calendar's rules: queuing a post's publish job at its slot, and what people do to a post
// before it goes out: reschedule it (to one of its account's windows unless forced), cancel it, edit its
// caption, hashtags or options, and retry a failed one for its account only. Each is audited in its
// transaction; a post outside the caller's niches answers as if it did not exist.
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { SoviError, invalidInput, notFound } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import { inNicheScope, type NicheScope } from '../niches/niche-scope.ts';
import { parsePlatform, platformRules, type Platform } from '../platforms.ts';
import {
  postOptionsOf,
  type Distribution,
  type PostOptions,
  type PublishJobSink,
} from './distribution-model.ts';
import { getDistribution } from './distributions-reads.ts';
import {
  cancelRow,
  editOpenRow,
  lockDistributionRow,
  rescheduleRow,
  retryRow,
  type LockedDistribution,
} from './calendar-repository.ts';
import { postingWindowsOf } from './posting-schedules-service.ts';
import { isWindowTime, slotFits } from './posting-slots.ts';
import { takenSlots } from './distributions-repository.ts';
import { settleContent } from './publishing.ts';

/** A sink is needed to queue publish jobs: a server without the job engine cannot. */
export function requirePublishSink<T extends PublishJobSink>(sink: T | undefined): T {
  if (sink) return sink;
  throw new SoviError(
    'unavailable',
    'this server cannot queue posts (it runs without the job engine): use the CLI, or the server of `sovi up`',
  );
}

export const postLabel = (d: { platform: string; username: string }) => `${d.platform}:${d.username}`;

/**
 * Queues each post's publish job at its slot, and records post_scheduled for a post whose slot is still
 * ahead (one due now is simply published, with post_published).
 */
export async function queuePublishes(
  trx: Executor,
  sink: PublishJobSink,
  posts: { id: string; accountId: string; platform: string; contentId: string; scheduledAt: Date }[],
  now: Date,
): Promise<void> {
  await sink.enqueuePublish(
    trx,
    posts.map((p) => ({ distributionId: p.id, slot: p.scheduledAt })),
  );
  for (const p of posts) {
    if (p.scheduledAt.getTime() <= now.getTime()) continue;
    await recordEvent(trx, {
      category: 'content',
      severity: 'info',
      eventType: 'post_scheduled',
      accountId: p.accountId,
      message: `a ${p.platform} post is scheduled for ${p.scheduledAt.toISOString()}`,
      context: { distributionId: p.id, contentId: p.contentId, scheduledAt: p.scheduledAt },
    });
  }
}

/** Queues one post's publish job at `slot` (and its post_scheduled event). */
const queuePost = (trx: Executor, queue: PublishJobSink, row: LockedDistribution, slot: Date, now: Date) =>
  queuePublishes(
    trx,
    queue,
    [
      {
        id: row.id,
        accountId: row.account_id,
        platform: row.platform,
        contentId: row.content_id,
        scheduledAt: slot,
      },
    ],
    now,
  );

async function lockInScope(trx: Executor, id: string, scope: NicheScope | undefined) {
  const row = await lockDistributionRow(trx, id);
  if (!row || !inNicheScope(scope, row.niche_id)) throw notFound('distribution', id);
  return row;
}

/** Why a post cannot be changed any more, as a conflict naming it. */
function notOpen(row: LockedDistribution, what: string): SoviError {
  const why = row.cancelled_at
    ? 'was cancelled'
    : row.review === 'rejected'
      ? 'was rejected in review'
      : `is ${row.status}`;
  return new SoviError('conflict', `distribution ${row.id} ${why}: only a post not yet out can be ${what}`, {
    field: 'id',
  });
}

const isOpen = (row: LockedDistribution) =>
  row.status === 'pending' && !row.cancelled_at && row.review !== 'rejected';

export interface RescheduleInput {
  at: Date;
  /** Accept a time outside the account's windows or past its limits. */
  force?: boolean;
}

/**
 * Moves a post not yet out to a new slot: one of its account's window times that keeps its limits, unless
 * forced. A post awaiting review only moves (its approval queues it); any other gets a job at the new
 * slot, and the job of the old slot finds the post moved and does nothing.
 */
export async function reschedulePost(
  db: Executor,
  sink: PublishJobSink | undefined,
  id: string,
  input: RescheduleInput,
  actor: string,
  scope?: NicheScope,
  now = new Date(),
): Promise<Distribution> {
  const queue = requirePublishSink(sink);
  if (input.at.getTime() <= now.getTime())
    throw invalidInput('at', `at: the new slot must be in the future, got ${input.at.toISOString()}`);
  await inTransaction(db, async (trx) => {
    const row = await lockInScope(trx, id, scope);
    if (!isOpen(row)) throw notOpen(row, 'rescheduled');
    const schedule = await postingWindowsOf(trx, row.account_id);
    if (schedule && !input.force) {
      const platform = parsePlatform(row.platform);
      const taken = await takenSlots(
        trx,
        row.account_id,
        new Date(input.at.getTime() - 2 * 86_400_000),
        new Date(input.at.getTime() + 2 * 86_400_000),
        row.id,
      );
      if (!isWindowTime(schedule, input.at)) {
        throw invalidInput(
          'at',
          `at: ${input.at.toISOString()} is not one of ${postLabel(row)}'s windows (${schedule.windows.join(', ')} ${schedule.timeZone}); force it to post then anyway`,
        );
      }
      if (
        !slotFits({ schedule, platformMaxPerDay: platformRules[platform].maxPostsPerDay, taken }, input.at)
      ) {
        throw invalidInput(
          'at',
          `at: ${postLabel(row)} already has its ${schedule.maxPerDay} posts that day, or another within ${schedule.minGapMinutes} minutes; force it to post then anyway`,
        );
      }
    }
    if (!(await rescheduleRow(trx, id, input.at))) throw notOpen(row, 'rescheduled');
    if (row.review !== 'awaiting') {
      await queuePost(trx, queue, row, input.at, now);
    }
    await recordAudit(trx, {
      actor,
      action: 'distribution.reschedule',
      targetType: 'distribution',
      targetId: id,
      targetLabel: postLabel(row),
      changes: diffChanges({ scheduledAt: row.scheduled_at }, { scheduledAt: input.at }),
      note: input.force ? 'forced outside the windows' : null,
    });
  });
  return getDistribution(db, id);
}

/** Cancels a post not yet out: it is never published, and its content settles without it. */
export async function cancelPost(
  db: Executor,
  id: string,
  actor: string,
  scope?: NicheScope,
  now = new Date(),
): Promise<Distribution> {
  await inTransaction(db, async (trx) => {
    const row = await lockInScope(trx, id, scope);
    if (!isOpen(row) || !(await cancelRow(trx, id, actor, now))) throw notOpen(row, 'cancelled');
    await recordEvent(trx, {
      category: 'content',
      severity: 'info',
      eventType: 'post_cancelled',
      accountId: row.account_id,
      message: `${actor} cancelled the ${row.platform} post as ${row.username}`,
      context: { distributionId: id, contentId: row.content_id, actor, scheduledAt: row.scheduled_at },
    });
    await recordAudit(trx, {
      actor,
      action: 'distribution.cancel',
      targetType: 'distribution',
      targetId: id,
      targetLabel: postLabel(row),
      changes: { cancelled: { before: false, after: true } },
    });
    await settleContent(trx, row.content_id);
  });
  return getDistribution(db, id);
}

/**
 * A new attempt at a failed post, for its account only (the content's other posts are not touched): it
 * goes back to pending with a fresh attempt count, and its job is due at `at` (now unless given). The
 * publisher is asked with the same idempotency key, so a post the platform did take is not made twice.
 */
export async function retryPost(
  db: Executor,
  sink: PublishJobSink | undefined,
  id: string,
  actor: string,
  scope?: NicheScope,
  now = new Date(),
  at?: Date,
): Promise<Distribution> {
  const queue = requirePublishSink(sink);
  const slot = at && at.getTime() > now.getTime() ? at : now;
  await inTransaction(db, async (trx) => {
    const row = await lockInScope(trx, id, scope);
    if (row.status !== 'failed' || !(await retryRow(trx, id, slot))) {
      throw new SoviError('conflict', `distribution ${id} is ${row.status}: only a failed post is retried`, {
        field: 'id',
      });
    }
    await queuePost(trx, queue, row, slot, now);
    await recordEvent(trx, {
      category: 'content',
      severity: 'info',
      eventType: 'post_retried',
      accountId: row.account_id,
      message: `${actor} retried the failed ${row.platform} post as ${row.username}`,
      context: { distributionId: id, contentId: row.content_id, actor, scheduledAt: slot },
    });
    await recordAudit(trx, {
      actor,
      action: 'distribution.retry',
      targetType: 'distribution',
      targetId: id,
      targetLabel: postLabel(row),
      changes: diffChanges(
        { status: 'failed', scheduledAt: row.scheduled_at },
        { status: 'pending', scheduledAt: slot },
      ),
    });
  });
  return getDistribution(db, id);
}

export interface PostEditInput {
  caption?: string;
  hashtags?: string[];
  options?: Partial<PostOptions>;
}

/** A caption and hashtags the platform takes, hashtags as posts carry them (no '#', lower case, once). */
export function checkPostText(
  platform: Platform,
  input: { caption?: string; hashtags?: string[] },
  field = '',
): { caption?: string; hashtags?: string[] } {
  const rules = platformRules[platform];
  const out: { caption?: string; hashtags?: string[] } = {};
  if (input.caption !== undefined) {
    const caption = input.caption.trim();
    if (caption.length > rules.captionMaxChars)
      throw invalidInput(
        `${field}caption`,
        `${field}caption: ${platform} takes at most ${rules.captionMaxChars} characters, got ${caption.length}`,
      );
    out.caption = caption;
  }
  if (input.hashtags !== undefined) {
    const tags = [...new Set(input.hashtags.map((t) => t.trim().replace(/^#+/, '').toLowerCase()))];
    for (const t of tags) {
      if (!/^[\p{L}\p{N}_]{1,100}$/u.test(t))
        throw invalidInput(
          `${field}hashtags`,
          `${field}hashtags: "${t}" is not a hashtag (letters, digits, _)`,
        );
    }
    if (tags.length > rules.maxHashtags)
      throw invalidInput(
        `${field}hashtags`,
        `${field}hashtags: ${platform} posts carry at most ${rules.maxHashtags}, got ${tags.length}`,
      );
    out.hashtags = tags;
  }
  return out;
}

/** Changes the caption, hashtags or options of a post before it goes out (in `trx`, audited). */
export async function editLockedPost(
  trx: Executor,
  row: LockedDistribution,
  input: PostEditInput,
  actor: string,
  field = '',
): Promise<void> {
  const text = checkPostText(parsePlatform(row.platform), input, field);
  const before = postOptionsOf(row.options);
  const options = input.options ? { ...before, ...input.options } : undefined;
  if (!(await editOpenRow(trx, row.id, { ...text, options }))) throw notOpen(row, 'edited');
  const changes = diffChanges(
    { caption: row.caption, hashtags: row.hashtags, options: before },
    {
      caption: text.caption ?? row.caption,
      hashtags: text.hashtags ?? row.hashtags,
      options: options ?? before,
    },
  );
  if (Object.keys(changes).length === 0) return;
  await recordAudit(trx, {
    actor,
    action: 'distribution.edit',
    targetType: 'distribution',
    targetId: row.id,
    targetLabel: postLabel(row),
    changes,
  });
}

export async function editPost(
  db: Executor,
  id: string,
  input: PostEditInput,
  actor: string,
  scope?: NicheScope,
): Promise<Distribution> {
  if (input.caption === undefined && input.hashtags === undefined && input.options === undefined)
    throw invalidInput('caption', 'caption: give a caption, hashtags or options to change');
  await inTransaction(db, async (trx) => {
    const row = await lockInScope(trx, id, scope);
    if (!isOpen(row)) throw notOpen(row, 'edited');
    await editLockedPost(trx, row, input, actor);
  });
  return getDistribution(db, id);
}
