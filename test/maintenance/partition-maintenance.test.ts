// activity_log keeps partitions made ahead, loses whole months once they are past retention (and old rows the
// default partition caught), says so in the event log, and is safe to maintain twice or from two hosts.
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { grantAppRole } from '../../src/db/migrations/grants.ts';
import { createDb } from '../../src/db/pool.ts';
import { SoviError } from '../../src/errors.ts';
import { maintainPartitions } from '../../src/maintenance/partition-maintenance.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const DAY = 86_400_000;
/** The first instant of the UTC month `k` months from `from`. */
const monthStart = (from: Date, k: number) =>
  new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + k, 1));
const partitionName = (d: Date) =>
  `activity_log_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

async function partitions(): Promise<string[]> {
  const { rows } = await t.pool.query<{ name: string }>(
    `SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'activity_log'::regclass ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Makes the partitions of the months `from` .. `from + monthsAhead`, as if maintenance had run back then. */
async function partitionsAt(from: Date, monthsAhead: number): Promise<void> {
  await t.pool.query('SELECT activity_log_ensure_partitions($1, $2)', [monthsAhead, from]);
}

async function log(at: Date, actionType: string): Promise<string> {
  const { rows } = await t.pool.query<{ part: string }>(
    `INSERT INTO activity_log ("timestamp", action_type) VALUES ($1, $2) RETURNING tableoid::regclass::text AS part`,
    [at, actionType],
  );
  return rows[0]!.part;
}

async function maintenanceEvents() {
  const { rows } = await t.pool.query(
    `SELECT category, severity, event_type, message, context, resolved FROM system_events
     WHERE event_type = 'activity_log_partitions_maintained' ORDER BY id`,
  );
  return rows;
}

afterEach(async () => {
  await t.pool.query('DELETE FROM system_events; DELETE FROM activity_log');
});

describe('activity_log partition maintenance', () => {
  it('creates the partitions of this month and the next two, once', async () => {
    // Two years ahead, where no partition exists yet; a long retention keeps today's partitions out of it.
    const now = new Date(Date.now() + 730 * DAY);
    const expected = [0, 1, 2].map((k) => partitionName(monthStart(now, k)));

    const first = await maintainPartitions(t.db, { now, retentionDays: 3650 });
    expect(first).toMatchObject({ created: expected, dropped: [], defaultRowsDeleted: 0, skipped: false });
    expect(await partitions()).toEqual(expect.arrayContaining(expected));
    expect(await log(new Date(monthStart(now, 2).getTime() + DAY), 'probe')).toBe(expected[2]);

    const events = await maintenanceEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      category: 'maintenance',
      severity: 'info',
      resolved: true,
      context: { created: expected, dropped: [], defaultRowsDeleted: 0, retentionDays: 3650, monthsAhead: 2 },
    });
    expect(events[0].message).toContain(expected.join(', '));

    const before = await partitions();
    const second = await maintainPartitions(t.db, { now, retentionDays: 3650 });
    expect(second).toMatchObject({ created: [], dropped: [], defaultRowsDeleted: 0 });
    expect(await partitions()).toEqual(before);
    expect(await maintenanceEvents()).toHaveLength(1);
  });

  it('drops the partitions past retention with their rows, keeps recent ones, and prunes the default partition', async () => {
    const now = new Date();
    // Months 10, 9 and 8 ago (as if the job had run then), and 5 months ago, each with a row.
    await partitionsAt(monthStart(now, -10), 2);
    await partitionsAt(monthStart(now, -5), 0);
    const old = [-10, -9, -8].map((k) => partitionName(monthStart(now, k)));
    const recent = partitionName(monthStart(now, -5));
    for (const k of [-10, -9, -8, -5]) {
      expect(await log(new Date(monthStart(now, k).getTime() + 3 * DAY), `month ${k}`)).toBe(
        partitionName(monthStart(now, k)),
      );
    }
    // Months without a partition of their own land in the default partition: one past retention, one
    // within it, one far ahead.
    expect(await log(new Date(now.getTime() - 400 * DAY), 'too old')).toBe('activity_log_default');
    expect(await log(new Date(now.getTime() - 100 * DAY), 'recent')).toBe('activity_log_default');
    expect(await log(new Date(now.getTime() + 1500 * DAY), 'future')).toBe('activity_log_default');
    const current = await log(now, 'now');

    const result = await maintainPartitions(t.db);
    expect(result).toMatchObject({ created: [], dropped: old, defaultRowsDeleted: 1, skipped: false });
    expect(result.cutoff.getTime()).toBeCloseTo(now.getTime() - 180 * DAY, -4);

    const left = await partitions();
    for (const name of old) expect(left).not.toContain(name);
    expect(left).toEqual(expect.arrayContaining([recent, current, 'activity_log_default']));
    // Detached and dropped, not merely detached.
    const { rows: tables } = await t.pool.query(`SELECT to_regclass($1) AS t`, [old[0]]);
    expect(tables[0].t).toBeNull();
    const { rows } = await t.pool.query<{ action_type: string; part: string }>(
      `SELECT action_type, tableoid::regclass::text AS part FROM activity_log ORDER BY "timestamp"`,
    );
    expect(rows).toEqual([
      { action_type: 'month -5', part: recent },
      { action_type: 'recent', part: 'activity_log_default' },
      { action_type: 'now', part: current },
      { action_type: 'future', part: 'activity_log_default' },
    ]);

    const events = await maintenanceEvents();
    expect(events).toHaveLength(1);
    expect(events[0].context).toMatchObject({
      created: [],
      dropped: old,
      defaultRowsDeleted: 1,
      retentionDays: 180,
    });
    expect(events[0].message).toContain(`dropped ${old.join(', ')}`);

    const again = await maintainPartitions(t.db);
    expect(again).toMatchObject({ created: [], dropped: [], defaultRowsDeleted: 0 });
    expect(await maintenanceEvents()).toHaveLength(1);
  });

  it('keeps a partition until its whole month is past retention', async () => {
    await partitionsAt(new Date('2024-03-15T00:00:00Z'), 0);
    const drop = async (now: string) =>
      (
        await t.pool.query<{ name: string }>(`SELECT activity_log_drop_partitions('10 days', $1) AS name`, [
          now,
        ])
      ).rows.map((r) => r.name);
    // The range ends (exclusively) at 2024-04-01: ten days after it, and not a microsecond before, it goes.
    expect(await drop('2024-04-10T23:59:59.999999Z')).toEqual([]);
    expect(await partitions()).toContain('activity_log_y2024m03');
    expect(await drop('2024-04-11T00:00:00Z')).toEqual(['activity_log_y2024m03']);
    expect(await partitions()).not.toContain('activity_log_y2024m03');
  });

  it('reports what it would do on a dry run, and changes nothing', async () => {
    const now = new Date();
    await partitionsAt(monthStart(now, -14), 0);
    const stale = partitionName(monthStart(now, -14));
    await log(new Date(now.getTime() - 500 * DAY), 'too old');
    const ahead = new Date(Date.now() + 1100 * DAY);
    const before = await partitions();

    const dry = await maintainPartitions(t.db, { dryRun: true });
    expect(dry).toMatchObject({ created: [], dropped: [stale], defaultRowsDeleted: 1, dryRun: true });
    const dryAhead = await maintainPartitions(t.db, { now: ahead, retentionDays: 36_500, dryRun: true });
    expect(dryAhead.created).toEqual([0, 1, 2].map((k) => partitionName(monthStart(ahead, k))));

    expect(await partitions()).toEqual(before);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM activity_log')).rows[0].n).toBe(1);
    expect(await maintenanceEvents()).toHaveLength(0);
    await maintainPartitions(t.db);
  });

  it('maintains from two sessions at once without conflict, each change made once', async () => {
    const now = new Date(Date.now() + 1460 * DAY);
    const expected = [0, 1, 2].map((k) => partitionName(monthStart(now, k)));
    const runs = await Promise.all([
      maintainPartitions(t.db, { now, retentionDays: 3650 }),
      maintainPartitions(t.db, { now, retentionDays: 3650 }),
    ]);
    expect(runs.flatMap((r) => r.created).sort()).toEqual(expected);
    expect(await partitions()).toEqual(expect.arrayContaining(expected));
    expect(await maintenanceEvents()).toHaveLength(1);
  });

  it('gives up quickly when activity_log is busy, instead of stalling everyone behind its lock', async () => {
    const now = new Date();
    await partitionsAt(monthStart(now, -20), 0);
    const stale = partitionName(monthStart(now, -20));
    const reader = new pg.Client({ connectionString: t.url });
    await reader.connect();
    try {
      // A long read of activity_log holds ACCESS SHARE until it commits.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM activity_log');
      const started = Date.now();
      const error = await maintainPartitions(t.db, { lockTimeoutMs: 300 }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SoviError);
      expect(error).toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/activity_log is busy/),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      await reader.query('COMMIT');
    } finally {
      await reader.end();
    }
    expect(await partitions()).toContain(stale);
    expect(await maintenanceEvents()).toHaveLength(0);
    expect((await maintainPartitions(t.db)).dropped).toEqual([stale]);
  });

  it('refuses settings out of range', async () => {
    await expect(maintainPartitions(t.db, { retentionDays: 0 })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'retentionDays: expected an integer between 1 and 36500, got 0',
    });
    await expect(maintainPartitions(t.db, { monthsAhead: 1.5 })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});

