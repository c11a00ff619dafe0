// `sovi maintenance run [--dry-run]` and `sovi maintenance partitions`, run in-process through commander.
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerMaintenanceCommands } from '../../src/cli/maintenance-commands.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

beforeAll(() => {
  process.env.DATABASE_URL = t.url;
  process.env.SOVI_LOG_LEVEL = 'silent';
});

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

    const dry = await sovi('maintenance', 'run', '--dry-run');
    expect(dry).toContain('dry run: nothing was changed');
    expect(dry).toMatch(new RegExp(`partitions to drop\\s+${stale}\n`));
    expect(dry).toMatch(/partitions to create\s+none\n/);
    expect(dry).toMatch(/raw snapshots\s+kept: no retention configured/);
    expect((await t.pool.query('SELECT to_regclass($1) AS t', [stale])).rows[0].t).not.toBeNull();

    const done = await sovi('maintenance', 'run');
    expect(done).toMatch(new RegExp(`partitions dropped\\s+${stale}\n`));
    expect(done).toMatch(/retention\s+180 days: activity from before \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ goes/);
    expect(done).toMatch(/default partition\s+0 old row\(s\) deleted/);
    expect((await t.pool.query('SELECT to_regclass($1) AS t', [stale])).rows[0].t).toBeNull();

    const again = JSON.parse(await sovi('maintenance', 'run', '--json'));
    expect(again).toMatchObject({
      partitions: { created: [], dropped: [], defaultRowsDeleted: 0, dryRun: false, skipped: false },
      snapshots: { skipped: 'disabled' },
    });
  });
});
