// The audit trail as people read it: an edit made through the API shows in `sovi audit list --target` with
// each field before → after, and GET /api/v1/audit filters and pages the same records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../http/helpers.ts';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const sovi = (...args: string[]) =>
  runSovi(['audit', ...args], { DATABASE_URL: t.url, SOVI_ACTOR: 'cli-auditor' });

describe('sovi audit list', { timeout: cliTestTimeout(4) }, () => {
  it('shows the before and after of a device edit made through the API', async () => {
    const created = await api.call('POST', '/api/v1/devices', { name: 'audit-phone', udid: 'audit-udid-1' });
    expect(created.statusCode, created.body).toBe(201);
    const edited = await api.call('PATCH', '/api/v1/devices/audit-phone', {
      name: 'audit-phone-2',
      wdaPort: 8123,
      model: 'iPhone 15',
    });
    expect(edited.statusCode, edited.body).toBe(200);

    const listed = await sovi('list', '--target', 'audit-phone-2');
    expect(listed.code, listed.stderr).toBe(0);
    const [update, create] = listed.stdout.split(/\n(?=\d{4}-)/);
    expect(update).toContain(`token:${api.admin.name}  device.update  device audit-phone-2`);
    expect(update).toContain('name: audit-phone → audit-phone-2');
    expect(update).toContain('wdaPort: (none) → 8123');
    expect(update).toContain('model: (none) → iPhone 15');
    expect(update).not.toContain('status');
    expect(create).toContain('device.create  device audit-phone');

    const asJson = await sovi('list', '--target', created.json().id, '--action', 'device.update', '--json');
    expect(asJson.code, asJson.stderr).toBe(0);
    const page = JSON.parse(asJson.stdout) as { entries: { changes: unknown }[]; nextCursor: null };
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]?.changes).toEqual({
      name: { before: 'audit-phone', after: 'audit-phone-2' },
      model: { before: null, after: 'iPhone 15' },
      wdaPort: { before: null, after: 8123 },
    });
  });

  it('still finds a removed device by the name it had, and says so when nothing matches', async () => {
    await api.call('POST', '/api/v1/devices', { name: 'audit-gone', udid: 'audit-udid-gone' });
    expect((await api.call('DELETE', '/api/v1/devices/audit-gone')).statusCode).toBe(200);
    const listed = await sovi('list', '--target', 'audit-gone');
    expect(listed.code, listed.stderr).toBe(0);
    const [removal] = listed.stdout.split(/\n(?=\d{4}-)/);
    expect(removal).toContain('device.remove  device audit-gone');
    expect(removal).toContain('    name: audit-gone → (none)');
    expect(removal).toContain('    udid: audit-udid-gone → (none)');

    const none = await sovi('list', '--actor', 'nobody-at-all');
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('no changes match');
  });
});

describe('GET /api/v1/audit', () => {
  it('filters by actor, action, target and time, and pages newest first', async () => {
    for (let i = 0; i < 5; i++) {
      const made = await api.call('POST', '/api/v1/devices', { name: `paged-${i}`, udid: `paged-udid-${i}` });
      expect(made.statusCode, made.body).toBe(201);
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const query: string = `action=device.create&since=1h&limit=2${after ? `&after=${after}` : ''}`;
      const page = await api.call('GET', `/api/v1/audit?${query}`);
      expect(page.statusCode, page.body).toBe(200);
      const body = page.json<{ entries: { targetLabel: string }[]; nextCursor: string | null }>();
      expect(body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...body.entries.map((e) => e.targetLabel));
      after = body.nextCursor;
    } while (after !== null);
    const paged = seen.filter((l) => l.startsWith('paged-'));
    expect(paged).toEqual(['paged-4', 'paged-3', 'paged-2', 'paged-1', 'paged-0']);
    expect(new Set(seen).size).toBe(seen.length);

    const byTarget = await api.call('GET', '/api/v1/audit?target=paged-3');
    expect(byTarget.json().entries.map((e: { targetLabel: string }) => e.targetLabel)).toEqual(['paged-3']);
    const byActor = await api.call('GET', `/api/v1/audit?actor=token:${api.admin.name}&limit=1000`);
    expect(byActor.json().entries.length).toBeGreaterThanOrEqual(5);
    const byOther = await api.call('GET', '/api/v1/audit?actor=token:someone-else');
    expect(byOther.json()).toEqual({ entries: [], nextCursor: null });
    const future = await api.call('GET', '/api/v1/audit?since=2999-01-01T00:00:00Z');
    expect(future.json().entries).toEqual([]);
  });

  it('is readable with a read-only token, and names the field of a bad filter', async () => {
    const read = await api.call('GET', '/api/v1/audit', undefined, api.reader.secret);
    expect(read.statusCode).toBe(200);
    for (const [query, field] of [
      ['after=not-a-cursor', 'after'],
      ['limit=0', 'limit'],
      ['since=yesterday-ish', 'since'],
    ]) {
      const bad = await api.call('GET', `/api/v1/audit?${query}`);
      expect(bad.statusCode, query).toBe(400);
      expect(bad.body).toContain(field);
    }
  });
});
