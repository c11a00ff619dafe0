// A small fleet for the dashboard's browser tests: phones in every health, accounts across the lifecycle,
// open and resolved events, the last day's sessions, posts with ten days of metrics folded into the rollups.
import type pg from 'pg';
import { backfillRollups } from '../../src/metrics/rollup-refresh.ts';
import { factories } from '../helpers/factories.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms);

type Row = Record<string, unknown>;
/** Seeded rows by name, with their ids (a uuid, or a bigint as text) typed for the tests. */
const withIds = <K extends string>(rows: Record<K, Row>) => rows as Record<K, Row & { id: string }>;

export async function nicheIds(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ slug: string; id: string }>('SELECT slug, id FROM niches');
  return Object.fromEntries(rows.map((r) => [r.slug, r.id]));
}

export async function seedFleet(pool: pg.Pool) {
  const niche = await nicheIds(pool);
  const seen = ago(20_000);
  const phone = (name: string, values: Record<string, unknown>) =>
    factories.device(pool, {
      name,
      udid: `udid-${name}`,
      model: 'iPhone 13',
      ios_version: '17.5.1',
      ...values,
    });
  const devices = {
    healthy: await phone('iphone-01', {
      status: 'active',
      battery_level: 82,
      battery_read_at: seen,
      storage_free_gb: 41.5,
      last_seen_at: seen,
    }),
    flat: await phone('iphone-02', {
      status: 'disconnected',
      battery_level: 12,
      storage_free_gb: 1.2,
      health_failures: 3,
    }),
    resting: await phone('iphone-03', { status: 'maintenance', battery_level: 55, storage_free_gb: 20 }),
  };
  const account = (username: string, values: Record<string, unknown>) =>
    factories.account(pool, { username, ...values });
  const accounts = {
    finance: await account('finance_daily', {
      current_state: 'active',
      niche_id: niche.personal_finance,
      device_id: devices.healthy.id,
      followers: 1520,
      warming_day_count: 14,
    }),
    warming: await account('money_maya', {
      platform: 'instagram',
      current_state: 'warming_p2',
      niche_id: niche.personal_finance,
      device_id: devices.healthy.id,
      warming_day_count: 5,
    }),
    fresh: await account('story_bot', { current_state: 'created', niche_id: niche.ai_storytelling }),
    cooling: await account('crime_clips', {
      current_state: 'cooldown',
      niche_id: niche.true_crime,
      device_id: devices.flat.id,
    }),
    tools: await account('ai_tools_now', {
      platform: 'instagram',
      current_state: 'active',
      niche_id: niche.tech_ai_tools,
      followers: 830,
    }),
    flagged: await account('motiv8', { current_state: 'flagged', niche_id: niche.motivation }),
  };

  for (const [i, outcome] of ['success', 'success', 'login_failed', 'success'].entries()) {
    const started = ago((i + 1) * 4 * HOUR);
    await factories.warmingSession(pool, {
      account_id: accounts.finance.id,
      device_id: devices.healthy.id,
      warming_phase: 4,
      warming_day: 14,
      started_at: started,
      completed_at: new Date(started.getTime() + 95_000),
      session_data: { outcome, videosWatched: 12 },
    });
  }

  const events = {
    batteryLow: await factories.event(pool, {
      category: 'device',
      severity: 'warning',
      event_type: 'battery_low',
      device_id: devices.flat.id,
      message: 'iphone-02: battery at 12%',
      context: { battery: 12 },
    }),
    disconnected: await factories.event(pool, {
      category: 'device',
      severity: 'error',
      event_type: 'device_disconnected',
      device_id: devices.flat.id,
      message: 'iphone-02 stopped answering WebDriverAgent (3 polls in a row)',
    }),
    banned: await factories.event(pool, {
      category: 'account',
      severity: 'critical',
      event_type: 'challenge',
      account_id: accounts.flagged.id,
      message: 'tiktok account motiv8: verification challenge during a session',
    }),
    done: await factories.event(pool, {
      severity: 'info',
      event_type: 'warming_complete',
      message: 'finance_daily finished its session',
      resolved: true,
      resolved_by: 'auto',
      resolved_at: new Date(),
    }),
  };

  // Two posts with ten days of daily snapshots, and the last day hour by hour, folded into the rollups.
  const content = await factories.content(pool, {
    topic: 'compound interest',
    niche_id: niche.personal_finance,
    production_status: 'complete',
    quality_score: 0.95,
  });
  const posts = [
    await factories.distribution(pool, {
      content_id: content.id,
      account_id: accounts.finance.id,
      status: 'posted',
      posted_at: ago(12 * DAY),
      caption: 'Compound interest, explained in 30 seconds',
      hashtags: ['money', 'investing'],
    }),
    await factories.distribution(pool, {
      content_id: content.id,
      account_id: accounts.tools.id,
      platform: 'instagram',
      status: 'posted',
      posted_at: ago(3 * HOUR),
      caption: 'Compound interest',
    }),
  ];
  const times = [
    ...Array.from({ length: 10 }, (_, k) => ago((11 - k) * DAY)),
    ...Array.from({ length: 24 }, (_, k) => ago((23 - k) * HOUR + 60_000)),
  ];
  for (const [k, time] of times.entries()) {
    const views = 400 * (k + 1) + k * k * 35;
    await pool.query(
      `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, comments, shares, saves, follower_count_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        time,
        posts[0]!.id,
        accounts.finance.id,
        views,
        Math.round(views * 0.08),
        10 + k,
        3 + k,
        2 * k,
        1200 + k * 10,
      ],
    );
  }
  await backfillRollups(pool, ago(12 * DAY), new Date(Date.now() + HOUR));
  return { devices: withIds(devices), accounts: withIds(accounts), events: withIds(events), content, posts };
}
