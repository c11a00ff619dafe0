// Alerts that reach people, end to end against real local peers: an SMTP server with STARTTLS and AUTH, and
// HTTP receivers for Slack and a signed webhook. Events are recorded as the subsystems record them; the
// notifications worker (dispatcher and delivery queue) runs on the job engine as on a host.
import { Writable } from 'node:stream';
import type { PgBoss } from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { recordEvent, resolveOpenEvents } from '../../src/events/events-service.ts';
import type { Severity } from '../../src/events/event-model.ts';
import { startNotificationsWorker, type NotificationsWorker } from '../../src/jobs/notifications-worker.ts';
import { createLogger } from '../../src/logger.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from '../../src/notifications/channel-senders.ts';
import { localStamp } from '../../src/notifications/local-time.ts';
import { sendTest } from '../../src/notifications/notification-delivery.ts';
import { dispatchBatch } from '../../src/notifications/notification-dispatch.ts';
import { addChannel, addRule, type NewChannel } from '../../src/notifications/notifications-service.ts';
import { keyLine, vaultWith } from '../helpers/accounts.ts';
import { canary, findCanaries } from '../helpers/canary.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';
import { startHttpPeer, startSmtpPeer, type HttpPeer, type SmtpPeer } from './peers.ts';

const t = useTestDatabase();
const vault = vaultWith(keyLine('k1'));
const smtpLogin = { user: 'sovi-alerts', password: canary('smtp-password') };
let smtp: SmtpPeer;
let peer: HttpPeer;
let database: Database;
let boss: PgBoss;
let worker: NotificationsWorker | undefined;
let logged = '';
const logger = createLogger(
  { level: 'debug', format: 'json' },
  'debug',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  }),
);

async function startWorker(): Promise<NotificationsWorker> {
  worker = await startNotificationsWorker({
    database,
    vault,
    logger,
    boss,
    delivery: { timeoutMs: 1_500, maxAttempts: 3, failingAfter: 3 },
    retryDelaySeconds: 1,
    pollMs: 500,
  });
  return worker;
}

beforeAll(async () => {
  smtp = await startSmtpPeer(smtpLogin);
  peer = await startHttpPeer();
  const config = loadConfig({ DATABASE_URL: t.url, SOVI_JOB_POOL_MAX: '4', SOVI_DB_POOL_MAX: '6' });
  database = await openDatabase(config, quietLogger, { applicationName: 'test notifications' });
  await prepareDatabase(database, config, quietLogger);
  boss = createBoss(database.connection, config.scheduler, quietLogger, { migrate: false, background: true });
  await boss.start();
  await startWorker();
});

afterAll(async () => {
  await worker?.stop();
  await boss?.stop({ graceful: false, close: true });
  await database?.close();
  await peer?.close();
  await smtp?.close();
});

afterEach(async () => {
  // The worker keeps delivering while the channels go: the server may pick this DELETE as a deadlock's
  // victim (40P01), which only means "again".
  for (let attempt = 1; ; attempt++) {
    try {
      await t.pool.query('DELETE FROM notification_channels');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt === 5) throw err;
    }
  }
});

