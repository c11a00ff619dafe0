// The demo's data agrees with itself, raises no warning about itself, and a second run on its own home only
// points the phones at their new fake WebDriverAgents.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { stubMedia } from '../../src/content/stub-media.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { startDemoFleet, type DemoFleet } from '../../src/demo/demo-fleet.ts';
import { refuseRealData } from '../../src/demo/demo-guard.ts';
import { seedDemo } from '../../src/demo/seed-demo.ts';
import { startHealthMonitor } from '../../src/devices/health-monitor.ts';
import { dayCountAfter } from '../../src/warming/warming-policy.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
let home: string;
let config: Config;
let database: Database;
let fleet: DemoFleet;

async function seed(withFleet: DemoFleet): Promise<string> {
  await refuseRealData(database, withFleet.config.home);
  const { token } = await seedDemo({
    config: withFleet.config,
    database,
    logger: quietLogger,
    fleet: withFleet,
    policy: withFleet.policies.content,
    media: stubMedia(),
  });
  return token;
}

/** Two health rounds over the demo's phones, as the monitor runs them once sovi is up. */
async function healthRounds(withFleet: DemoFleet): Promise<void> {
  const monitor = startHealthMonitor({
    db: database.db,
    health: withFleet.config.health,
    logger: quietLogger,
    schedule: false,
    host: withFleet.config.host,
  });
  try {
    await monitor.runOnce();
    await monitor.runOnce();
  } finally {
    await monitor.stop();
  }
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-demo-test-'));
  config = loadConfig({ DATABASE_URL: t.url, SOVI_HOME: home, SOVI_HOST_NAME: 'demo-test-host' });
  database = await openDatabase(config, quietLogger, { applicationName: 'demo test' });
  // What `sovi up` does before the demo seeds: the migrations are there already, the job engine's schema not.
  await prepareDatabase(database, config, quietLogger);
  fleet = await startDemoFleet(config);
  await seed(fleet);
  await healthRounds(fleet);
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await database?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('the demo seed', () => {
  it('raises no warning or critical event about itself, and every phone answers its health check', async () => {
    const { rows: loud } = await t.pool.query<{ event_type: string; message: string }>(
      `SELECT event_type, message FROM system_events WHERE severity IN ('warning', 'critical')`,
    );
    expect(loud).toEqual([]);
    const { rows: phones } = await t.pool.query<{ name: string; status: string }>(
      'SELECT name, status FROM devices ORDER BY name',
    );
    expect(phones.length).toBe(6);
    for (const phone of phones) {
      expect(phone.status, phone.name).toBe(phone.name === 'demo-iphone-06' ? 'maintenance' : 'active');
    }
  });

  it('gives every piece shown complete its script and its video file', async () => {
    const { rows } = await t.pool.query<{ topic: string; script_json: unknown; output_path: string | null }>(
      `SELECT topic, script_json, output_path FROM content WHERE production_status = 'complete'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.script_json, row.topic).not.toBeNull();
      expect(row.output_path, row.topic).not.toBeNull();
      expect(fs.existsSync(row.output_path!), `${row.topic}: ${row.output_path}`).toBe(true);
      expect(row.output_path!.startsWith(path.join(config.demoHome, 'media'))).toBe(true);
    }
  });

  it("shows each account's last post as its latest seeded post", async () => {
    const { rows } = await t.pool.query<{ username: string; last: Date | null; latest: Date | null }>(
      `SELECT a.username, a.last_post_at AS last, max(d.posted_at) AS latest
       FROM accounts a LEFT JOIN distributions d ON d.account_id = a.id AND d.status = 'posted'
       GROUP BY a.id ORDER BY a.username`,
    );
    expect(rows.filter((r) => r.latest !== null).length).toBeGreaterThan(0);
    for (const row of rows) expect(row.last, row.username).toEqual(row.latest);
  });

  it('gives each account one warming day per UTC day, advancing to its day count', async () => {
    const { rows: accounts } = await t.pool.query<{
      id: string;
      username: string;
      warming_day_count: number;
      last_warmed_at: Date | null;
    }>('SELECT id, username, warming_day_count, last_warmed_at FROM accounts');
    const now = new Date();
    for (const account of accounts) {
      const { rows: sessions } = await t.pool.query<{ day: number; started: Date; completed: Date }>(
        `SELECT warming_day AS day, started_at AS started, completed_at AS completed FROM warming_progress
         WHERE account_id = $1 ORDER BY started_at`,
        [account.id],
      );
      expect(
        sessions.map((s) => s.day),
        account.username,
      ).toEqual(Array.from({ length: account.warming_day_count }, (_, i) => i + 1));
      const days = new Set(sessions.map((s) => s.started.toISOString().slice(0, 10)));
      expect(days.size, account.username).toBe(sessions.length);
      if (sessions.length > 0) {
        expect(account.last_warmed_at, account.username).toEqual(sessions.at(-1)!.completed);
        // The next successful session counts one more day, not the same one again.
        expect(dayCountAfter(account.last_warmed_at, account.warming_day_count, now)).toBe(
          account.warming_day_count + 1,
        );
      }
    }
  });

  it('runs again on its own home: same rows, phones pointed at their new ports, no warning', async () => {
    const count = async () =>
      (
        await t.pool.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM devices) || '/' || (SELECT count(*) FROM accounts) || '/' ||
                  (SELECT count(*) FROM content) || '/' || (SELECT count(*) FROM distributions) AS n`,
        )
      ).rows[0]!.n;
    const before = await count();
    const again = await startDemoFleet(config);
    try {
      const token = await seed(again);
      expect(token).toMatch(/^sovi_/);
      expect(await count()).toBe(before);
      const { rows } = await t.pool.query<{ name: string; wda_port: number }>(
        'SELECT name, wda_port FROM devices',
      );
      for (const row of rows) expect(row.wda_port, row.name).toBe(again.ports.get(row.name));
      await healthRounds(again);
      const { rows: loud } = await t.pool.query(
        `SELECT event_type FROM system_events WHERE severity IN ('warning', 'critical')`,
      );
      expect(loud).toEqual([]);
      const { rows: tokens } = await t.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM api_tokens WHERE name = 'demo' AND revoked_at IS NULL`,
      );
      expect(tokens[0]!.n).toBe(1);
    } finally {
      await again.stop();
    }
  });

  it('refuses the same database once it holds a row the demo did not make', async () => {
    await factories.account(t.pool, { username: 'alice' });
    await expect(refuseRealData(database, home)).rejects.toThrow(/1 accounts \(alice\)/);
  });
});
