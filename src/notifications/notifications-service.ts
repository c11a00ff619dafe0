// Notification channels and their rules: adding, changing and removing them (audited, secrets sealed with the
// vault and recorded as "changed"), reading them, the delivery log, and "send test". The dispatcher
// (notification-dispatch.ts) and the delivery worker (notification-delivery.ts) do the sending.
import { randomBytes, randomUUID } from 'node:crypto';
import { recordAudit, diffChanges } from '../audit/audit-service.ts';
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { pageLimit } from '../db/keyset.ts';
import { invalidInput, oneOf, notFound, SoviError } from '../errors.ts';
import { severities, type Severity } from '../events/event-model.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import type { Vault } from '../vault/vault.ts';
import { checkClock, checkTimeZone } from './local-time.ts';
import {
  channelKinds,
  DEFAULT_GROUP_WINDOW_SECONDS,
  deliveryStatuses,
  emailSecurities,
  type Channel,
  type ChannelKind,
  type Delivery,
  type DeliveryKind,
  type DeliveryStatus,
  type EmailSettings,
  type Rule,
} from './notification-model.ts';
import {
  deleteChannelRow,
  deleteRuleRow,
  findChannelRow,
  findDelivery,
  insertChannel,
  insertRule,
  listChannelRows,
  listDeliveryRows,
  listRuleRows,
  updateChannelRow,
  type ChannelRow,
  type DeliveryRow,
  type RuleRow,
} from './notifications-repository.ts';
import type { ChannelTarget } from './channel-senders.ts';

export interface NotificationDeps {
  db: Executor;
  vault: Vault;
  /** Who is acting, for the audit trail. */
  actor: string;
}

const SECRET_FIELDS = ['url', 'signingKey', 'smtpPassword'] as const;

