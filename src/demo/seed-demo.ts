// The demo's rows, made once (a later `sovi up --demo` only points the phones at their new ports): phones,
// accounts across the lifecycle, hooks, trending topics, two weeks of posts with their metrics folded into
// the rollups, a few pieces of content queued for real production, and a ticker that keeps the posts'
// numbers growing. Only `sovi up --demo` calls it.
import { createToken, listTokens, revokeToken } from '../auth/tokens-service.ts';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { ContentPolicy } from '../content/content-policy.ts';
import { createContent, produce } from '../content/content-service.ts';
import { withClientTransaction } from '../db/client-transaction.ts';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/types.generated.ts';
import { recordEvent } from '../events/events-service.ts';
import { createBoss } from '../db/job-engine.ts';
import { ensureContentQueues, pipelineJobSink } from '../jobs/content-worker.ts';
import type { Logger } from '../logger.ts';
import { backfillRollups } from '../metrics/rollup-refresh.ts';
import { ingestSnapshots } from '../metrics/snapshot-ingest.ts';
import { importTrends } from '../trends/trends-import.ts';
import { demoPhones, type DemoFleet } from './demo-fleet.ts';
import type { Platform } from '../platforms.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TICK_MS = 30_000;
const DEMO_TOKEN = 'demo';

/** username, platform, niche, state, phone (index in demoPhones), followers, warming days. */
const demoAccounts: [string, Platform, string, string, number | null, number, number][] = [
  ['penny_wise_tips', 'tiktok', 'personal_finance', 'active', 0, 18400, 14],
  ['budget_bea', 'instagram', 'personal_finance', 'active', 0, 9200, 14],
  ['frugal_fox', 'tiktok', 'personal_finance', 'warming_p3', 1, 310, 9],
  ['ai_tales_daily', 'tiktok', 'ai_storytelling', 'active', 1, 12650, 14],
  ['story_circuit', 'instagram', 'ai_storytelling', 'warming_p2', 1, 120, 5],
  ['toolbox_ai', 'tiktok', 'tech_ai_tools', 'active', 2, 7400, 14],
  ['prompt_pilot', 'instagram', 'tech_ai_tools', 'warming_p1', 2, 40, 1],
  ['rise_daily', 'tiktok', 'motivation', 'active', 3, 22100, 14],
  ['grit_minute', 'instagram', 'motivation', 'resting', 3, 5100, 14],
  ['cold_case_clips', 'tiktok', 'true_crime', 'cooldown', 4, 3300, 14],
  ['case_files_x', 'instagram', 'true_crime', 'created', null, 0, 0],
  ['night_ledger', 'tiktok', 'personal_finance', 'flagged', null, 880, 14],
];

const demoHooks: [string, string, string | null, number][] = [
  ['curiosity_gap', 'Nobody tells you this about {topic}.', null, 0.62],
  ['list', '3 things I wish I knew about {topic}.', null, 0.55],
  ['contrarian', 'Everything you know about {topic} is wrong.', null, 0.48],
  ['story', 'This is how {topic} changed everything for me.', 'motivation', 0.58],
  ['question', 'Would you still do {topic} if you knew this?', 'personal_finance', 0.51],
  ['mystery', 'The {topic} case nobody could explain.', 'true_crime', 0.66],
];

const demoTopics: [string, string, string, number, number][] = [
  ['the 50/30/20 budget rule', 'personal_finance', 'r/personalfinance', 5400, 7.1],
  ['high-yield savings accounts', 'personal_finance', 'r/personalfinance', 3100, 4.2],
  ['an AI that writes bedtime stories', 'ai_storytelling', 'r/WritingPrompts', 2800, 5.5],
  ['the best free AI note takers', 'tech_ai_tools', 'r/artificial', 1900, 3.3],
  ['waking up at 5 am for a month', 'motivation', 'r/GetMotivated', 4200, 6.0],
  ['the Zodiac cipher, solved', 'true_crime', 'r/UnresolvedMysteries', 6100, 8.4],
  ['index funds for beginners', 'personal_finance', 'r/personalfinance', 900, 1.3],
  ['stoic habits for hard days', 'motivation', 'r/Stoicism', 1200, 1.8],
];

/** What the active accounts posted in the last two weeks, by niche. */
const pastTopics: Record<string, string[]> = {
  personal_finance: [
    'the latte factor, revisited',
    'why your first $1,000 matters',
    'sinking funds explained',
  ],
  ai_storytelling: ['a robot that learned to lie', 'the last human librarian', 'a city run by one AI'],
  tech_ai_tools: ['5 AI tools for spreadsheets', 'transcribe meetings for free', 'an AI that reads PDFs'],
  motivation: ['the 2-minute rule', 'discipline beats motivation', 'why you quit in week 3'],
  true_crime: ['the Dyatlov Pass incident', 'the Tylenol murders', 'D. B. Cooper’s last flight'],
};