describe('partition maintenance as the application role', () => {
  it('runs with DML rights only (the functions act as the owner), and not without DELETE', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const app = `sovi_maint_app_${suffix}`;
    const reader = `sovi_maint_ro_${suffix}`;
    await t.pool.query(
      `CREATE ROLE ${app} LOGIN PASSWORD 'app-secret'; CREATE ROLE ${reader} LOGIN PASSWORD 'ro-secret'`,
    );
    const admin = await t.pool.connect();
    const pools: pg.Pool[] = [];
    const as = (role: string, password: string) => {
      const url = new URL(t.url);
      url.username = role;
      url.password = password;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
      // The test database is dropped WITH (FORCE) after the file: a connection still open then is terminated,
      // and an unheard 'error' would fail the run.
      pool.on('error', () => undefined);
      pools.push(pool);
      return createDb(pool);
    };
    try {
      await grantAppRole(admin, app);
      await admin.query(`GRANT SELECT, INSERT ON activity_log TO ${reader}`);
      const now = new Date();
      await partitionsAt(monthStart(now, -30), 0);
      const stale = partitionName(monthStart(now, -30));

      const readOnly = as(reader, 'ro-secret');
      await expect(maintainPartitions(readOnly)).rejects.toMatchObject({ code: '42501' });
      await expect(sql`SELECT activity_log_drop_partitions('1 day')`.execute(readOnly)).rejects.toMatchObject(
        { code: '42501', message: expect.stringMatching(/needs DELETE on activity_log/) },
      );
      expect(await partitions()).toContain(stale);

      const result = await maintainPartitions(as(app, 'app-secret'));
      expect(result).toMatchObject({ dropped: [stale], defaultRowsDeleted: 0 });
      expect(await partitions()).not.toContain(stale);
      await expect(
        as(app, 'app-secret').schema.dropTable('activity_log_default').execute(),
      ).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      for (const pool of pools) await pool.end();
      for (const role of [app, reader]) await admin.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      admin.release();
    }
  });
});
