// The schedule from the command line: the policy in force, the status of the queue, planning on demand,
// and a worker that refuses a database nobody migrated.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { createDatabase, dropDatabase, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: t.url,
  SOVI_HOST_NAME: 'clihost',
  ...extra,
});

describe('sovi schedule', { timeout: cliTestTimeout(5) }, () => {
  it('prints the policy in force, defaults overridden by a file', async () => {
    const defaults = await runSovi(['schedule', 'policy'], env());
    expect(defaults.stdout).toMatch(/source\s+defaults/);
    expect(defaults.stdout).toMatch(/warming_p1\s+2\s+240 min\s+3/);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-policy-'));
    const file = path.join(dir, 'policy.json');
    await fs.writeFile(file, JSON.stringify({ warming_p1: { days: 5, sessionsPerDay: 4 } }));
    const custom = JSON.parse(
      (await runSovi(['schedule', 'policy', '--json'], env({ SOVI_WARMING_POLICY_FILE: file }))).stdout,
    );
    expect(custom.warming_p1).toEqual({ sessionsPerDay: 4, minGapMinutes: 240, days: 5 });
    await fs.writeFile(file, '{"warming_p1": {"days": "three"}}');
    const bad = await runSovi(['schedule', 'policy'], env({ SOVI_WARMING_POLICY_FILE: file }));
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/SOVI_WARMING_POLICY_FILE .*warming_p1\.days/);
  });

  it('plans on demand and shows due accounts, the next in order, and each device queue', async () => {
    expect((await runSovi(['migrate'], env())).code).toBe(0);
    await runSovi(
      ['devices', 'add', '--name', 'cli-phone', '--udid', 'cli-phone', '--status', 'active'],
      env(),
    );
    const never = await factories.account(t.pool, { username: 'never_warmed' });
    await factories.account(t.pool, {
      username: 'warmed_long_ago',
      current_state: 'active',
      last_warmed_at: '2026-01-01T00:00:00Z',
    });
    await factories.account(t.pool, {
      username: 'just_warmed',
      current_state: 'active',
      last_warmed_at: new Date(),
    });

    const before = JSON.parse((await runSovi(['schedule', 'status', '--json'], env())).stdout);
    expect(before.dueAccounts).toBe(2);
    expect(before.next.map((a: { username: string }) => a.username)).toEqual([
      'never_warmed',
      'warmed_long_ago',
    ]);

    const plan = await runSovi(['schedule', 'plan'], env());
    expect(plan.stdout).toMatch(/planned 2 session\(s\) on clihost \(2 newly assigned/);
    const text = await runSovi(['schedule', 'status'], env());
    expect(text.stdout).toMatch(/due now\s+2 account\(s\); 2 session\(s\) queued or running/);
    expect(text.stdout).toMatch(/cli-phone\s+clihost\s+active\s+2/);
    expect(text.stdout).toMatch(/1\s+tiktok:never_warmed\s+created\s+never\s+cli-phone\s+yes/);
    expect(never.id).toBeDefined();
  });
});

describe('sovi worker', () => {
  it('refuses to run on a database that has not been migrated', async () => {
    const empty = await createDatabase({ template: false });
    try {
      const result = await runSovi(['worker'], { DATABASE_URL: empty.url });
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(
        /the database is not ready \(\d+ migration\(s\) pending, job engine not installed\): run `sovi migrate`/,
      );
    } finally {
      await dropDatabase(empty.name);
    }
  });
});
