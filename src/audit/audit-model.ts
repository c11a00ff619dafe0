// The audit trail's vocabulary: what a record says (who, what, to which record, each changed field before
// and after) and the marker that stands in for a secret's value.
import type { OneOf } from '../errors.ts';

export const auditTargetTypes = [
  'device',
  'account',
  'niche',
  'hook',
  'content',
  'distribution',
  'event',
  'trend',
  'schedule',
  'posting_schedule',
  'token',
  'key',
  'notification_channel',
  'notification_rule',
] as const;
export type AuditTargetType = OneOf<typeof auditTargetTypes>;

/** What a secret field's before and after are recorded as: that it changed, never its value. */
export const SECRET_CHANGED = 'changed';

export interface FieldChange {
  before: unknown;
  after: unknown;
}

/** Changed fields only, by name; a secret field's entry is SECRET_CHANGED rather than its values. */
export type Changes = Record<string, FieldChange | typeof SECRET_CHANGED>;

export interface AuditEntry {
  /** Who: `user:ana`, `token:ci`, `cli:root`, `auto`, `llm_agent:<name>`, `system`. */
  actor: string;
  /** `<target type>.<verb>`, e.g. device.update, account.state. */
  action: string;
  targetType: AuditTargetType;
  /** The record's id (a uuid, a number or a key). */
  targetId: string;
  /** The name people know the record by, as it was then: a device name, tiktok:username, a niche slug. */
  targetLabel: string;
  changes?: Changes;
  note?: string | null;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'note'>> {
  id: number;
  at: Date;
  note: string | null;
}
