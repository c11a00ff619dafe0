// Niches, the content verticals accounts, content, hooks and trends belong to.
import type { OneOf } from '../errors.ts';

export const nicheStatuses = ['active', 'inactive'] as const;
export type NicheStatus = OneOf<typeof nicheStatuses>;

/** The slug rule the database's CHECK enforces (001): lower snake_case, e.g. personal_finance. */
export const NICHE_SLUG = /^[a-z0-9]+(_[a-z0-9]+)*$/;

export interface Niche {
  id: string;
  name: string;
  slug: string;
  /** "1", "2"…: how much the team invests in it; null when unranked. */
  tier: string | null;
  status: NicheStatus;
  createdAt: Date;
  updatedAt: Date;
}
