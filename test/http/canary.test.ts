// Plaintext canaries through the API: secrets given to it are sealed and never come back in a response
// body (reveal, the audited exception, aside) nor reach the server's log, even at debug level, even when a
// request that carries them is refused. (The test database is scanned for them when this file ends.)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/events/events-service.ts';
import { canary, canaryTotpSecret, findCanaries } from '../helpers/canary.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const secrets = () => ({
  email: `${canary('email')}@example.com`,
  password: canary('password'),
  totp_secret: canaryTotpSecret(),
  proxy_credentials: `user:${canary('proxy')}@proxy.example:8080`,
});

describe('plaintext canaries through the API', () => {
  it('never leave it except through reveal, and never reach its log', async () => {
    const bodies: { what: string; body: string }[] = [];
    const call = async (
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const response = await api.app.inject({
        method,
        url,
        headers: { ...bearer(api.admin.secret), ...headers },
        ...(payload === undefined ? {} : { payload: payload as string }),
      });
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(500);
      bodies.push({ what: `${method} ${url}`, body: response.body });
      return response;
    };

    await call('POST', '/api/v1/devices', { name: 'canary-phone', udid: 'canary-udid', status: 'active' });
    const created = await call('POST', '/api/v1/accounts', {
      platform: 'tiktok',
      username: 'canary_api',
      device: 'canary-phone',
      secrets: secrets(),
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    await call('POST', '/api/v1/accounts', {
      platform: 'instagram',
      username: 'canary_api_2',
      secrets: secrets(),
    });

    // Refused requests that carry secrets: a taken name, an unknown field, a bad TOTP secret, bad JSON, a
    // wrong type, a deleted account.
    expect(
      (
        await call('POST', '/api/v1/accounts', {
          platform: 'tiktok',
          username: 'canary_api',
          secrets: secrets(),
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await call('POST', '/api/v1/accounts', {
          platform: 'tiktok',
          username: 'canary_x',
          secrets: secrets(),
          pin: canary('pin'),
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await call('POST', '/api/v1/accounts', {
          platform: 'tiktok',
          username: 'canary_y',
          // '!' is never base32, whatever the canary's random part.
          secrets: { totp_secret: `${canary('bad-totp')}!` },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await call(
          'POST',
          '/api/v1/accounts',
          `{"platform":"tiktok","secrets":{"password":"${canary('password')}"`,
          {
            'content-type': 'application/json',
          },
        )
      ).statusCode,
    ).toBe(400);
    expect(
      (await call('PATCH', `/api/v1/accounts/${id}`, { secrets: { password: [canary('password')] } }))
        .statusCode,
    ).toBe(400);

    // Changes, transitions, and every read.
    await call('PATCH', `/api/v1/accounts/${id}`, {
      bio: 'changed',
      secrets: { password: canary('password') },
    });
    await call('POST', `/api/v1/accounts/${id}/state`, { state: 'warming_p1', reason: 'canary run' });
    await call('POST', `/api/v1/accounts/${id}/totp`);
    for (const url of [
      '/api/v1/accounts?limit=1000',
      `/api/v1/accounts/${id}`,
      '/api/v1/accounts/canary_api',
      '/api/v1/accounts?needsWarming=true',
      '/api/v1/events?limit=1000',
      '/api/v1/events?category=auth',
      '/api/v1/devices',
      '/api/v1/devices/canary-phone',
      '/api/v1/niches',
      '/api/v1/session',
      '/metrics',
      '/api/openapi.json',
    ]) {
      expect((await call('GET', url)).statusCode, url).toBe(200);
    }
    await call('DELETE', `/api/v1/accounts/canary_api_2?reason=canary`);
    expect((await call('PATCH', '/api/v1/accounts/canary_api_2', { secrets: secrets() })).statusCode).toBe(
      404,
    );

    for (const { what, body } of bodies) expect(findCanaries(body), what).toEqual([]);

    // The sanctioned way out, audited.
    const reveal = await call('POST', `/api/v1/accounts/${id}/reveal`);
    expect(findCanaries(reveal.body).length).toBeGreaterThan(0);

    expect(api.log()).toContain('/reveal'); // The log (at debug level) saw every request.
    expect(findCanaries(api.log())).toEqual([]);
  });

  it('never leave it through an agent tool (MCP over HTTP): every read tool, on accounts with secrets', async () => {
    const created = await api.call('POST', '/api/v1/accounts', {
      platform: 'tiktok',
      username: 'canary_mcp',
      device: 'canary-phone',
      secrets: secrets(),
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const base = new URL(await api.app.listen({ host: '127.0.0.1', port: 0 }));
    const client = new Client({ name: 'canary-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: bearer(api.admin.secret) },
      }),
    );
    const { id: eventId } = await recordEvent(t.db, {
      category: 'account',
      severity: 'warning',
      eventType: 'challenge',
      message: 'a challenge on canary_mcp',
      accountId: id,
    });
    const answers: string[] = [];
    for (const [name, args] of [
      ['get_account', { account: id }],
      ['get_account', { account: 'tiktok:canary_mcp' }],
      ['list_events', { account: id, includeResolved: true, limit: 200 }],
      ['get_event', { id: eventId }],
      ['get_device', { device: 'canary-phone' }],
      ['fleet_health', {}],
      ['schedule_status', { next: 100 }],
      ['list_distributions', { account: id }],
    ] as const) {
      const result = await client.callTool({ name, arguments: args });
      const text = (result.content as { text: string }[]).map((c) => c.text).join('\n');
      expect(result.isError, `${name}: ${text}`).not.toBe(true);
      answers.push(text);
    }
    await client.close();
    expect(answers.join('\n')).toContain('canary_mcp');
    expect(findCanaries(answers.join('\n'))).toEqual([]);
    expect(findCanaries(api.log())).toEqual([]);
  });
});
