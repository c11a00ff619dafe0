// Managed accounts as the rest of sovi sees them. Secrets never appear here: only whether each is set and
// under which vault key.
import { isOneOf, type OneOf } from '../errors.ts';
import type { Platform } from '../platforms.ts';

export const accountStates = [
  'created',
  'warming_p1',
  'warming_p2',
  'warming_p3',
  'active',
  'resting',
  'cooldown',
  'flagged',
  'restricted',
  'shadowbanned',
  'suspended',
  'banned',
] as const;
export type AccountState = OneOf<typeof accountStates>;

/**
 * The states the warming scheduler gives sessions to, declared once: the due rule (src/warming/due-rule.ts)
 * passes this list to SQL, and test/db/warming-index.test.ts compares it with idx_accounts_needs_warming's
 * predicate (003), which must list the same states for the planner to read the index.
 */
export const scheduledStates = [
  'created',
  'warming_p1',
  'warming_p2',
  'warming_p3',
  'active',
] as const satisfies readonly AccountState[];
export type ScheduledState = OneOf<typeof scheduledStates>;

export const isScheduled = (state: string): state is ScheduledState => isOneOf(scheduledStates, state);

export const secretFields = ['email', 'password', 'totp_secret', 'proxy_credentials'] as const;
export type SecretField = OneOf<typeof secretFields>;

/** Where each secret lives. proxy_credentials is TEXT in the spec: a base64 envelope. */
export const secretColumns: Record<
  SecretField,
  'email_enc' | 'password_enc' | 'totp_secret_enc' | 'proxy_credentials'
> = {
  email: 'email_enc',
  password: 'password_enc',
  totp_secret: 'totp_secret_enc',
  proxy_credentials: 'proxy_credentials',
};

export type Secrets = Partial<Record<SecretField, string>>;

export interface SecretSummary {
  set: boolean;
  /** The vault key the value is sealed with; null when unset or unreadable. */
  keyId: string | null;
  keyConfigured: boolean;
}

export interface Account {
  id: string;
  platform: Platform;
  username: string;
  nicheId: string | null;
  nicheSlug: string | null;
  deviceId: string | null;
  deviceName: string | null;
  state: AccountState;
  warmingDayCount: number;
  followers: number;
  following: number;
  bio: string | null;
  profilePicUrl: string | null;
  lastActivityAt: Date | null;
  lastWarmedAt: Date | null;
  lastPostAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  secrets: Record<SecretField, SecretSummary>;
}
