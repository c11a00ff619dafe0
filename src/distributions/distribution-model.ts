// Distributions: one piece of content going out on one account. pending until the publisher posts it (or
// fails for good); a posted post can later be found removed by the platform.
//
// Beside the status (the spec's four values) a post carries its slot on the calendar, its platform options,
// its review decision and whether it was cancelled. A pending post that is rejected or cancelled is settled:
// it is never published, and its account is never planned for that content again.
import type { Executor } from '../db/executor.ts';
import type { OneOf } from '../errors.ts';
import type { Platform } from '../platforms.ts';

export const distributionStatuses = ['pending', 'posted', 'failed', 'removed'] as const;
export type DistributionStatus = OneOf<typeof distributionStatuses>;

/** A post's own review decision; null when its content needed none. */
export const distributionReviews = ['awaiting', 'approved', 'rejected'] as const;
export type DistributionReview = OneOf<typeof distributionReviews>;

export const privacyLevels = ['public', 'followers', 'friends', 'private'] as const;
export type PrivacyLevel = OneOf<typeof privacyLevels>;

/** The platform options a post is published with (stored on the distribution, passed to the publisher). */
export interface PostOptions {
  privacyLevel: PrivacyLevel;
  allowComments: boolean;
  allowDuet: boolean;
  allowStitch: boolean;
  /** The post promotes a third party's brand, paid (the platforms' branded-content disclosure). */
  brandedContent: boolean;
  /** The post promotes the creator's own business (TikTok's "Your brand": brand_organic_toggle). */
  brandOrganic: boolean;
  /** The platforms' AI-generated content label: on for everything sovi produced. */
  aiGenerated: boolean;
}

export const defaultPostOptions: PostOptions = {
  privacyLevel: 'public',
  allowComments: true,
  allowDuet: true,
  allowStitch: true,
  brandedContent: false,
  brandOrganic: false,
  aiGenerated: true,
};

/** A stored options object (possibly from before a field existed) with the defaults filled in. */
export const postOptionsOf = (stored: unknown): PostOptions => ({
  ...defaultPostOptions,
  ...(stored && typeof stored === 'object' ? (stored as Partial<PostOptions>) : {}),
});

/** What the calendar shows a post as: its status, or for a pending one why it has not gone out. */
export const calendarStates = [
  'awaiting_review',
  'scheduled',
  'posted',
  'failed',
  'removed',
  'rejected',
  'cancelled',
] as const;
export type CalendarState = OneOf<typeof calendarStates>;

export function calendarState(d: {
  status: DistributionStatus;
  review: DistributionReview | null;
  cancelledAt: Date | null;
}): CalendarState {
  if (d.status !== 'pending') return d.status;
  if (d.cancelledAt) return 'cancelled';
  if (d.review === 'rejected') return 'rejected';
  if (d.review === 'awaiting') return 'awaiting_review';
  return 'scheduled';
}

/** A post's stage at the platform while an official connector publishes it (platform_publishes.stage). */
export const publishStages = [
  'initialising',
  'uploading',
  'processing',
  'publishing',
  'published',
  'failed',
] as const;
export type PublishStage = OneOf<typeof publishStages>;

/**
 * What the platform is doing with a post, beside its status (publishing there is asynchronous): only the
 * parts of the connector's record that are safe to show. Never its upload URL, which carries an upload token.
 */
export interface PlatformProcessing {
  stage: PublishStage;
  /** TikTok's publish_id, Instagram's container id. */
  publishId: string | null;
  /** When the connector last recorded a step. */
  updatedAt: Date;
  /** The platform's privacy level the post was sent with (TikTok). */
  privacyLevel: string | null;
  /** What the platform allows this account (e.g. private posts only while the developer app is unaudited). */
  note: string | null;
  /** Why the platform failed the post, in its words, and its code. */
  reason: string | null;
  platformCode: string | null;
  /** The upload as declared to the platform (TikTok): bytes and chunks. */
  videoSize: number | null;
  totalChunkCount: number | null;
}

export interface Distribution {
  id: string;
  contentId: string;
  accountId: string;
  username: string;
  platform: Platform;
  status: DistributionStatus;
  /** The calendar's view of the status (awaiting_review, scheduled, cancelled…). */
  state: CalendarState;
  caption: string | null;
  hashtags: string[];
  attempts: number;
  /** The slot it goes out at; null for a post planned before the calendar. */
  scheduledAt: Date | null;
  options: PostOptions;
  review: DistributionReview | null;
  cancelledAt: Date | null;
  cancelledBy: string | null;
  postedAt: Date | null;
  platformPostId: string | null;
  /** Its progress at the platform; null under the simulator or before an official connector took it. */
  processing: PlatformProcessing | null;
  createdAt: Date;
}

/**
 * A publish job: it becomes due at `slot` (now when null) and carries the slot it was queued for, so that a
 * job whose post was rescheduled later does nothing when it runs (the new slot has its own job).
 */
export interface PublishJob {
  distributionId: string;
  slot: Date | null;
}

/** Where publish jobs go, inside the transaction that decides them. */
export interface PublishJobSink {
  enqueuePublish(trx: Executor, jobs: PublishJob[]): Promise<void>;
}
