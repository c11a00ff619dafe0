// refresh_metric_rollups() makes the rollup relations agree with the raw rows, bucket by bucket.
import { beforeAll, describe, expect, it } from 'vitest';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

// Deterministic data: a small LCG, so a failure reproduces.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

interface Snap {
  time: Date;
  distribution_id: string;
  account_id: string;
  views: number;
  likes: number;
  follower_count_at: number;
  engagement_rate: number | null;
}

const DAY0 = Date.UTC(2026, 9, 1); // 2026-10-01, UTC
const HOUR = 3_600_000;
const snaps: Snap[] = [];
const accounts: string[] = [];

const hourOf = (d: Date) => Math.floor(d.getTime() / HOUR) * HOUR;
const dayOf = (d: Date) => Math.floor(d.getTime() / (24 * HOUR)) * 24 * HOUR;

/** The reference rollup, computed in JavaScript from the raw rows. */
function reference(bucketOf: (d: Date) => number) {
  const groups = new Map<string, Snap[]>();
  for (const s of snaps) {
    const key = `${s.distribution_id}|${bucketOf(s.time)}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      const last = group.reduce((a, b) => (b.time > a.time ? b : a));
      const rates = group.map((g) => g.engagement_rate).filter((r): r is number => r !== null);
      return {
        distribution_id: key.split('|')[0],
        bucket: Number(key.split('|')[1]),
        samples: group.length,
        views: last.views,
        likes: last.likes,
        follower_count_at: last.follower_count_at,
        engagement_rate: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
      };
    })
    .sort((a, b) => a.distribution_id!.localeCompare(b.distribution_id!) || a.bucket - b.bucket);
}

async function rollup(table: 'metrics_hourly' | 'metrics_daily') {
  const { rows } = await t.pool.query(
    `SELECT distribution_id, bucket, samples, views, likes, follower_count_at, engagement_rate
     FROM ${table} ORDER BY distribution_id, bucket`,
  );
  return rows.map((r: { distribution_id: string; bucket: Date; engagement_rate: number | null }) => ({
    ...r,
    bucket: r.bucket.getTime(),
  }));
}

/** Refreshes on one connection whose session time zone is `zone`. */
async function refreshIn(zone: string, from: Date, to: Date): Promise<void> {
  const client = await t.pool.connect();
  try {
    await client.query(`SET TimeZone = '${zone}'`);
    await client.query('SELECT refresh_metric_rollups($1, $2)', [from, to]);
  } finally {
    await client.query('RESET TimeZone');
    client.release();
  }
}

beforeAll(async () => {
  for (let a = 0; a < 4; a++) {
    const account = await factories.account(t.pool, { created_at: new Date(DAY0 - 24 * HOUR) });
    accounts.push(account.id as string);
    for (let d = 0; d < 3; d++) {
      const distribution = await factories.distribution(t.pool, {
        account_id: account.id,
        status: 'posted',
        posted_at: new Date(DAY0 + d * 24 * HOUR + 3 * HOUR),
      });
      let views = 0;
      let likes = 0;
      for (let i = 0; i < 120; i++) {
        views += Math.floor(rand() * 100);
        likes += Math.floor(rand() * 10);
        snaps.push({
          time: new Date(DAY0 + Math.floor(rand() * 3 * 24 * HOUR)),
          distribution_id: distribution.id as string,
          account_id: account.id as string,
          views,
          likes,
          follower_count_at: 1000 + a * 100 + i,
          engagement_rate: rand() < 0.1 ? null : Math.round(rand() * 1000) / 1000,
        });
      }
    }
  }
  // Times are random, so "last" and "highest" differ: the rollup must pick by time, not by size.
  await t.pool.query(
    `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, follower_count_at, engagement_rate)
     SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::uuid[], $4::int[], $5::int[], $6::int[], $7::float8[])`,
    [
      snaps.map((s) => s.time),
      snaps.map((s) => s.distribution_id),
      snaps.map((s) => s.account_id),
      snaps.map((s) => s.views),
      snaps.map((s) => s.likes),
      snaps.map((s) => s.follower_count_at),
      snaps.map((s) => s.engagement_rate),
    ],
  );
});

describe('metric rollups', () => {
  it('equal a reference computed from the raw rows, hourly and daily, whatever the session time zone', async () => {
    // A half-hour offset would misalign buckets computed in local time.
    await refreshIn('Asia/Kolkata', new Date(DAY0), new Date(DAY0 + 3 * 24 * HOUR));
    const close = (rows: { engagement_rate: number | null }[]) =>
      rows.map((r) => ({
        ...r,
        engagement_rate: r.engagement_rate === null ? null : Number(r.engagement_rate.toFixed(9)),
      }));
    expect(close(await rollup('metrics_hourly'))).toEqual(close(reference(hourOf)));
    expect(close(await rollup('metrics_daily'))).toEqual(close(reference(dayOf)));
  });

  it('agrees with a direct GROUP BY on the raw rows for counts and averages', async () => {
    const { rows } = await t.pool.query(`
      SELECT count(*)::int AS mismatches FROM (
        SELECT distribution_id, date_bin('1 hour', time, TIMESTAMPTZ '2000-01-01Z') AS bucket,
               count(*)::int AS samples, avg(engagement_rate) AS rate
        FROM metric_snapshots GROUP BY 1, 2) raw
      FULL JOIN metrics_hourly h USING (distribution_id, bucket)
      WHERE h.samples IS DISTINCT FROM raw.samples OR abs(coalesce(h.engagement_rate, -1) - coalesce(raw.rate, -1)) > 1e-9`);
    expect(rows).toEqual([{ mismatches: 0 }]);
  });

  it('re-aggregates only the buckets of the refreshed range', async () => {
    const lateHour = new Date(DAY0 + 5 * HOUR + 30 * 60_000);
    const { distribution_id } = snaps[0]!;
    // The bucket's latest snapshot (microseconds after every millisecond-precision random one), arriving late.
    await t.pool.query(
      `INSERT INTO metric_snapshots (time, distribution_id, account_id, views) VALUES ($1, $2, $3, 999999)`,
      ['2026-10-01T05:59:59.999999Z', distribution_id, snaps[0]!.account_id],
    );
    // An edit outside the range must stay invisible to this refresh.
    await t.pool.query(`UPDATE metric_snapshots SET views = views + 1 WHERE time >= $1 AND time < $2`, [
      new Date(DAY0 + 30 * HOUR),
      new Date(DAY0 + 31 * HOUR),
    ]);
    const before = await rollup('metrics_hourly');
    await t.pool.query('SELECT refresh_metric_rollups($1, $2)', [lateHour, new Date(lateHour.getTime() + 1)]);
    const after = await rollup('metrics_hourly');
    const bucket = hourOf(lateHour);
    const changed = after.filter((row, i) => JSON.stringify(row) !== JSON.stringify(before[i]));
    expect(changed.every((r) => r.bucket === bucket)).toBe(true);
    expect(after.find((r) => r.bucket === bucket && r.distribution_id === distribution_id)).toMatchObject({
      views: 999999,
    });
  });

  it('refuses an empty or inverted range', async () => {
    await expect(t.pool.query('SELECT refresh_metric_rollups(now(), now())')).rejects.toMatchObject({
      code: '22023',
    });
  });
});

describe('account_health_daily', () => {
  it('summarises followers, posts, views, engagement, sessions, events and end-of-day state per UTC day', async () => {
    const account = accounts[0]!;
    const day1 = new Date(DAY0 + 24 * HOUR);
    await factories.warmingSession(t.pool, {
      account_id: account,
      started_at: new Date(day1.getTime() + HOUR),
    });
    await factories.warmingSession(t.pool, {
      account_id: account,
      started_at: new Date(day1.getTime() + 2 * HOUR),
    });
    await factories.event(t.pool, {
      account_id: account,
      severity: 'warning',
      timestamp: new Date(day1.getTime() + HOUR),
    });
    await factories.event(t.pool, {
      account_id: account,
      category: 'account',
      event_type: 'state_changed',
      context: { from: 'active', to: 'cooldown' },
      timestamp: new Date(day1.getTime() + 5 * HOUR),
    });
    await t.pool.query(`UPDATE accounts SET current_state = 'active' WHERE id = $1`, [account]);
    // West of UTC, a UTC midnight is the previous local date: days must still be UTC days.
    await refreshIn('America/Los_Angeles', new Date(DAY0), new Date(DAY0 + 3 * 24 * HOUR));

    const { rows } = await t.pool.query(
      `SELECT day, followers, follower_delta, posts, views::int AS views, avg_engagement_rate, warming_sessions,
              events_info, events_warning, events_error, events_critical, end_state
       FROM account_health_daily WHERE account_id = $1 ORDER BY day`,
      [account],
    );
    expect(rows.map((r) => r.day)).toEqual(['2026-10-01', '2026-10-02', '2026-10-03']);
    const mine = snaps.filter((s) => s.account_id === account);
    const expectedDay = (dayStart: number, previousFollowers: number | null) => {
      const today = mine.filter((s) => dayOf(s.time) === dayStart);
      const last = today.reduce((a, b) => (b.time > a.time ? b : a));
      const rates = today.map((s) => s.engagement_rate).filter((r): r is number => r !== null);
      const lastViews = new Map<string, Snap>();
      for (const s of today) {
        const cur = lastViews.get(s.distribution_id);
        if (!cur || s.time > cur.time) lastViews.set(s.distribution_id, s);
      }
      return {
        followers: last.follower_count_at,
        follower_delta: previousFollowers === null ? null : last.follower_count_at - previousFollowers,
        posts: 1,
        views: [...lastViews.values()].reduce((sum, s) => sum + s.views, 0),
        avg_engagement_rate: expect.closeTo(rates.reduce((a, b) => a + b, 0) / rates.length, 9),
      };
    };
    const d0 = expectedDay(DAY0, null);
    const d1 = expectedDay(DAY0 + 24 * HOUR, d0.followers);
    expect(rows[0]).toMatchObject({ day: '2026-10-01', ...d0, warming_sessions: 0, end_state: 'active' });
    expect(rows[1]).toMatchObject({
      day: '2026-10-02',
      ...d1,
      warming_sessions: 2,
      events_warning: 1,
      events_info: 1,
      end_state: 'cooldown',
    });
    expect(rows[0].end_state).toBe('active'); // Before the change: the change's "from".
  });
});
