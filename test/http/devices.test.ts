// The fleet over HTTP: list with filters and pages, show, create, update, remove, check one phone now;
// mistakes are 4xx that name what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';
import { startFakeWda } from '../../src/devices/fake-wda-server.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

describe('devices', () => {
  it('are created (disconnected by default, on the server’s host), shown and listed with health fields', async () => {
    const created = await api.call('POST', '/api/v1/devices', {
      name: 'http-phone-1',
      udid: 'http-udid-1',
      model: 'iPhone 13',
      wdaPort: 8101,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      name: 'http-phone-1',
      udid: 'http-udid-1',
      host: 'api-test-host',
      status: 'disconnected',
      wdaPort: 8101,
      batteryLevel: null,
      storageFreeGb: null,
      healthFailures: 0,
      sessionFailures: 0,
      lastSeenAt: null,
      connectedSince: null,
    });

    for (const ref of [created.json().id, 'http-udid-1', 'http-phone-1']) {
      const shown = await api.call('GET', `/api/v1/devices/${ref}`);
      expect(shown.statusCode).toBe(200);
      expect(shown.json()).toMatchObject({
        device: { id: created.json().id },
        assignedAccounts: 0,
        recentEvents: [],
      });
    }
  });

  it('carry when the battery was read and why it could not be read now', async () => {
    const created = await api.call('POST', '/api/v1/devices', {
      name: `age-${Date.now()}`,
      udid: `age-${Date.now()}`,
    });
    const id = created.json<{ id: string }>().id;
    expect(created.json()).toMatchObject({
      batteryLevel: null,
      batteryReadAt: null,
      batteryUnknownReason: null,
    });
    const updated = await api.call('PATCH', `/api/v1/devices/${id}`, { batteryLevel: 40 });
    expect(updated.statusCode, updated.body).toBe(200);
    const body = updated.json<{ batteryLevel: number; batteryReadAt: string }>();
    expect(body.batteryLevel).toBe(40);
    expect(Date.now() - Date.parse(body.batteryReadAt)).toBeLessThan(60_000);
    await t.pool.query(`UPDATE devices SET battery_unknown_reason = 'no session' WHERE id = $1`, [id]);
    expect((await api.call('GET', `/api/v1/devices/${id}`)).json()).toMatchObject({
      device: { batteryUnknownReason: 'no session' },
    });
  });

  it('are updated, and null clears a value', async () => {
    await api.call('POST', '/api/v1/devices', { name: 'http-phone-2', udid: 'http-udid-2', wdaPort: 8102 });
    const updated = await api.call('PATCH', '/api/v1/devices/http-phone-2', {
      status: 'active',
      batteryLevel: 55,
      storageFreeGb: 12.5,
      model: 'iPhone 15',
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ status: 'active', batteryLevel: 55, storageFreeGb: 12.5 });
    const cleared = await api.call('PATCH', '/api/v1/devices/http-phone-2', {
      wdaPort: null,
      batteryLevel: null,
    });
    expect(cleared.json()).toMatchObject({ wdaPort: null, batteryLevel: null, model: 'iPhone 15' });
  });

  it('are listed by name in keyset pages, filtered by status and host', async () => {
    for (let i = 0; i < 5; i++) {
      await factories.device(t.pool, {
        name: `page-phone-${i}`,
        udid: `page-udid-${i}`,
        host: 'rack-b',
        status: i % 2 ? 'maintenance' : 'active',
      });
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await api.call(
        'GET',
        `/api/v1/devices?host=rack-b&limit=2${after ? `&after=${after}` : ''}`,
      );
      expect(page.statusCode, page.body).toBe(200);
      const body = page.json<{ devices: { name: string }[]; nextCursor: string | null }>();
      expect(body.devices.length).toBeLessThanOrEqual(2);
      seen.push(...body.devices.map((d) => d.name));
      after = body.nextCursor;
    } while (after);
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `page-phone-${i}`));

    const maintenance = await api.call('GET', '/api/v1/devices?host=rack-b&status=maintenance');
    expect(maintenance.json().devices.map((d: { name: string }) => d.name)).toEqual([
      'page-phone-1',
      'page-phone-3',
    ]);
  });

  it('are removed; one with accounts only with force=true, which unassigns them', async () => {
    const device = await factories.device(t.pool, { name: 'busy-phone', udid: 'busy-udid' });
    await factories.account(t.pool, { device_id: device.id });
    const refused = await api.call('DELETE', '/api/v1/devices/busy-phone');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/1 account/),
    });
    const forced = await api.call('DELETE', '/api/v1/devices/busy-phone?force=true');
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toMatchObject({ device: { name: 'busy-phone' }, unassignedAccounts: 1 });
    expect((await api.call('GET', '/api/v1/devices/busy-phone')).statusCode).toBe(404);
  });
});

