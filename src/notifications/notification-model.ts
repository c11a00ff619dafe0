// The vocabulary of notifications: channel kinds, delivery kinds and statuses (closed sets the database also
// enforces, 024_notifications.sql), and the domain types the service hands out. Secrets never appear here
// but as whether they are set.
import type { Severity } from '../events/event-model.ts';
import type { OneOf } from '../errors.ts';

export const channelKinds = ['webhook', 'slack', 'email'] as const;
export type ChannelKind = OneOf<typeof channelKinds>;

export const deliveryKinds = ['alert', 'summary', 'digest', 'test'] as const;
export type DeliveryKind = OneOf<typeof deliveryKinds>;

export const deliveryStatuses = ['pending', 'retrying', 'sent', 'failed'] as const;
export type DeliveryStatus = OneOf<typeof deliveryStatuses>;

export const emailSecurities = ['starttls', 'tls', 'none'] as const;
export type EmailSecurity = OneOf<typeof emailSecurities>;

/** The event types this domain raises about its own channels. */
export const CHANNEL_FAILING = 'notification_channel_failing';
export const CHANNEL_RECOVERED = 'notification_channel_recovered';

/** Defaults: a 10-minute grouping window, and 5 failed attempts in a row make a channel failing. */
export const DEFAULT_GROUP_WINDOW_SECONDS = 600;
export const FAILING_AFTER = 5;

export interface EmailSettings {
  host: string;
  port: number;
  security: EmailSecurity;
  user: string | null;
  from: string;
  to: string[];
  /** false only for a server with a self-signed certificate one trusts anyway (a test, a LAN relay). */
  tlsVerify: boolean;
}

export interface Channel {
  id: string;
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  timeZone: string;
  quietHours: { start: string; end: string } | null;
  digestTime: string;
  groupWindowSeconds: number;
  email: EmailSettings | null;
  /** Which secrets are stored (sealed); never their values. */
  secrets: { url: boolean; signingKey: boolean; smtpPassword: boolean };
  /** Failed attempts in a row; failingSince is set once they reached FAILING_AFTER. */
  consecutiveFailures: number;
  failingSince: Date | null;
  lastDeliveryAt: Date | null;
  lastDeliveryStatus: string | null;
  lastDigestAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface Rule {
  id: string;
  channelId: string;
  channelName: string;
  minSeverity: Severity;
  categories: string[] | null;
  eventTypes: string[] | null;
  nicheIds: string[] | null;
  createdAt: Date;
}

export interface Delivery {
  id: number;
  channelId: string;
  channelName: string;
  kind: DeliveryKind;
  eventIds: number[];
  groupKey: string | null;
  count: number;
  status: DeliveryStatus;
  attempts: number;
  lastResult: string | null;
  latencyMs: number | null;
  createdAt: Date;
  sentAt: Date | null;
}
