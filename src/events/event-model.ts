// The event log's vocabulary: closed sets the database also enforces (see 003_scheduler_events.sql).
import type { OneOf } from '../errors.ts';

export const severities = ['info', 'warning', 'error', 'critical'] as const;
export type Severity = OneOf<typeof severities>;

export const resolvers = ['human', 'llm_agent', 'auto'] as const;
export type Resolver = OneOf<typeof resolvers>;

/** Categories in use. The column is open (new subsystems add theirs), but each must be snake_case. */
export const knownCategories = [
  'scheduler',
  'account',
  'device',
  'auth',
  'content',
  'metrics',
  'system',
] as const;

export interface SystemEvent {
  id: number;
  timestamp: Date;
  category: string;
  severity: Severity;
  eventType: string;
  deviceId: string | null;
  accountId: string | null;
  message: string;
  context: Record<string, unknown>;
  resolved: boolean;
  resolvedBy: Resolver | null;
  resolvedAt: Date | null;
}

export interface NewEvent {
  category: string;
  severity: Severity;
  eventType: string;
  message: string;
  deviceId?: string | null;
  accountId?: string | null;
  context?: Record<string, unknown>;
  /**
   * Whether the event needs someone's attention. Info events are facts, recorded already resolved (by
   * `auto`) so that the unresolved inbox holds only what needs doing; others are open. Overridable.
   */
  open?: boolean;
}