const deps = () => ({ db: t.db, vault, actor: 'tester' });
let n = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++n}`;

async function channel(
  input: Omit<NewChannel, 'name'> & { name?: string },
  rule: { minSeverity?: Severity; categories?: string[] } = {},
) {
  const added = await addChannel(deps(), { name: unique(input.kind), ...input });
  await addRule(deps(), {
    channel: added.channel.name,
    minSeverity: rule.minSeverity ?? 'warning',
    categories: rule.categories ?? ['device'],
  });
  return added;
}

/** A device disconnects, recorded as the health monitor records it. */
async function disconnect(deviceId: string, severity: Severity = 'warning') {
  return t.db.transaction().execute((trx) =>
    recordEvent(trx, {
      category: 'device',
      severity,
      eventType: 'device_disconnected',
      message: `iPhone disconnected: WDA does not answer (unhealthy 3 times in a row)`,
      deviceId,
      context: { reason: 'WDA does not answer', consecutiveFailures: 3 },
    }),
  );
}

const device = async () => String((await factories.device(t.pool)).id);
const postsTo = (path: string) => peer.posts.filter((p) => p.path === path);
const deliveries = async (channelId: string) =>
  (
    await t.pool.query<{
      kind: string;
      status: string;
      attempts: number;
      last_result: string;
      count: number;
      event_ids: string[];
    }>(
      'SELECT kind, status, attempts, last_result, count, event_ids FROM notification_deliveries WHERE channel_id = $1 ORDER BY id',
      [channelId],
    )
  ).rows;

describe('alerts that reach people', () => {
  it('a device that disconnects reaches Slack and email within 5 s; a second disconnect in the window adds to the count', async () => {
    const slackPath = `/slack/${unique('hook')}`;
    const slack = await channel({ kind: 'slack', url: `${peer.url}${slackPath}` });
    const email = await channel({
      kind: 'email',
      email: {
        host: '127.0.0.1',
        port: smtp.port,
        security: 'starttls',
        user: smtpLogin.user,
        from: 'sovi@ops.test',
        to: ['oncall@ops.test'],
        tlsVerify: false,
      },
      smtpPassword: smtpLogin.password,
    });
    const phone = await device();
    const mailsBefore = smtp.mails.length;

    const first = await disconnect(phone);
    const started = first.timestamp.getTime();
    const post = await until('the Slack call', async () => postsTo(slackPath)[0], {
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    const mail = await until('the email', async () => smtp.mails[mailsBefore], {
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    expect(post.at - started).toBeLessThan(5_000);
    expect(mail.at - started).toBeLessThan(5_000);

    // Slack's incoming-webhook shape: text, and blocks with a header and sections.
    const body = JSON.parse(post.body) as {
      text: string;
      blocks: { type: string; text: { type: string; text: string } }[];
    };
    expect(post.headers['content-type']).toContain('application/json');
    expect(body.text).toContain('device_disconnected');
    expect(body.text).toContain('WDA does not answer');
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(body.blocks.slice(1).every((b) => b.type === 'section' && b.text.type === 'mrkdwn')).toBe(true);

    // The mail went over STARTTLS, logged in, with the headers and body people read.
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe(smtpLogin.user);
    expect(mail.from).toBe('sovi@ops.test');
    expect(mail.to).toEqual(['oncall@ops.test']);
    expect(mail.headers.subject).toBe('[sovi] warning: device_disconnected');
    expect(mail.headers['x-sovi-kind']).toBe('alert');
    expect(mail.body).toContain('WDA does not answer');
    expect(mail.body).toContain(`event ${first.id}`);

    const logRow = await until('the email logged as sent', async () => {
      const rows = await deliveries(email.channel.id);
      return rows[0]?.status === 'sent' ? rows[0] : undefined;
    });
    expect(logRow.last_result).toMatch(/^250 /);

    // It reconnects, and disconnects again inside the window: counted, not sent again.
    await resolveOpenEvents(
      t.db,
      { eventType: 'device_disconnected', deviceId: phone },
      { reason: 'WDA answers again' },
    );
    const second = await disconnect(phone);
    await until('the second disconnect grouped', async () => {
      const { rows } = await t.pool.query<{ count: number }>(
        `SELECT g.count FROM notification_groups g WHERE g.channel_id = $1 AND g.group_key = $2`,
        [slack.channel.id, `device_disconnected:device:${phone}`],
      );
      return rows[0]?.count === 2 ? true : undefined;
    });
    const grouped = await t.pool.query(`SELECT disposition FROM notification_matches WHERE event_id = $1`, [
      second.id,
    ]);
    expect(grouped.rows.map((r: { disposition: string }) => r.disposition)).toEqual(['grouped', 'grouped']);
    expect((await deliveries(slack.channel.id)).filter((d) => d.kind === 'alert')).toHaveLength(1);
    expect((await deliveries(email.channel.id)).filter((d) => d.kind === 'alert')).toHaveLength(1);
    expect(postsTo(slackPath)).toHaveLength(1);
    expect(smtp.mails).toHaveLength(mailsBefore + 1);

    // When the window closes, one summary says how many there were.
    await t.pool.query(`UPDATE notification_groups SET closes_at = now() WHERE channel_id = $1`, [
      slack.channel.id,
    ]);
    const summary = await until('the summary', async () => postsTo(slackPath)[1]);
    expect((JSON.parse(summary.body) as { text: string }).text).toContain('2 in all');
  });

  it('during quiet hours a warning is held for the digest and a critical goes out, signed', async () => {
    const zone = 'Asia/Tokyo';
    const clock = (offsetMs: number) => localStamp(new Date(Date.now() + offsetMs), zone).slice(11);
    const hookPath = `/hook/${unique('quiet')}`;
    const { channel: quiet, signingSecret } = await channel({
      kind: 'webhook',
      url: `${peer.url}${hookPath}`,
      timeZone: zone,
      quietHours: { start: clock(-3_600_000), end: clock(3_600_000) },
    });
    expect(signingSecret).toMatch(/^[\w-]{40,}$/);
    const warning = await disconnect(await device(), 'warning');
    const critical = await disconnect(await device(), 'critical');
    const post = await until('the critical alert', async () => postsTo(hookPath)[0]);

    const timestamp = String(post.headers[TIMESTAMP_HEADER]);
    expect(post.headers[SIGNATURE_HEADER]).toBe(signBody(signingSecret!, timestamp, post.body));
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const payload = JSON.parse(post.body) as { kind: string; events: { id: number; severity: string }[] };
    expect(payload.kind).toBe('alert');
    expect(payload.events.map((e) => e.id)).toEqual([critical.id]);

    const held = await t.pool.query<{ disposition: string }>(
      'SELECT disposition FROM notification_matches WHERE channel_id = $1 AND event_id = $2',
      [quiet.id, warning.id],
    );
    expect(held.rows[0]?.disposition).toBe('held');
    expect((await deliveries(quiet.id)).filter((d) => d.kind === 'alert')).toHaveLength(1);

    // The digest time comes round: the held warning is in it.
    await t.pool.query(
      `UPDATE notification_channels SET last_digest_at = now() - interval '2 days' WHERE id = $1`,
      [quiet.id],
    );
    const digest = await until('the digest', async () =>
      postsTo(hookPath).find((p) => p.body.includes('"kind":"digest"')),
    );
    const digestBody = JSON.parse(digest.body) as { raised: { id: number; disposition: string }[] };
    expect(digestBody.raised).toContainEqual(
      expect.objectContaining({ id: warning.id, disposition: 'held' }),
    );
    expect(digest.headers[SIGNATURE_HEADER]).toBe(
      signBody(signingSecret!, String(digest.headers[TIMESTAMP_HEADER]), digest.body),
    );
  });

  it('retries a peer that answers 500 with backoff, and gives up on one that hangs after the timeout', async () => {
    const flakyPath = `/hook/${unique('flaky')}`;
    peer.set(flakyPath, { failTimes: 2 });
    const flaky = await channel({ kind: 'webhook', url: `${peer.url}${flakyPath}` });
    await disconnect(await device(), 'error');
    const sent = await until('the third attempt', async () => {
      const row = (await deliveries(flaky.channel.id))[0];
      return row?.status === 'sent' ? row : undefined;
    });
    expect(sent.attempts).toBe(3);
    expect(sent.last_result).toBe('200');
    const times = postsTo(flakyPath).map((p) => p.at);
    expect(times).toHaveLength(3);
    // Backoff: the waits between attempts are at least the first retry delay (1 s).
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(900);

    const hangPath = `/hook/${unique('hang')}`;
    peer.set(hangPath, 'hang');
    const hanging = await channel({ kind: 'webhook', url: `${peer.url}${hangPath}` });
    await disconnect(await device(), 'error');
    const failed = await until(
      'the hanging delivery given up',
      async () => {
        const row = (await deliveries(hanging.channel.id))[0];
        return row?.status === 'failed' ? row : undefined;
      },
      { timeoutMs: 40_000 },
    );
    expect(failed.attempts).toBe(3);
    expect(failed.last_result).toBe('timeout after 1500 ms');
  }, 60_000);

  it('a channel that keeps failing raises one event, not one per message, and one when it recovers', async () => {
    const downPath = `/hook/${unique('down')}`;
    peer.set(downPath, 'fail');
    const down = await channel({ kind: 'webhook', url: `${peer.url}${downPath}` });
    for (let i = 0; i < 3; i++) await disconnect(await device(), 'error');
    await until(
      'every delivery failed',
      async () => {
        const rows = await deliveries(down.channel.id);
        return rows.length === 3 && rows.every((r) => r.status === 'failed') ? true : undefined;
      },
      { timeoutMs: 40_000 },
    );
    const failing = await t.pool.query<{ message: string; context: Record<string, unknown> }>(
      `SELECT message, context FROM system_events
       WHERE event_type = 'notification_channel_failing' AND context->>'channelId' = $1`,
      [down.channel.id],
    );
    expect(failing.rows).toHaveLength(1);
    expect(failing.rows[0]!.message).toContain(down.channel.name);

    peer.set(downPath, 'ok');
    const test = await sendTest({ db: t.db, vault, logger, actor: 'tester' }, down.channel.name);
    expect(test).toMatchObject({ kind: 'test', status: 'sent', lastResult: '200', attempts: 1 });
    const recovered = await t.pool.query(
      `SELECT id FROM system_events
       WHERE event_type = 'notification_channel_recovered' AND context->>'channelId' = $1`,
      [down.channel.id],
    );
    expect(recovered.rows).toHaveLength(1);
    const closed = await t.pool.query<{ resolved: boolean; resolved_by: string }>(
      `SELECT resolved, resolved_by FROM system_events
       WHERE event_type = 'notification_channel_failing' AND context->>'channelId' = $1`,
      [down.channel.id],
    );
    expect(closed.rows).toEqual([{ resolved: true, resolved_by: 'auto' }]);
    const status = await t.pool.query<{ failing_since: Date | null; consecutive_failures: number }>(
      'SELECT failing_since, consecutive_failures FROM notification_channels WHERE id = $1',
      [down.channel.id],
    );
    expect(status.rows[0]).toEqual({ failing_since: null, consecutive_failures: 0 });
  }, 60_000);

  it('a restarted dispatcher neither loses nor repeats events', async () => {
    const hookPath = `/hook/${unique('restart')}`;
    const hook = await channel({ kind: 'webhook', url: `${peer.url}${hookPath}` });
    await disconnect(await device(), 'error');
    await until('the first alert', async () => postsTo(hookPath)[0]);

    await worker!.stop();
    worker = undefined;
    const whileDown = [];
    for (let i = 0; i < 3; i++) whileDown.push((await disconnect(await device(), 'error')).id);
    await startWorker();

    await until('the events recorded while it was down', async () =>
      postsTo(hookPath).length === 4 ? true : undefined,
    );
    const sentIds = postsTo(hookPath).flatMap((p) =>
      (JSON.parse(p.body) as { events: { id: number }[] }).events.map((e) => e.id),
    );
    expect(new Set(sentIds).size).toBe(4);
    expect(sentIds.slice(1).sort()).toEqual([...whileDown].sort());
    // Reading again finds nothing new, and nothing is sent twice.
    expect(await dispatchBatch(t.db, { enqueue: async () => undefined })).toEqual({ read: 0, more: false });
    expect((await deliveries(hook.channel.id)).filter((d) => d.kind === 'alert')).toHaveLength(4);
  }, 60_000);

  it('sends post lifecycle events to a webhook by type, filtered by the niche of their account or content', async () => {
    const hookPath = `/hook/${unique('lifecycle')}`;
    const added = await addChannel(deps(), {
      name: unique('lifecycle'),
      kind: 'webhook',
      url: `${peer.url}${hookPath}`,
    });
    await addRule(deps(), {
      channel: added.channel.name,
      minSeverity: 'info',
      eventTypes: ['post_published', 'post_failed', 'content_awaiting_review'],
      niches: ['motivation'],
    });
    const niche = async (slug: string) =>
      (await t.pool.query<{ id: string }>('SELECT id FROM niches WHERE slug = $1', [slug])).rows[0]!.id;
    const mine = String((await factories.account(t.pool, { niche_id: await niche('motivation') })).id);
    const other = String((await factories.account(t.pool, { niche_id: await niche('true_crime') })).id);
    const piece = String((await factories.content(t.pool, { niche_id: await niche('motivation') })).id);
    const record = (eventType: string, values: { accountId?: string; context?: Record<string, unknown> }) =>
      recordEvent(t.db, {
        category: 'content',
        severity: 'info',
        eventType,
        message: `${eventType} happened`,
        ...values,
      });
    const published = await record('post_published', { accountId: mine });
    await record('post_published', { accountId: other });
    await record('post_scheduled', { accountId: mine });
    const awaiting = await record('content_awaiting_review', { context: { contentId: piece } });

    await until('both matching events delivered', async () =>
      postsTo(hookPath).length >= 2 ? true : undefined,
    );
    const ids = postsTo(hookPath).map(
      (p) => (JSON.parse(p.body) as { events: { id: number }[] }).events[0]!.id,
    );
    expect(ids.sort()).toEqual([published.id, awaiting.id].sort());
    // The events after them are dispatched too, so nothing else is on its way.
    await until('the dispatcher past them', async () => {
      const { rows } = await t.pool.query<{ last_event_id: number }>(
        'SELECT last_event_id FROM notification_dispatch_state',
      );
      return Number(rows[0]!.last_event_id) >= awaiting.id ? true : undefined;
    });
    expect(postsTo(hookPath)).toHaveLength(2);
  });

  it('keeps channel secrets out of logs, events, job payloads, the delivery log and what the service returns', async () => {
    const secretPath = `/hook/${canary('webhook-url')}`;
    peer.set(secretPath, 'fail');
    const added = await channel({ kind: 'webhook', url: `${peer.url}${secretPath}` });
    expect(findCanaries(JSON.stringify(added.channel))).toEqual([]);
    await disconnect(await device(), 'error');
    await until('a failed attempt', async () =>
      ((await deliveries(added.channel.id))[0]?.attempts ?? 0) > 0 ? true : undefined,
    );
    const text = [
      logged,
      JSON.stringify((await t.pool.query('SELECT * FROM notification_deliveries')).rows),
      JSON.stringify((await t.pool.query('SELECT data, output FROM pgboss.job')).rows),
      JSON.stringify((await t.pool.query('SELECT * FROM audit_log')).rows),
      JSON.stringify(
        (await t.pool.query('SELECT email, last_delivery_status FROM notification_channels')).rows,
      ),
    ].join('\n');
    expect(findCanaries(text)).toEqual([]);
    // The sealed URL is still what a delivery uses.
    expect(postsTo(secretPath).length).toBeGreaterThan(0);
  });
});