/** Pieces of content produced for real when the demo starts: scripts, voice-over, video, checks, posts. */
const demoContent: [string, string][] = [
  ['compound interest in 30 seconds', 'personal_finance'],
  ['the AI that dreams in color', 'ai_storytelling'],
  ['one habit that beats motivation', 'motivation'],
];

export interface SeededDemo {
  /** A fresh read-write token named demo, to sign in to the dashboard with (the previous one is revoked). */
  token: string;
  /** Stops the metrics ticker. */
  stop(): Promise<void>;
}

export async function seedDemo(
  config: Config,
  database: Database,
  logger: Logger,
  fleet: DemoFleet,
  policy: ContentPolicy,
): Promise<SeededDemo> {
  const { pool } = database;
  const existing = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM devices WHERE name LIKE 'demo-%'`,
  );
  if ((existing.rows[0]?.n ?? 0) > 0) {
    for (const [name, port] of fleet.ports) {
      await pool.query('UPDATE devices SET wda_port = $2, host = $3 WHERE name = $1', [
        name,
        port,
        config.host,
      ]);
    }
    logger.info('demo: phones pointed at their fake WebDriverAgents again (the rows were seeded before)');
  } else {
    await seedRows(config, database, fleet);
    logger.info('demo: seeded phones, accounts, hooks, trends and two weeks of posts');
    await queueContent(config, database, logger, policy);
  }
  const ticker = setInterval(() => {
    tick(database).catch((err: unknown) => logger.warn({ err }, 'demo: metrics tick failed'));
  }, TICK_MS);
  const previous = (await listTokens(database.db)).find((t) => t.name === DEMO_TOKEN);
  if (previous) await revokeToken(database.db, previous.id, 'demo');
  const { secret } = await createToken(database.db, { name: DEMO_TOKEN }, 'demo');
  return { token: secret, stop: async () => clearInterval(ticker) };
}

/** The rows, in one transaction (a failed seed leaves nothing behind); then trends and metrics. */
async function seedRows(config: Config, database: Database, fleet: DemoFleet): Promise<void> {
  const snapshots = await withClientTransaction(database.pool, (client, db) =>
    seedFleet(config, client, db, fleet),
  );
  const now = Date.now();
  const topics = demoTopics.map(([topic, niche, group, engagement, ratio], i) => ({
    topic,
    niche,
    source: 'demo',
    source_group: group,
    engagement,
    overperformance_ratio: ratio,
    published_at: new Date(now - (i + 1) * 2 * HOUR).toISOString(),
  }));
  await importTrends({ db: database.db, settings: config.trends, actor: 'demo' }, JSON.stringify(topics), {
    source: 'demo topics',
    format: 'json',
  });

  await ingestSnapshots(database.pool, snapshots, { futureToleranceSeconds: 300, onBadRows: 'reject' });
  await backfillRollups(database.pool, new Date(now - 15 * DAY), new Date(now + HOUR));
}

async function seedFleet(
  config: Config,
  client: pg.PoolClient,
  db: Kysely<DB>,
  fleet: DemoFleet,
): Promise<Record<string, unknown>[]> {
  const niches = new Map(
    (await client.query<{ slug: string; id: string }>('SELECT slug, id FROM niches')).rows.map((r) => [
      r.slug,
      r.id,
    ]),
  );
  const phoneIds: string[] = [];
  for (const phone of demoPhones) {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO devices (name, udid, model, ios_version, host, wda_port, status, storage_free_gb)
       VALUES ($1, $2, $3, '17.5.1', $4, $5, $6, $7) RETURNING id`,
      [
        phone.name,
        `00008110-DEMO${phone.name.slice(-2)}`,
        phone.model,
        config.host,
        fleet.ports.get(phone.name),
        phone.maintenance ? 'maintenance' : 'disconnected',
        phone.storageGb,
      ],
    );
    phoneIds.push(rows[0]!.id);
  }
  const accounts: {
    id: string;
    platform: string;
    username: string;
    niche: string;
    state: string;
    followers: number;
  }[] = [];
  for (const [username, platform, niche, state, phone, followers, days] of demoAccounts) {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO accounts (platform, username, niche_id, device_id, current_state, followers, following,
                             warming_day_count, bio, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 150, $7, 'a demo account', now() - interval '20 days') RETURNING id`,
      [
        platform,
        username,
        niches.get(niche),
        phone === null ? null : phoneIds[phone],
        state,
        followers,
        days,
      ],
    );
    accounts.push({ id: rows[0]!.id, platform, username, niche, state, followers });
  }
  for (const [category, template, niche, score] of demoHooks) {
    await client.query(
      'INSERT INTO hooks (category, template, niche_id, effectiveness_score) VALUES ($1, $2, $3, $4)',
      [category, template, niche === null ? null : niches.get(niche), score],
    );
  }
  const now = Date.now();
  // Two weeks of history: warming sessions, posts by the active accounts, and their daily numbers.
  const active = accounts.filter((a) => a.state === 'active' || a.state === 'resting');
  const snapshots: Record<string, unknown>[] = [];
  for (const [i, account] of active.entries()) {
    for (let day = 14; day >= 1; day--) {
      const started = new Date(now - day * DAY + i * HOUR);
      await client.query(
        `INSERT INTO warming_progress (account_id, device_id, platform, warming_phase, warming_day, session_data,
                                       started_at, completed_at)
         SELECT id, device_id, platform, 4, 14, '{"outcome": "success", "videosWatched": 18}', $2::timestamptz,
                $2::timestamptz + interval '6 minutes'
         FROM accounts WHERE id = $1`,
        [account.id, started],
      );
    }
    for (let post = 0; post < 3; post++) {
      const postedAt = new Date(now - (13 - post * 4) * DAY - i * 3 * HOUR);
      const { rows: content } = await client.query<{ id: string }>(
        `INSERT INTO content (topic, niche_id, content_format, production_status, quality_score, created_at,
                              updated_at)
         SELECT $1, niche_id, 'faceless', 'complete', 0.9, $2, $2 FROM accounts WHERE id = $3 RETURNING id`,
        [pastTopics[account.niche]?.[post] ?? `a demo video ${post + 1}`, postedAt, account.id],
      );
      const { rows: posted } = await client.query<{ id: string }>(
        `INSERT INTO distributions (content_id, account_id, platform, status, posted_at, platform_post_id, caption)
         VALUES ($1, $2, $3, 'posted', $4, $5, 'a demo post') RETURNING id`,
        [content[0]!.id, account.id, account.platform, postedAt, `demo-${account.username}-${post}`],
      );
      const reach = 1 + ((i * 7 + post * 3) % 5);
      for (let t = postedAt.getTime() + 6 * HOUR, k = 1; t < now; t += 12 * HOUR, k++) {
        const views = Math.round(reach * 900 * Math.sqrt(k) * (1 + k / 10));
        snapshots.push({
          time: new Date(t).toISOString(),
          distribution_id: posted[0]!.id,
          views,
          likes: Math.round(views * 0.07),
          comments: Math.round(views * 0.004),
          shares: Math.round(views * 0.006),
          saves: Math.round(views * 0.01),
          follower_count_at: Math.round(
            account.followers * (0.7 + (0.3 * (t - (now - 14 * DAY))) / (14 * DAY)),
          ),
        });
      }
    }
  }
  // A few things that need someone.
  const flagged = accounts.find((a) => a.state === 'flagged')!;
  await recordEvent(db, {
    category: 'account',
    severity: 'error',
    eventType: 'challenge',
    accountId: flagged.id,
    message: `${flagged.platform} account ${flagged.username}: verification challenge during a session (demo)`,
    context: { demo: true },
  });
  await recordEvent(db, {
    category: 'content',
    severity: 'warning',
    eventType: 'post_failed',
    message: 'instagram refused a demo post: the caption had too many hashtags (demo)',
    context: { demo: true },
  });
  return snapshots;
}

async function queueContent(
  config: Config,
  database: Database,
  logger: Logger,
  policy: ContentPolicy,
): Promise<void> {
  const boss = createBoss(database.connection, config.scheduler, logger, {
    migrate: false,
    background: false,
  });
  await boss.start();
  try {
    await ensureContentQueues(boss, policy);
    const sink = pipelineJobSink(boss);
    for (const [topic, niche] of demoContent) {
      await database.db.transaction().execute(async (trx) => {
        const created = await createContent(trx, policy, { topic, niche });
        await produce(trx, sink, created.id);
      });
    }
    logger.info({ pieces: demoContent.length }, 'demo: content queued for production');
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

/** New numbers for the last two weeks' posts, as if a metrics collector reported them. */
async function tick(database: Database): Promise<void> {
  const { rows } = await database.pool.query<{
    distribution_id: string;
    views: number;
    likes: number;
    follower_count_at: number | null;
  }>(
    `SELECT d.id AS distribution_id, coalesce(s.views, 0) AS views, coalesce(s.likes, 0) AS likes,
            coalesce(s.follower_count_at, a.followers) AS follower_count_at
     FROM distributions d
     JOIN accounts a ON a.id = d.account_id
     LEFT JOIN LATERAL (
       SELECT views, likes, follower_count_at FROM metric_snapshots
       WHERE distribution_id = d.id ORDER BY time DESC LIMIT 1
     ) s ON true
     WHERE d.status = 'posted' AND d.posted_at > now() - interval '14 days'`,
  );
  const time = new Date().toISOString();
  const snapshots = rows.map((r, i) => {
    const views = r.views + 20 + ((i * 37 + Date.now() / 1000) % 180);
    return {
      time,
      distribution_id: r.distribution_id,
      views: Math.round(views),
      likes: Math.round(r.likes + (views - r.views) * 0.08),
      follower_count_at: r.follower_count_at === null ? undefined : r.follower_count_at + (i % 3),
    };
  });
  if (snapshots.length > 0) {
    await ingestSnapshots(database.pool, snapshots, { futureToleranceSeconds: 300, onBadRows: 'reject' });
  }
}
