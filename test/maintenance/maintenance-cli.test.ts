// `sovi maintenance run [--dry-run]` and `sovi maintenance partitions`, run in-process through commander.
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerMaintenanceCommands } from '../../src/cli/maintenance-commands.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

beforeAll(() => {
  vi.stubEnv('DATABASE_URL', t.url);
  vi.stubEnv('SOVI_LOG_LEVEL', 'silent');
});
afterAll(() => vi.unstubAllEnvs());

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await t.pool.query('DELETE FROM system_events; DELETE FROM activity_log');
});

async function sovi(...args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const program = new Command('sovi').exitOverride();
  registerMaintenanceCommands(program.command('maintenance'));
  await program.parseAsync(args, { from: 'user' });
  vi.restoreAllMocks();
  expect(process.exitCode ?? 0).toBe(0);
  return out;
}

const monthName = (k: number) => {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 1));
  return `activity_log_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

describe('sovi maintenance', () => {
  it('partitions: lists each partition with its range, row estimate and size', async () => {
    const text = await sovi('maintenance', 'partitions');
    expect(text).toMatch(/^partition\s+from\s+to\s+rows \(est\.\)\s+size/);
    expect(text).toMatch(/activity_log_default\s+\(default\)/);
    const first = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
    expect(text).toContain(`${monthName(0)}  ${first.toISOString().slice(0, 10)} 00:00:00Z`);
    expect(text).toContain('kept: 2 month(s) ahead; dropped once a month ended over 180 days ago');

    const listed = JSON.parse(await sovi('maintenance', 'partitions', '--json'));
    expect(listed.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['activity_log_default', monthName(0), monthName(1), monthName(2)]),
    );
    expect(listed.find((p: { name: string }) => p.name === monthName(1))).toMatchObject({
      isDefault: false,
      totalBytes: expect.any(Number),
    });
  });

  it('run --dry-run: prints what would be dropped, and drops nothing; run: drops it', async () => {
    const now = new Date();
    await t.pool.query('SELECT activity_log_ensure_partitions(0, $1)', [
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 9, 10)),
    ]);
    const stale = monthName(-9);

    // A session that expired 40 days ago (past the month it is kept), one signed out yesterday, one live.
    const {
      rows: [user],
    } = await t.pool.query<{ id: string }>(
      `INSERT INTO users (name, password_hash, role) VALUES ($1, '$scrypt$test', 'viewer') RETURNING id`,
      [`maint-${Date.now()}`],
    );
    const session = (created: string, expires: string, ended: string | null) =>
      t.pool.query<{ id: string }>(
        `INSERT INTO sessions (secret_hash, user_id, created_at, expires_at, ended_at, ended_reason)
         VALUES (sha256(gen_random_uuid()::text::bytea), $1, now() - $2::interval, now() - $3::interval,
                 now() - $4::interval, CASE WHEN $4 IS NULL THEN NULL ELSE 'signed_out' END)
         RETURNING id`,
        [user!.id, created, expires, ended],
      );
    const old = (await session('50 days', '40 days', null)).rows[0]!.id;
    const recent = (await session('2 days', '-5 days', '1 day')).rows[0]!.id;
    const live = (await session('1 hour', '-12 hours', null)).rows[0]!.id;
    const sessionIds = async () =>
      (await t.pool.query<{ id: string }>('SELECT id FROM sessions WHERE user_id = $1', [user!.id])).rows
        .map((r) => r.id)
        .sort();

    const dry = await sovi('maintenance', 'run', '--dry-run');
    expect(dry).toMatch(/old sessions\s+1 to delete \(ended or expired over 30 days ago\)/);
    expect(await sessionIds()).toEqual([old, recent, live].sort());
    expect(dry).toContain('dry run: nothing was changed');
    expect(dry).toMatch(new RegExp(`partitions to drop\\s+${stale}\n`));
    expect(dry).toMatch(/partitions to create\s+none\n/);
    expect(dry).toMatch(/raw snapshots\s+kept: no retention configured/);
    expect((await t.pool.query('SELECT to_regclass($1) AS t', [stale])).rows[0].t).not.toBeNull();

    const done = await sovi('maintenance', 'run');
    expect(done).toMatch(new RegExp(`partitions dropped\\s+${stale}\n`));
    expect(done).toMatch(/retention\s+180 days: activity from before \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ goes/);
    expect(done).toMatch(/default partition\s+0 old row\(s\) deleted/);
    expect(done).toMatch(/old sessions\s+1 deleted/);
    expect(await sessionIds()).toEqual([recent, live].sort());
    expect((await t.pool.query('SELECT to_regclass($1) AS t', [stale])).rows[0].t).toBeNull();

    const again = JSON.parse(await sovi('maintenance', 'run', '--json'));
    expect(again).toMatchObject({
      partitions: { created: [], dropped: [], defaultRowsDeleted: 0, dryRun: false, skipped: false },
      sessions: { deleted: 0, olderThanDays: 30 },
      snapshots: { skipped: 'disabled' },
    });
  });
});
