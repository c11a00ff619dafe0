// Distributions: one piece of content going out on one account. pending until the publisher posts it (or
// fails for good); a posted post can later be found removed by the platform.
import type { Platform } from '../platforms.ts';

export const distributionStatuses = ['pending', 'posted', 'failed', 'removed'] as const;
export type DistributionStatus = (typeof distributionStatuses)[number];

export interface Distribution {
  id: string;
  contentId: string;
  accountId: string;
  username: string;
  platform: Platform;
  status: DistributionStatus;
  caption: string | null;
  hashtags: string[];
  attempts: number;
  postedAt: Date | null;
  platformPostId: string | null;
  createdAt: Date;
}