export function toChannel(row: ChannelRow): Channel {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ChannelKind,
    enabled: row.enabled,
    timeZone: row.time_zone,
    quietHours: row.quiet_start && row.quiet_end ? { start: row.quiet_start, end: row.quiet_end } : null,
    digestTime: row.digest_time,
    groupWindowSeconds: row.group_window_seconds,
    email: (row.email as unknown as EmailSettings | null) ?? null,
    secrets: {
      url: row.url_enc !== null,
      signingKey: row.signing_key_enc !== null,
      smtpPassword: row.smtp_password_enc !== null,
    },
    consecutiveFailures: row.consecutive_failures,
    failingSince: row.failing_since,
    lastDeliveryAt: row.last_delivery_at,
    lastDeliveryStatus: row.last_delivery_status,
    lastDigestAt: row.last_digest_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What the audit trail records of a channel: its settings, and its secrets only as whether they changed. */
function auditView(row: ChannelRow): Record<string, unknown> {
  const {
    secrets: _secrets,
    consecutiveFailures: _c,
    failingSince: _f,
    lastDeliveryAt: _l,
    lastDeliveryStatus: _s,
    lastDigestAt: _d,
    createdAt: _a,
    updatedAt: _u,
    ...rest
  } = toChannel(row);
  return {
    ...rest,
    url: row.url_enc,
    signingKey: row.signing_key_enc,
    smtpPassword: row.smtp_password_enc,
  };
}

// Input checks

export interface EmailInput {
  host: string;
  port?: number;
  security?: string;
  user?: string | null;
  from: string;
  to: string[];
  tlsVerify?: boolean;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

function checkEmail(input: EmailInput, prefix: string): EmailSettings {
  const host = input.host?.trim();
  if (!host) throw invalidInput(`${prefix}host`, `${prefix}host: the SMTP server's host name is required`);
  const port = input.port ?? 587;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw invalidInput(`${prefix}port`, `${prefix}port: expected 1–65535, got ${port}`);
  const security = input.security ?? 'starttls';
  oneOf(emailSecurities, security, `${prefix}security`);
  if (!EMAIL.test(input.from ?? ''))
    throw invalidInput(
      `${prefix}from`,
      `${prefix}from: expected an email address, got "${input.from ?? ''}"`,
    );
  if (!input.to?.length) throw invalidInput(`${prefix}to`, `${prefix}to: at least one recipient is required`);
  for (const to of input.to)
    if (!EMAIL.test(to)) throw invalidInput(`${prefix}to`, `${prefix}to: "${to}" is not an email address`);
  return {
    host,
    port,
    security: security as EmailSettings['security'],
    user: input.user?.trim() || null,
    from: input.from,
    to: input.to,
    tlsVerify: input.tlsVerify ?? true,
  };
}

function checkUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Never echo the value: it is a secret.
    throw invalidInput(field, `${field}: not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalidInput(field, `${field}: expected an http(s) URL, got a ${url.protocol} one`);
  return value;
}

function checkName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name))
    throw invalidInput(
      'name',
      `name: letters, digits, _ . - (up to 100, starting with a letter or digit), got "${name}"`,
    );
  return name;
}

function checkWindow(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400)
    throw invalidInput('groupWindowSeconds', `groupWindowSeconds: expected 1–86400, got ${seconds}`);
  return seconds;
}

function checkQuiet(quiet: { start: string; end: string } | null): {
  quiet_start: string | null;
  quiet_end: string | null;
} {
  if (!quiet) return { quiet_start: null, quiet_end: null };
  return {
    quiet_start: checkClock('quietHours.start', quiet.start),
    quiet_end: checkClock('quietHours.end', quiet.end),
  };
}

// Channels

/** How a channel delivers, the same whether it is being added or changed. */
interface ChannelSettings {
  enabled?: boolean;
  timeZone?: string;
  quietHours?: { start: string; end: string } | null;
  digestTime?: string;
  groupWindowSeconds?: number;
}

export interface NewChannel extends ChannelSettings {
  name: string;
  kind: string;
  email?: EmailInput;
  /** The webhook or Slack URL. */
  url?: string;
  smtpPassword?: string;
}

const seal = (vault: Vault, id: string, column: string, value: string) =>
  vault.seal(value, { table: 'notification_channels', column, rowId: id });

/** Adds a channel. A webhook's signing secret is made here and returned this once: it is never shown again. */
export async function addChannel(
  deps: NotificationDeps,
  input: NewChannel,
): Promise<{ channel: Channel; signingSecret: string | null }> {
  const name = checkName(input.name);
  const kind = oneOf(channelKinds, input.kind, 'kind');
  const id = randomUUID();
  let url: string | null = null;
  let email: EmailSettings | null = null;
  if (kind === 'email') {
    if (!input.email) throw invalidInput('email', 'email: an email channel needs host, from and to');
    email = checkEmail(input.email, 'email.');
    if (email.user && !input.smtpPassword)
      throw invalidInput('smtpPassword', 'smtpPassword: required when email.user is set (the SMTP login)');
  } else {
    if (!input.url) throw invalidInput('url', `url: a ${kind} channel needs the URL to post to`);
    url = checkUrl('url', input.url);
  }
  const signingSecret = kind === 'webhook' ? randomBytes(32).toString('base64url') : null;
  const row = await inTransaction(deps.db, async (trx) => {
    if (await findChannelRow(trx, name))
      throw new SoviError('conflict', `a channel named ${name} exists`, { field: 'name' });
    const created = await insertChannel(trx, {
      id,
      name,
      kind,
      enabled: input.enabled ?? true,
      time_zone: checkTimeZone('timeZone', input.timeZone ?? 'UTC'),
      ...checkQuiet(input.quietHours ?? null),
      digest_time: checkClock('digestTime', input.digestTime ?? '08:00'),
      group_window_seconds: checkWindow(input.groupWindowSeconds ?? DEFAULT_GROUP_WINDOW_SECONDS),
      email: email ? JSON.stringify(email) : null,
      url_enc: url ? seal(deps.vault, id, 'url_enc', url) : null,
      signing_key_enc: signingSecret ? seal(deps.vault, id, 'signing_key_enc', signingSecret) : null,
      smtp_password_enc: input.smtpPassword
        ? seal(deps.vault, id, 'smtp_password_enc', input.smtpPassword)
        : null,
    });
    await recordAudit(trx, {
      actor: deps.actor,
      action: 'notification_channel.add',
      targetType: 'notification_channel',
      targetId: id,
      targetLabel: name,
      changes: diffChanges(null, auditView(created), { secret: SECRET_FIELDS }),
    });
    return created;
  });
  return { channel: toChannel(row), signingSecret };
}

export interface ChannelPatch extends ChannelSettings {
  name?: string;
  email?: Partial<EmailInput>;
  url?: string;
  smtpPassword?: string | null;
  /** A webhook's new signing secret, returned this once. */
  rotateSigningSecret?: boolean;
}

export async function updateChannel(
  deps: NotificationDeps,
  ref: string,
  patch: ChannelPatch,
): Promise<{ channel: Channel; signingSecret: string | null }> {
  let signingSecret: string | null = null;
  const row = await inTransaction(deps.db, async (trx) => {
    const before = await findChannelRow(trx, ref, true);
    if (!before) throw notFound('notification channel', ref);
    const kind = before.kind as ChannelKind;
    if (patch.url !== undefined && kind === 'email')
      throw invalidInput('url', 'url: an email channel has no URL');
    if (patch.email !== undefined && kind !== 'email')
      throw invalidInput('email', `email: a ${kind} channel has no email settings`);
    if (patch.smtpPassword !== undefined && kind !== 'email')
      throw invalidInput('smtpPassword', `smtpPassword: a ${kind} channel has no SMTP password`);
    if (patch.rotateSigningSecret && kind !== 'webhook')
      throw invalidInput(
        'rotateSigningSecret',
        `rotateSigningSecret: only a webhook channel signs its messages`,
      );
    if (patch.rotateSigningSecret) signingSecret = randomBytes(32).toString('base64url');
    const email = patch.email
      ? checkEmail({ ...(before.email as unknown as EmailSettings), ...patch.email }, 'email.')
      : undefined;
    const after = await updateChannelRow(trx, before.id, {
      ...(patch.name !== undefined ? { name: checkName(patch.name) } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.timeZone !== undefined ? { time_zone: checkTimeZone('timeZone', patch.timeZone) } : {}),
      ...(patch.quietHours !== undefined ? checkQuiet(patch.quietHours) : {}),
      ...(patch.digestTime !== undefined ? { digest_time: checkClock('digestTime', patch.digestTime) } : {}),
      ...(patch.groupWindowSeconds !== undefined
        ? { group_window_seconds: checkWindow(patch.groupWindowSeconds) }
        : {}),
      ...(email ? { email: JSON.stringify(email) } : {}),
      ...(patch.url !== undefined
        ? { url_enc: seal(deps.vault, before.id, 'url_enc', checkUrl('url', patch.url)) }
        : {}),
      ...(patch.smtpPassword !== undefined
        ? {
            smtp_password_enc: patch.smtpPassword
              ? seal(deps.vault, before.id, 'smtp_password_enc', patch.smtpPassword)
              : null,
          }
        : {}),
      ...(signingSecret
        ? { signing_key_enc: seal(deps.vault, before.id, 'signing_key_enc', signingSecret) }
        : {}),
    });
    if (!after) throw notFound('notification channel', ref);
    await recordAudit(trx, {
      actor: deps.actor,
      action: 'notification_channel.update',
      targetType: 'notification_channel',
      targetId: after.id,
      targetLabel: after.name,
      changes: diffChanges(auditView(before), auditView(after), { secret: SECRET_FIELDS }),
    });
    return after;
  });
  return { channel: toChannel(row), signingSecret };
}

export async function removeChannel(deps: NotificationDeps, ref: string): Promise<Channel> {
  return inTransaction(deps.db, async (trx) => {
    const before = await findChannelRow(trx, ref, true);
    if (!before) throw notFound('notification channel', ref);
    await deleteChannelRow(trx, before.id);
    await recordAudit(trx, {
      actor: deps.actor,
      action: 'notification_channel.remove',
      targetType: 'notification_channel',
      targetId: before.id,
      targetLabel: before.name,
      changes: diffChanges(auditView(before), null, { secret: SECRET_FIELDS }),
    });
    return toChannel(before);
  });
}

export async function getChannel(db: Executor, ref: string): Promise<Channel> {
  const row = await findChannelRow(db, ref);
  if (!row) throw notFound('notification channel', ref);
  return toChannel(row);
}

export async function listChannels(db: Executor): Promise<Channel[]> {
  return (await listChannelRows(db)).map(toChannel);
}

/** A channel's secrets opened for one send. Only the delivery path calls this; nothing it returns is stored. */
export function channelTarget(row: ChannelRow, vault: Vault): ChannelTarget {
  const open = (column: 'url_enc' | 'signing_key_enc' | 'smtp_password_enc') => {
    const value = row[column];
    return value === null
      ? null
      : vault.open(value, { table: 'notification_channels', column, rowId: row.id });
  };
  switch (row.kind as ChannelKind) {
    case 'webhook':
      return {
        kind: 'webhook',
        name: row.name,
        url: open('url_enc') ?? '',
        signingKey: open('signing_key_enc') ?? '',
      };
    case 'slack':
      return { kind: 'slack', name: row.name, url: open('url_enc') ?? '' };
    case 'email':
      return {
        kind: 'email',
        name: row.name,
        email: row.email as unknown as EmailSettings,
        password: open('smtp_password_enc'),
      };
  }
}

// Rules

const toRule = (row: RuleRow): Rule => ({
  id: row.id,
  channelId: row.channel_id,
  channelName: row.channel_name,
  minSeverity: row.min_severity as Severity,
  categories: row.categories,
  eventTypes: row.event_types,
  nicheIds: row.niche_ids,
  createdAt: row.created_at,
});

export interface NewRule {
  channel: string;
  minSeverity?: string;
  categories?: string[];
  eventTypes?: string[];
  /** Niche slugs or ids. */
  niches?: string[];
}

const SNAKE = /^[a-z][a-z0-9_]*$/;

function checkSnakeList(field: string, values: string[] | undefined): string[] | null {
  if (!values?.length) return null;
  for (const v of values)
    if (!SNAKE.test(v)) throw invalidInput(field, `${field}: "${v}" is not a snake_case name`);
  return [...new Set(values)];
}

export async function addRule(deps: NotificationDeps, input: NewRule): Promise<Rule> {
  const minSeverity = input.minSeverity ?? 'warning';
  oneOf(severities, minSeverity, 'minSeverity');
  const categories = checkSnakeList('categories', input.categories);
  const eventTypes = checkSnakeList('eventTypes', input.eventTypes);
  return inTransaction(deps.db, async (trx) => {
    const channel = await findChannelRow(trx, input.channel);
    if (!channel)
      throw new SoviError('not_found', `notification channel ${input.channel} does not exist`, {
        field: 'channel',
      });
    const nicheIds = input.niches?.length
      ? [...new Set(await Promise.all(input.niches.map((n) => resolveNiche(trx, n, 'niches'))))]
      : null;
    const id = await insertRule(trx, {
      channel_id: channel.id,
      min_severity: minSeverity,
      categories,
      event_types: eventTypes,
      niche_ids: nicheIds,
    });
    const rule = (await listRuleRows(trx, channel.id)).find((r) => r.id === id)!;
    await recordAudit(trx, {
      actor: deps.actor,
      action: 'notification_rule.add',
      targetType: 'notification_rule',
      targetId: id,
      targetLabel: `${channel.name}: ${minSeverity}+`,
      changes: diffChanges(null, { channel: channel.name, minSeverity, categories, eventTypes, nicheIds }),
    });
    return toRule(rule);
  });
}

export async function listRules(db: Executor, channel?: string): Promise<Rule[]> {
  let channelId: string | undefined;
  if (channel) {
    const row = await findChannelRow(db, channel);
    if (!row)
      throw new SoviError('not_found', `notification channel ${channel} does not exist`, {
        field: 'channel',
      });
    channelId = row.id;
  }
  return (await listRuleRows(db, channelId)).map(toRule);
}

export async function removeRule(deps: NotificationDeps, id: string): Promise<Rule> {
  return inTransaction(deps.db, async (trx) => {
    const row = await deleteRuleRow(trx, id);
    if (!row) throw notFound('notification rule', id);
    await recordAudit(trx, {
      actor: deps.actor,
      action: 'notification_rule.remove',
      targetType: 'notification_rule',
      targetId: id,
      targetLabel: `${row.channel_name}: ${row.min_severity}+`,
      changes: diffChanges(
        {
          channel: row.channel_name,
          minSeverity: row.min_severity,
          categories: row.categories,
          eventTypes: row.event_types,
          nicheIds: row.niche_ids,
        },
        null,
      ),
    });
    return toRule(row);
  });
}

// The delivery log

const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  channelId: row.channel_id,
  channelName: row.channel_name,
  kind: row.kind as DeliveryKind,
  eventIds: (row.event_ids as number[]).map(Number),
  groupKey: row.group_key,
  count: row.count,
  status: row.status as DeliveryStatus,
  attempts: row.attempts,
  lastResult: row.last_result,
  latencyMs: row.latency_ms,
  createdAt: row.created_at,
  sentAt: row.sent_at,
});

export interface DeliveryQuery {
  channel?: string;
  status?: string;
  /** The nextCursor of the previous page. */
  after?: string;
  limit?: number;
}

export async function listDeliveries(
  db: Executor,
  query: DeliveryQuery,
): Promise<{ deliveries: Delivery[]; nextCursor: string | null }> {
  const limit = pageLimit(query.limit, 50);
  if (query.status !== undefined) oneOf(deliveryStatuses, query.status, 'status');
  if (query.after !== undefined && !/^\d+$/.test(query.after))
    throw invalidInput('after', `after: expected the nextCursor of the previous page, got "${query.after}"`);
  let channelId: string | undefined;
  if (query.channel) {
    const row = await findChannelRow(db, query.channel);
    if (!row)
      throw new SoviError('not_found', `notification channel ${query.channel} does not exist`, {
        field: 'channel',
      });
    channelId = row.id;
  }
  const rows = await listDeliveryRows(
    db,
    { channelId, status: query.status, beforeId: query.after ? Number(query.after) : undefined },
    limit + 1,
  );
  const kept = rows.slice(0, limit);
  return {
    deliveries: kept.map(toDelivery),
    nextCursor: rows.length > limit && kept.length > 0 ? String(kept.at(-1)!.id) : null,
  };
}

export async function getDelivery(db: Executor, id: number): Promise<Delivery> {
  const row = await findDelivery(db, id);
  if (!row) throw notFound('notification delivery', String(id));
  return toDelivery(row);
}
