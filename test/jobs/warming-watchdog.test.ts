// Jobs that fail for good: the dead-letter handler closes their session, and the watchdog frees the device
// key a failed job would otherwise hold forever under key_strict_fifo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { createDevice } from '../../src/devices/devices-service.ts';
import { queues } from '../../src/jobs/job-engine.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { ensureSessionQueues, unblockDevices } from '../../src/jobs/warming-worker.ts';
import { abandonSession } from '../../src/warming/session-recovery.ts';
import { defaultWarmingPolicy } from '../../src/warming/warming-policy.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
let database: Database;
let boss: PgBoss;

beforeAll(async () => {
  const config = loadConfig({ DATABASE_URL: t.url, SOVI_JOB_POOL_MAX: '2' });
  database = await openDatabase(config, quietLogger, { applicationName: 'watchdog test' });
  await prepareDatabase(database, config, quietLogger);
  boss = createBoss(database.connection, config.scheduler, quietLogger, {
    migrate: false,
    background: false,
  });
  await boss.start();
  await ensureSessionQueues(boss, 'wd', config, defaultWarmingPolicy);
});
afterAll(async () => {
  await boss.stop({ graceful: false, close: true });
  await database.close();
});

describe('the watchdog', () => {
  it('removes a failed job that holds a device, closes its session, and lets the next one through', async () => {
    const device = await createDevice(t.db, {
      name: 'wd-phone',
      udid: 'wd-phone',
      host: 'wd',
      status: 'active',
    });
    const account = await factories.account(t.pool, { device_id: device.id });
    const queue = queues.session('wd');
    const first = {
      sessionKey: '018f0000-0000-7000-8000-000000000001',
      accountId: String(account.id),
      deviceId: device.id,
    };
    const second = {
      sessionKey: '018f0000-0000-7000-8000-000000000002',
      accountId: String(account.id),
      deviceId: device.id,
    };
    await t.pool.query(
      `INSERT INTO warming_queue (session_key, account_id, device_id, host) VALUES ($1, $2, $3, 'wd')`,
      [first.sessionKey, account.id, device.id],
    );
    await boss.insert(queue, [
      { id: first.sessionKey, data: first, singletonKey: device.id, retryLimit: 0 },
      { id: second.sessionKey, data: second, singletonKey: device.id },
    ]);
    const [job] = await boss.fetch(queue);
    expect(job?.id).toBe(first.sessionKey);
    await boss.fail(queue, job!.id, { message: 'worker died on every attempt' });
    // Failed for good: the device's key is blocked, and the next session cannot be fetched.
    expect(await boss.getBlockedKeys(queue)).toContain(device.id);
    expect(await boss.fetch(queue)).toEqual([]);

    expect(await unblockDevices(boss, database, quietLogger)).toBe(1);
    expect(await boss.getBlockedKeys(queue)).not.toContain(device.id);
    expect((await boss.fetch(queue))[0]?.id).toBe(second.sessionKey);
    const { rows } = await t.pool.query(
      `SELECT event_type, severity FROM system_events WHERE device_id = $1 ORDER BY id`,
      [device.id],
    );
    expect(rows.map((r) => r.event_type)).toEqual(['session_abandoned', 'device_queue_unblocked']);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM warming_queue')).rows[0].n).toBe(0);
  });

  it('closes a dead-lettered session that had started, once', async () => {
    const device = await createDevice(t.db, {
      name: 'dl-phone',
      udid: 'dl-phone',
      host: 'wd',
      status: 'active',
    });
    const account = await factories.account(t.pool, { device_id: device.id });
    const job = {
      sessionKey: '018f0000-0000-7000-8000-0000000000aa',
      accountId: String(account.id),
      deviceId: device.id,
    };
    await t.pool.query(
      `INSERT INTO warming_progress (session_key, account_id, device_id, platform, warming_phase, warming_day)
       VALUES ($1, $2, $3, 'tiktok', 1, 1)`,
      [job.sessionKey, account.id, device.id],
    );
    await t.pool.query(
      `UPDATE devices SET current_session_key = $1, session_lease_until = now() + interval '1 hour' WHERE id = $2`,
      [job.sessionKey, device.id],
    );
    await abandonSession(database.db, quietLogger, job);
    await abandonSession(database.db, quietLogger, job);
    const { rows } = await t.pool.query(
      `SELECT w.session_data->>'outcome' AS outcome, w.completed_at IS NOT NULL AS done, d.current_session_key,
              (SELECT count(*)::int FROM system_events WHERE account_id = $2 AND event_type = 'session_abandoned') AS events
       FROM warming_progress w JOIN devices d ON d.id = w.device_id WHERE w.session_key = $1`,
      [job.sessionKey, account.id],
    );
    expect(rows[0]).toEqual({ outcome: 'abandoned', done: true, current_session_key: null, events: 1 });
  });
});
