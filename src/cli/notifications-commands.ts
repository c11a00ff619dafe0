// `sovi notifications`: channels (add, list, show, update, remove), rules (add, list, remove), a test send,
// and the delivery log. Secrets (a webhook or Slack URL, an SMTP password) come from a hidden prompt or stdin,
// never from argv; a webhook's signing secret is printed once, when it is made.
import type { Command } from 'commander';
import { invalidInput } from '../errors.ts';
import { sendTest } from '../notifications/notification-delivery.ts';
import {
  channelKinds,
  deliveryStatuses,
  emailSecurities,
  type Channel,
} from '../notifications/notification-model.ts';
import * as notificationService from '../notifications/notifications-service.ts';
import { action, type CliContext } from './context.ts';
import { fields, json, shortTime } from './format.ts';
import { parseChoice, parseInteger, parseList } from './parse.ts';
import {
  changeCommand,
  listCommand,
  listing,
  listingText,
  nextPage,
  printListing,
  readCommand,
} from './read-command.ts';
import { readSecretLine } from './secret-input.ts';

interface AddRuleOptions {
  minSeverity?: string;
  category?: string[];
  type?: string[];
  niche?: string[];
  json?: boolean;
}

function parseQuiet(value: string): { start: string; end: string } | null {
  if (value === 'off') return null;
  const m = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(value.trim());
  if (!m) throw invalidInput('--quiet', `--quiet: expected HH:MM-HH:MM (local) or off, got "${value}"`);
  return { start: m[1]!, end: m[2]! };
}

const deps = async (ctx: CliContext) => ({
  db: await ctx.db(),
  vault: ctx.vault,
  actor: ctx.config.actor,
});

function channelText(c: Channel): string {
  return fields([
    ['name', `${c.name} (${c.kind})`],
    ['id', c.id],
    ['enabled', c.enabled ? 'yes' : 'no'],
    ['time zone', c.timeZone],
    ['quiet hours', `${c.quietHours ? `${c.quietHours.start}–${c.quietHours.end}` : 'none'}`],
    ['digest at', `${c.digestTime} (last ${shortTime(c.lastDigestAt)})`],
    ['grouping', `${c.groupWindowSeconds} s`],
    ...(c.email
      ? [
          [
            'smtp',
            `${c.email.host}:${c.email.port} ${c.email.security}${c.email.user ? ` as ${c.email.user}` : ''}`,
          ],
          ['from', c.email.from],
          ['to', c.email.to.join(', ')],
        ]
      : []),
    `secrets      ${
      Object.entries(c.secrets)
        .filter(([, set]) => set)
        .map(([k]) => k)
        .join(', ') || 'none'
    } (sealed)`,
    [
      'last',
      `${c.lastDeliveryAt ? `${shortTime(c.lastDeliveryAt)} ${c.lastDeliveryStatus ?? ''}` : 'no delivery yet'}`,
    ],
    [
      'status',
      `${c.failingSince ? `FAILING since ${shortTime(c.failingSince)}` : 'ok'} (${c.consecutiveFailures} failed in a row)`,
    ],
  ]);
}

interface ChannelOptions {
  timeZone?: string;
  quiet?: { start: string; end: string } | null;
  digestAt?: string;
  groupWindow?: number;
  smtpHost?: string;
  smtpPort?: number;
  smtpSecurity?: string;
  smtpUser?: string;
  from?: string;
  to?: string[];
  tlsVerify?: boolean;
  json?: boolean;
}

const channelOptions = (c: Command) =>
  c
    .option(
      '--time-zone <zone>',
      'IANA time zone of quiet hours and the digest, e.g. Europe/Paris (default UTC)',
    )
    .option(
      '--quiet <HH:MM-HH:MM>',
      'quiet hours, local (only critical goes out; the rest waits for the digest); off: none',
      parseQuiet,
    )
    .option('--digest-at <HH:MM>', 'local time of the daily digest (default 08:00)')
    .option(
      '--group-window <seconds>',
      'repeats of an event type for one device or account within this are one message (default 600)',
      (v) => parseInteger('--group-window', v, 1, 86_400),
    )
    .option('--smtp-host <host>', 'email: the SMTP server')
    .option('--smtp-port <port>', 'email: its port (default 587)', (v) =>
      parseInteger('--smtp-port', v, 1, 65_535),
    )
    .option('--smtp-security <mode>', `email: ${emailSecurities.join(', ')} (default starttls)`)
    .option('--smtp-user <user>', 'email: the SMTP login; its password is asked for (or read from stdin)')
    .option('--from <address>', 'email: the sender')
    .option('--to <addresses>', 'email: recipients, comma-separated', parseList)
    .option('--no-tls-verify', "email: accept the server's certificate unchecked (a self-signed relay)")
    .option('--json', 'print JSON');

