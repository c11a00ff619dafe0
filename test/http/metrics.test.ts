// /metrics: Prometheus's text format, with request latency, job queue depth, the last hour's warming
// sessions by outcome and devices by status; a token unless configured otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createBoss, installJobSchema } from '../../src/db/job-engine.ts';
import { factories } from '../helpers/factories.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

describe('/metrics', () => {
  it('wants a token by default (a read-only one will do)', async () => {
    expect((await api.app.inject('/metrics')).statusCode).toBe(401);
    const scrape = await api.app.inject({ url: '/metrics', headers: bearer(api.reader.secret) });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('exposes latency, queue depth, sessions by outcome and devices by status', async () => {
    const scheduler = loadConfig({}).scheduler;
    await installJobSchema({ url: t.url }, scheduler, quietLogger);
    const boss = createBoss({ url: t.url }, scheduler, quietLogger, {
      migrate: false,
      background: false,
      maxConnections: 2,
    });
    await boss.start();
    try {
      await boss.createQueue('metrics-probe');
      await boss.send('metrics-probe', {});
      await boss.send('metrics-probe', {});
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
    await factories.device(t.pool, { status: 'active' });
    await factories.device(t.pool, { status: 'maintenance' });
    const now = new Date();
    for (const outcome of ['success', 'success', 'login_failed']) {
      await factories.warmingSession(t.pool, {
        started_at: new Date(now.getTime() - 60_000),
        completed_at: now,
        session_data: JSON.stringify({ outcome }),
      });
    }
    await factories.warmingSession(t.pool, {
      started_at: new Date(now.getTime() - 3 * 3_600_000),
      completed_at: new Date(now.getTime() - 2 * 3_600_000),
      session_data: JSON.stringify({ outcome: 'error' }),
    });
    await api.app.inject({ url: '/api/v1/devices', headers: bearer(api.admin.secret) });

    const text = (await api.app.inject({ url: '/metrics', headers: bearer(api.admin.secret) })).body;
    for (const name of [
      'sovi_http_request_duration_seconds',
      'sovi_job_queue_depth',
      'sovi_warming_sessions_last_hour',
      'sovi_devices',
      'sovi_metrics_database_up',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(
      /sovi_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/devices",status_code="200"\} [1-9]/,
    );
    expect(text).toContain('sovi_job_queue_depth{queue="metrics-probe",state="created"} 2');
    expect(text).toContain('sovi_warming_sessions_last_hour{outcome="success"} 2');
    expect(text).toContain('sovi_warming_sessions_last_hour{outcome="login_failed"} 1');
    expect(text).not.toContain('outcome="error"');
    expect(text).toContain('sovi_devices{status="active"} 1');
    expect(text).toContain('sovi_devices{status="maintenance"} 1');
    expect(text).toContain('sovi_devices{status="failed"} 0');
    expect(text).toContain('sovi_metrics_database_up 1');
  });

  it('is open when SOVI_METRICS_TOKEN_REQUIRED is false', async () => {
    const open = await startTestApp(t, { api: { metricsTokenRequired: false } });
    try {
      const scrape = await open.app.inject('/metrics');
      expect(scrape.statusCode).toBe(200);
      expect(scrape.body).toContain('sovi_devices');
    } finally {
      await open.close();
    }
  });
});
