// The settings the dashboard draws with: the configured low-battery and low-storage thresholds, so the
// devices page marks the same phones low as the health monitor does.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';
import { configWithHome } from './domain-app.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const extra = vi.hoisted(() => ({ deps: {} }));
vi.mock('../../src/http/routes/index.ts', async (original) =>
  (await import('./domain-app.ts')).withExtraDeps(await original(), () => extra.deps),
);

const t = useTestDatabase();
let api: TestApp;
let home: string;
beforeAll(async () => {
  const configured = await configWithHome({ SOVI_BATTERY_LOW_PERCENT: '35', SOVI_STORAGE_LOW_GB: '3.5' });
  home = configured.home;
  extra.deps = { config: configured.config };
  api = await startTestApp(t);
});
afterAll(async () => {
  await api.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('GET /api/v1/settings', () => {
  it('answers the configured low-battery and low-storage thresholds, to a read-only token too', async () => {
    const response = await api.app.inject({ url: '/api/v1/settings', headers: bearer(api.reader.secret) });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ health: { batteryLowPercent: 35, storageLowGb: 3.5 } });
  });

  it('wants a token', async () => {
    const response = await api.app.inject({ url: '/api/v1/settings' });
    expect(response.statusCode).toBe(401);
  });
});