describe('device mistakes', () => {
  it('unknown fields and wrong types are a 400 naming each field', async () => {
    const response = await api.call('POST', '/api/v1/devices', {
      name: 42,
      udid: 'x',
      wdaPort: 'eighty',
      colour: 'blue',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_input');
    expect(fieldsOf(response).sort()).toEqual(['body.colour', 'body.name', 'body.wdaPort']);
    expect(response.json().error.message).toMatch(/body\.colour is not a known field/);

    const missing = await api.call('POST', '/api/v1/devices', { udid: 'only-udid' });
    expect(missing.json().error).toMatchObject({ field: 'body.name', message: 'body.name is required' });
    const noBody = await api.call('POST', '/api/v1/devices');
    expect(noBody.json().error).toMatchObject({ field: 'body', message: 'body is required' });
    const range = await api.call('PATCH', '/api/v1/devices/http-phone-1', { batteryLevel: 101 });
    expect(fieldsOf(range)).toEqual(['body.batteryLevel']);
    const query = await api.call('GET', '/api/v1/devices?status=broken&page=2');
    expect(fieldsOf(query).sort()).toEqual(['querystring.page', 'querystring.status']);
    const nothing = await api.call('PATCH', '/api/v1/devices/http-phone-1', {});
    expect(nothing.statusCode).toBe(400);
    const badCursor = await api.call('GET', '/api/v1/devices?after=nonsense');
    expect(badCursor.json().error.field).toBe('after');
  });

  it('a missing device is a 404', async () => {
    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', { status: 'active' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await api.call(method, '/api/v1/devices/no-such-phone', payload);
      expect(response.statusCode, method).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }
  });

  it('a taken udid or name is a 409', async () => {
    await api.call('POST', '/api/v1/devices', { name: 'dup-phone', udid: 'dup-udid' });
    const udid = await api.call('POST', '/api/v1/devices', { name: 'another', udid: 'dup-udid' });
    expect(udid.statusCode).toBe(409);
    expect(udid.json().error).toMatchObject({ code: 'conflict', field: 'udid' });
    const name = await api.call('POST', '/api/v1/devices', { name: 'dup-phone', udid: 'fresh-udid' });
    expect(name.statusCode).toBe(409);
    expect(name.json().error.field).toBe('name');
  });
});

describe('checking a device now', () => {
  it('one phone is checked now: its WebDriverAgent and battery, with what changed', async () => {
    const wda = await startFakeWda({ battery: 0.64, sessionId: 'wda-session-1' });
    try {
      const created = await api.call('POST', '/api/v1/devices', {
        name: 'check-phone',
        udid: 'check-udid',
        wdaPort: wda.port,
        storageFreeGb: 30,
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json().storageFreeGb).toBe(30);
      const checked = await api.call('POST', '/api/v1/devices/check-phone/check');
      expect(checked.statusCode, checked.body).toBe(200);
      expect(checked.json()).toMatchObject({
        name: 'check-phone',
        before: 'disconnected',
        after: 'active',
        outcome: 'healthy',
        reason: null,
        batteryLevel: 64,
      });
      expect(wda.requests()).toContain('GET /status');
      const shown = await api.call('GET', '/api/v1/devices/check-phone');
      expect(shown.json().device).toMatchObject({ status: 'active', batteryLevel: 64 });

      // In maintenance the check leaves it alone, and says why.
      await api.call('PATCH', '/api/v1/devices/check-phone', { status: 'maintenance' });
      const skipped = await api.call('POST', '/api/v1/devices/check-phone/check');
      expect(skipped.json()).toMatchObject({ outcome: 'skipped', reason: 'in maintenance' });

      // A read-only caller may not.
      const refused = await api.call(
        'POST',
        '/api/v1/devices/check-phone/check',
        undefined,
        api.reader.secret,
      );
      expect(refused.statusCode).toBe(403);
    } finally {
      await wda.close();
    }
  });

  it('a phone plugged into another machine is not checked from this one (409), an unknown one is a 404', async () => {
    await factories.device(t.pool, {
      name: 'far-phone',
      udid: 'far-udid',
      host: 'other-host',
      wda_port: 8100,
    });
    const far = await api.call('POST', '/api/v1/devices/far-phone/check');
    expect(far.statusCode).toBe(409);
    expect(far.json().error).toMatchObject({ field: 'host' });
    expect(far.json().error.message).toMatch(/plugged into other-host/);
    const missing = await api.call('POST', '/api/v1/devices/no-such-phone/check');
    expect(missing.statusCode).toBe(404);
  });
});
