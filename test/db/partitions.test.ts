// activity_log never refuses an insert, and its partitions can be extended without losing rows.
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const partitionOf = async (timestamp: string) =>
  (
    await t.pool.query<{ part: string }>(
      `INSERT INTO activity_log ("timestamp", action_type) VALUES ($1, 'probe') RETURNING tableoid::regclass::text AS part`,
      [timestamp],
    )
  ).rows[0]?.part;

describe('activity_log partitions', () => {
  it('routes this month to its own partition and far dates to the default', async () => {
    const now = new Date();
    const part = `activity_log_y${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(await partitionOf(now.toISOString())).toBe(part);
    expect(await partitionOf('2031-06-15T12:00:00Z')).toBe('activity_log_default');
    expect(await partitionOf('2020-01-01T00:00:00Z')).toBe('activity_log_default');
  });

  it('creates missing months idempotently, moving rows the default partition holds for them', async () => {
    const now = new Date();
    const inFourMonths = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 4, 10));
    expect(await partitionOf(inFourMonths.toISOString())).toBe('activity_log_default');

    const created = await t.pool.query<{ name: string }>('SELECT activity_log_ensure_partitions(5) AS name');
    const name = `activity_log_y${inFourMonths.getUTCFullYear()}m${String(inFourMonths.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(created.rows.map((r) => r.name)).toContain(name);

    const { rows } = await t.pool.query<{ part: string; n: number }>(
      `SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM activity_log
       WHERE "timestamp" = $1 GROUP BY 1`,
      [inFourMonths.toISOString()],
    );
    expect(rows).toEqual([{ part: name, n: 1 }]);
    const again = await t.pool.query('SELECT activity_log_ensure_partitions(5)');
    expect(again.rowCount).toBe(0);
  });
});