function emailOf(o: ChannelOptions) {
  const given = [o.smtpHost, o.smtpPort, o.smtpSecurity, o.smtpUser, o.from, o.to].some(
    (v) => v !== undefined,
  );
  if (!given && o.tlsVerify !== false) return undefined;
  return {
    host: o.smtpHost ?? '',
    port: o.smtpPort,
    security: o.smtpSecurity,
    user: o.smtpUser,
    from: o.from ?? '',
    to: o.to ?? [],
    tlsVerify: o.tlsVerify === false ? false : undefined,
  };
}

export function registerNotificationsCommands(notifications: Command): void {
  const channels = notifications.command('channels').description('where alerts go: webhook, Slack, email');

  channelOptions(
    channels
      .command('add <name>')
      .description(
        'add a channel; the URL (webhook, slack) or SMTP password is asked for, or read from stdin',
      )
      .requiredOption('--kind <kind>', channelKinds.join(', '), (v) =>
        parseChoice('--kind', v, channelKinds),
      ),
  ).action(
    action(async (ctx, name: string, o: ChannelOptions & { kind: string }) => {
      const url = o.kind === 'email' ? undefined : await readSecretLine(`${o.kind} URL`);
      const smtpPassword =
        o.kind === 'email' && o.smtpUser ? await readSecretLine('SMTP password') : undefined;
      const { channel, signingSecret } = await notificationService.addChannel(await deps(ctx), {
        name,
        kind: o.kind,
        timeZone: o.timeZone,
        quietHours: o.quiet,
        digestTime: o.digestAt,
        groupWindowSeconds: o.groupWindow,
        email: o.kind === 'email' ? (emailOf(o) ?? { host: '', from: '', to: [] }) : undefined,
        url,
        smtpPassword,
      });
      if (o.json) ctx.print(json({ channel, signingSecret }));
      else if (signingSecret) {
        // The secret alone on stdout, for a script to capture; what it is on stderr.
        ctx.print(signingSecret);
        process.stderr.write(
          `added webhook channel ${channel.name} (${channel.id}); its signing secret, above, is shown this once: ` +
            'receivers check X-Sovi-Signature = sha256=HMAC-SHA256(secret, "<X-Sovi-Timestamp>.<body>")\n',
        );
      } else ctx.print(`added ${channel.kind} channel ${channel.name} (${channel.id})`);
    }),
  );

  channelOptions(
    channels
      .command('update <channel>')
      .description('change a channel (name or id)')
      .option('--name <name>', 'rename it')
      .option('--enable', 'send through it again')
      .option('--disable', 'stop sending through it (rules stay)')
      .option('--url', 'replace the URL (asked for, or read from stdin)')
      .option('--smtp-password', 'replace the SMTP password (asked for, or read from stdin)')
      .option('--rotate-signing-secret', 'a webhook: make a new signing secret (printed once)'),
  ).action(
    action(
      async (
        ctx,
        ref: string,
        o: ChannelOptions & {
          name?: string;
          enable?: boolean;
          disable?: boolean;
          url?: boolean;
          smtpPassword?: boolean;
          rotateSigningSecret?: boolean;
        },
      ) => {
        if (o.enable && o.disable) throw invalidInput('--enable', '--enable and --disable: choose one');
        const patch: notificationService.ChannelPatch = {
          name: o.name,
          enabled: o.enable ? true : o.disable ? false : undefined,
          timeZone: o.timeZone,
          quietHours: o.quiet,
          digestTime: o.digestAt,
          groupWindowSeconds: o.groupWindow,
          email:
            emailOf(o) &&
            Object.fromEntries(
              Object.entries(emailOf(o)!).filter(
                ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0),
              ),
            ),
          url: o.url ? await readSecretLine('URL') : undefined,
          smtpPassword: o.smtpPassword ? await readSecretLine('SMTP password') : undefined,
          rotateSigningSecret: o.rotateSigningSecret,
        };
        const { channel, signingSecret } = await notificationService.updateChannel(
          await deps(ctx),
          ref,
          patch,
        );
        if (o.json) ctx.print(json({ channel, signingSecret }));
        else {
          ctx.print(`updated channel ${channel.name}`);
          if (signingSecret) ctx.print(`new signing secret (shown once):\n${signingSecret}`);
        }
      },
    ),
  );

  changeCommand(channels, {
    spec: 'remove <channel>',
    description: 'remove a channel, its rules and its delivery log',
    run: async (ctx, ref: string) => notificationService.removeChannel(await deps(ctx), ref),
    text: (channel) => `removed channel ${channel.name}`,
  });

  readCommand(channels, {
    spec: 'list',
    description: 'channels with their last delivery and whether they are failing',
    read: async (ctx) => notificationService.listChannels(await ctx.db()),
    text: (all) =>
      listingText({
        items: all,
        empty: 'no channels: add one with sovi notifications channels add',
        columns: ['name', 'kind', 'enabled', 'quiet', 'last delivery', 'status'],
        row: (c) => [
          c.name,
          c.kind,
          c.enabled ? 'yes' : 'no',
          c.quietHours ? `${c.quietHours.start}-${c.quietHours.end} ${c.timeZone}` : '',
          c.lastDeliveryAt ? `${shortTime(c.lastDeliveryAt)} ${c.lastDeliveryStatus ?? ''}` : '',
          c.failingSince ? `FAILING since ${shortTime(c.failingSince)}` : 'ok',
        ],
      }),
  });

  readCommand(channels, {
    spec: 'show <channel>',
    description: 'one channel (its secrets only as whether they are set)',
    read: async (ctx, ref: string) => notificationService.getChannel(await ctx.db(), ref),
    text: channelText,
  });

  const rules = notifications.command('rules').description('which events go to which channel');

  rules
    .command('add <channel>')
    .description('route events at or above a severity (and of these categories, types, niches) to a channel')
    .option('--min-severity <severity>', 'info, warning, error, critical (default warning)')
    .option('--category <categories>', 'only these categories, comma-separated', parseList)
    .option('--type <types>', 'only these event types, comma-separated', parseList)
    .option(
      '--niche <niches>',
      "only events of these niches (by the event's account or content), comma-separated",
      parseList,
    )
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, channel: string, o: AddRuleOptions) => {
        const rule = await notificationService.addRule(await deps(ctx), {
          channel,
          minSeverity: o.minSeverity,
          categories: o.category,
          eventTypes: o.type,
          niches: o.niche,
        });
        ctx.print(o.json ? json(rule) : `added rule ${rule.id}: ${rule.minSeverity}+ to ${rule.channelName}`);
      }),
    );

  rules
    .command('list')
    .description('the rules, by channel')
    .option('--channel <channel>', 'only this channel')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { channel?: string; json?: boolean }) => {
        printListing(ctx, o.json, {
          items: await notificationService.listRules(await ctx.db(), o.channel),
          empty: 'no rules: add one with sovi notifications rules add <channel>',
          columns: ['id', 'channel', 'severity', 'categories', 'types', 'niches'],
          row: (r) => [
            r.id,
            r.channelName,
            `${r.minSeverity}+`,
            r.categories?.join(',') ?? 'any',
            r.eventTypes?.join(',') ?? 'any',
            r.nicheIds?.length ? `${r.nicheIds.length} niche(s)` : 'any',
          ],
        });
      }),
    );

  changeCommand(rules, {
    spec: 'remove <id>',
    description: 'remove a rule',
    run: async (ctx, id: string) => notificationService.removeRule(await deps(ctx), id),
    text: (rule) => `removed rule ${rule.id} of ${rule.channelName}`,
  });

  notifications
    .command('test <channel>')
    .description('send a test message through a channel now, and print what its peer answered')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, ref: string, o: { json?: boolean }) => {
        const d = await deps(ctx);
        const delivery = await sendTest({ ...d, db: await ctx.db(), logger: ctx.logger }, ref);
        if (o.json) ctx.print(json(delivery));
        else
          ctx.print(
            `test to ${delivery.channelName}: ${delivery.status} (${delivery.lastResult ?? 'no answer'}, ${delivery.latencyMs ?? '?'} ms)`,
          );
        if (delivery.status !== 'sent') process.exitCode = 1;
      }),
    );

  listCommand(notifications, {
    spec: 'deliveries',
    description: 'the delivery log, newest first',
    options: (c) =>
      c
        .option('--channel <channel>', 'only this channel')
        .option('--status <status>', deliveryStatuses.join(', '), (v) =>
          parseChoice('--status', v, deliveryStatuses),
        ),
    defaultLimit: 50,
    maxLimit: 1000,
    list: async (ctx, o: { channel?: string; status?: string }, page) => {
      const found = await notificationService.listDeliveries(await ctx.db(), {
        channel: o.channel,
        status: o.status,
        ...page,
      });
      return listing(found.deliveries, {
        empty: 'no deliveries yet',
        columns: [
          'id',
          'created',
          'channel',
          'kind',
          'status',
          'attempts',
          'result',
          'ms',
          'count',
          'events',
        ],
        row: (d) => [
          d.id,
          shortTime(d.createdAt),
          d.channelName,
          d.kind,
          d.status,
          d.attempts,
          d.lastResult,
          d.latencyMs,
          d.count,
          d.eventIds.join(','),
        ],
        more: nextPage(
          'sovi notifications deliveries',
          { channel: o.channel, status: o.status },
          found.nextCursor,
        ),
      });
    },
  });
}
