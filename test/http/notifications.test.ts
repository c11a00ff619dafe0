// /api/v1/notifications: channels whose secrets go in and never come out (the signing secret once), bad
// input named by field, a test send with the peer's answer, and the delivery log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/notifications/channel-senders.ts';
import { canary, findCanaries } from '../helpers/canary.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startHttpPeer, type HttpPeer } from '../notifications/peers.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
let receiver: HttpPeer;

beforeAll(async () => {
  api = await startTestApp(t);
  receiver = await startHttpPeer();
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
});

describe('the notifications API', () => {
  it('takes a webhook URL in, answers the signing secret once, and never shows either again', async () => {
    const path = `/api-hook/${canary('api-webhook')}`;
    const created = await api.call('POST', '/api/v1/notifications/channels', {
      name: 'api-hook',
      kind: 'webhook',
      url: `${receiver.url}${path}`,
      timeZone: 'America/New_York',
      quietHours: { start: '22:00', end: '07:00' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { channel, signingSecret } = created.json<{ channel: { id: string }; signingSecret: string }>();
    expect(signingSecret).toMatch(/^[\w-]{43}$/);
    expect(findCanaries(created.body)).toEqual([]);

    const shown = await api.call('GET', `/api/v1/notifications/channels/${channel.id}`);
    expect(shown.json()).toMatchObject({
      name: 'api-hook',
      quietHours: { start: '22:00', end: '07:00' },
      secrets: { url: true, signingKey: true, smtpPassword: false },
    });
    expect(shown.body).not.toContain(signingSecret);

    const test = await api.call('POST', '/api/v1/notifications/channels/api-hook/test');
    expect(test.statusCode, test.body).toBe(200);
    expect(test.json()).toMatchObject({ kind: 'test', status: 'sent', lastResult: '200', attempts: 1 });
    const post = receiver.posts.find((p) => p.path === path)!;
    expect(post.headers[SIGNATURE_HEADER]).toBe(
      signBody(signingSecret, String(post.headers[TIMESTAMP_HEADER]), post.body),
    );

    const log = await api.call('GET', '/api/v1/notifications/deliveries?channel=api-hook&status=sent');
    expect(log.json<{ deliveries: unknown[] }>().deliveries).toHaveLength(1);

    const rotated = await api.call('PATCH', `/api/v1/notifications/channels/${channel.id}`, {
      rotateSigningSecret: true,
    });
    const next = rotated.json<{ signingSecret: string }>().signingSecret;
    expect(next).toMatch(/^[\w-]{43}$/);
    expect(next).not.toBe(signingSecret);

    const audit = await api.call('GET', `/api/v1/audit?target=${channel.id}`);
    expect(audit.body).toContain('"signingKey":"changed"');
    expect(findCanaries(`${audit.body}\n${api.log()}`)).toEqual([]);
    expect(api.log()).not.toContain(signingSecret);
  });

  it('names the field of bad input, without echoing a secret', async () => {
    const badZone = await api.call('POST', '/api/v1/notifications/channels', {
      name: 'bad-zone',
      kind: 'slack',
      url: 'http://127.0.0.1:9/x',
      timeZone: 'Mars/Olympus',
    });
    expect(badZone.statusCode).toBe(400);
    expect(badZone.json()).toMatchObject({ error: { field: 'timeZone' } });

    const secretUrl = `not a url ${canary('bad-url')}`;
    const badUrl = await api.call('POST', '/api/v1/notifications/channels', {
      name: 'bad-url',
      kind: 'slack',
      url: secretUrl,
    });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toMatchObject({ error: { field: 'url' } });
    expect(findCanaries(badUrl.body)).toEqual([]);

    const noTo = await api.call('POST', '/api/v1/notifications/channels', {
      name: 'mail',
      kind: 'email',
      email: { host: 'smtp.example.test', from: 'sovi@example.test', to: [] },
    });
    expect(noTo.statusCode).toBe(400);

    const rule = await api.call('POST', '/api/v1/notifications/rules', { channel: 'nobody' });
    expect(rule.statusCode).toBe(404);
    expect(rule.json()).toMatchObject({ error: { field: 'channel' } });
  });
});
