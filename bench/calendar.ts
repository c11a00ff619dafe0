// The content calendar's figures:
//  - scheduling: 10,000 approved posts across 1,000 accounts placed by the planner in each account's next
//    free slot (its posting windows in its own time zone, posts per day, minimum gap, the platform's limit),
//    against a bare INSERT of the same rows (the same slots, one statement per piece, as the planner writes);
//  - lateness: 200 posts due in the same minute, published by the content worker through the simulator at
//    their slot (posted_at − scheduled_at, p50 / p99), against the job engine's own lateness for 200 empty
//    jobs due at one instant, fetched the same way, in the same run (the floor: when a job with startAfter
//    is picked up at all).
// `node bench/calendar.ts` runs it on its own and prints the section.
import type pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { defaultContentPolicy, type ContentPolicy } from '../src/content/content-policy.ts';
import type { Script } from '../src/content/content-model.ts';
import { stubMedia } from '../src/content/stub-media.ts';
import { openDatabase } from '../src/db/database.ts';
import { createBoss } from '../src/db/job-engine.ts';
import { createDb, createPool, type Db } from '../src/db/pool.ts';
import { planDistributions } from '../src/distributions/distribution-planner.ts';
import { setPostingSchedule } from '../src/distributions/posting-schedules-service.ts';
import { seededRandom } from '../src/random.ts';
import { pipelineJobSink, startContentWorker } from '../src/jobs/content-worker.ts';
import { createSimulatorPublisher } from '../src/plugins/simulator-publisher.ts';
import {
  logger,
  migrateBenchDatabase,
  percentile,
  timeIt,
  type BenchServer,
  type Section,
} from './harness.ts';

const ACCOUNTS = 1_000;
const PIECES = 3_334; // × 3 accounts each: 10,002 posts
const DUE_TOGETHER = 200;

// Cadence limits out of the way: the posting windows decide.
const policy: ContentPolicy = {
  ...defaultContentPolicy,
  distribution: {
    ...defaultContentPolicy.distribution,
    accountsPerContent: 3,
    maxPostsPerAccountPerDay: 1_000,
    minGapMinutes: 0,
    platformDailyQuota: { tiktok: 1_000_000, instagram: 1_000_000 },
  },
};

const script: Script = {
  title: 'Three money habits',
  hook: 'Nobody tells you this.',
  beats: [{ onScreenText: 'Pay yourself first', narration: 'Move savings out on payday.' }],
  cta: 'Follow for more.',
  narration: 'Nobody tells you this. Move savings out on payday. Follow for more.',
  hashtags: ['money', 'saving'],
  writer: 'template',
};

async function seed(pool: pg.Pool, db: Db): Promise<string> {
  const niche = (await pool.query<{ id: string }>(`SELECT id FROM niches WHERE slug = 'personal_finance'`))
    .rows[0]!.id;
  await pool.query(
    `INSERT INTO accounts (platform, username, current_state, niche_id)
     SELECT (ARRAY['tiktok', 'instagram'])[1 + i % 2], 'cal_' || i, 'active', $2
     FROM generate_series(1, $1::int) i`,
    [ACCOUNTS, niche],
  );
  const windows = ['08:00', '10:00', '12:00', '14:00', '16:00', '18:00', '20:00', '22:00'];
  await setPostingSchedule(
    db,
    { niche: 'personal_finance' },
    { timeZone: 'America/New_York', windows, maxPerDay: 6, minGapMinutes: 90 },
    'bench',
  );
  // Half the accounts post by Berlin's clock instead.
  const { rows } = await pool.query<{ username: string }>(
    `SELECT username FROM accounts WHERE username LIKE 'cal_%' ORDER BY username LIMIT $1`,
    [ACCOUNTS / 2],
  );
  for (const r of rows) {
    await setPostingSchedule(
      db,
      { account: r.username },
      { timeZone: 'Europe/Berlin', windows, maxPerDay: 6, minGapMinutes: 90 },
      'bench',
    );
  }
  await pool.query(
    `INSERT INTO content (topic, niche_id, content_format, production_status, script_json)
     SELECT 'calendar piece ' || i, $2, 'faceless', 'distributing', $3::jsonb FROM generate_series(1, $1::int) i`,
    [PIECES, niche, JSON.stringify(script)],
  );
  return niche;
}

/** The planner placing every piece's posts, one transaction per piece as the distributing stage does. */
async function soviScheduling(db: Db, pool: pg.Pool, niche: string) {
  const ids = (await pool.query<{ id: string }>(`SELECT id FROM content ORDER BY topic`)).rows.map(
    (r) => r.id,
  );
  const now = new Date();
  let planned = 0;
  const ms = await timeIt(async () => {
    for (const contentId of ids) {
      const posts = await db
        .transaction()
        .execute((trx) =>
          planDistributions(
            trx,
            { contentId, nicheId: niche, format: 'faceless', script },
            policy,
            now,
            'approved',
          ),
        );
      planned += posts.length;
    }
  });
  return { ms, planned };
}

/** The same rows again with bare INSERTs: one statement per piece, the slots already known. */
async function rawScheduling(pool: pg.Pool) {
  const { rows } = await pool.query<{
    content_id: string;
    posts: {
      account_id: string;
      platform: string;
      caption: string;
      hashtags: string[];
      scheduled_at: string;
    }[];
  }>(
    `SELECT content_id, json_agg(json_build_object('account_id', account_id, 'platform', platform,
            'caption', caption, 'hashtags', hashtags, 'scheduled_at', scheduled_at)) AS posts
     FROM distributions GROUP BY content_id`,
  );
  await pool.query('DELETE FROM distributions');
  const ms = await timeIt(async () => {
    for (const piece of rows) {
      const values: unknown[] = [];
      const tuples = piece.posts.map((p, i) => {
        values.push(piece.content_id, p.account_id, p.platform, p.caption, p.hashtags, p.scheduled_at);
        const b = i * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, 'pending', $${b + 4}, $${b + 5}, $${b + 6}, 'approved')`;
      });
      await pool.query(
        `INSERT INTO distributions (content_id, account_id, platform, status, caption, hashtags, scheduled_at, review)
         VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  });
  return { ms, rows: rows.reduce((n, r) => n + r.posts.length, 0) };
}

/** 200 posts due at one instant, published by the content worker at their slot: seconds late each. */
async function lateness(
  url: string,
  pool: pg.Pool,
  niche: string,
): Promise<{ sovi: number[]; raw: number[] }> {
  const config = loadConfig({ DATABASE_URL: url, SOVI_LOG_LEVEL: 'warn' });
  const database = await openDatabase(config, logger, { applicationName: 'bench calendar' });
  const boss = createBoss(database.connection, config.scheduler, logger, {
    migrate: false,
    background: true,
  });
  await boss.start();
  const worker = await startContentWorker({
    config,
    database,
    logger,
    boss,
    media: stubMedia(),
    policy,
    publisher: createSimulatorPublisher(
      { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
      { db: database.db, logger },
    ),
    scheduleSweeps: false,
    random: seededRandom(5),
  });
  try {
    // The job engine alone: empty jobs due at one instant, taken as the publish worker takes its jobs
    // (batches of 8, two lanes, a full batch fetching the next at once), their pickup time recorded.
    const rawQueue = 'bench-calendar-noop';
    await boss.createQueue(rawQueue);
    const picked: number[] = [];
    const rawDue = new Date(Date.now() + 15_000);
    await boss.work(
      rawQueue,
      { batchSize: 8, localConcurrency: 2, burstWhenBatchFull: true, pollingIntervalSeconds: 1 },
      async (jobs) => {
        for (const _ of jobs) picked.push(Date.now() - rawDue.getTime());
      },
    );
    await boss.insert(
      rawQueue,
      Array.from({ length: DUE_TOGETHER }, (_, i) => ({ data: { i }, startAfter: rawDue })),
    );
    while (picked.length < DUE_TOGETHER) await new Promise((r) => setTimeout(r, 200));

    // sovi: rendered content with 200 approved posts due at one instant, queued as approval queues them.
    const content = (
      await pool.query<{ id: string }>(
        `INSERT INTO content (topic, niche_id, content_format, production_status, script_json, output_path)
         VALUES ('due together', $1, 'faceless', 'distributing', $2::jsonb, '/tmp/bench-calendar.mp4') RETURNING id`,
        [niche, JSON.stringify(script)],
      )
    ).rows[0]!.id;
    const due = new Date(Date.now() + 20_000);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO distributions (content_id, account_id, platform, status, caption, hashtags, scheduled_at, review)
       SELECT $1, id, platform, 'pending', 'due together', ARRAY['money'], $2, 'approved'
       FROM accounts WHERE username LIKE 'cal_%' ORDER BY username LIMIT $3 RETURNING id`,
      [content, due, DUE_TOGETHER],
    );
    const sink = pipelineJobSink(boss);
    await database.db.transaction().execute((trx) =>
      sink.enqueuePublish(
        trx,
        rows.map((r) => ({ distributionId: r.id, slot: due })),
      ),
    );
    for (;;) {
      const left = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM distributions WHERE content_id = $1 AND status = 'pending'`,
        [content],
      );
      if (left.rows[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const late = await pool.query<{ ms: number }>(
      `SELECT extract(epoch FROM posted_at - scheduled_at) * 1000 AS ms FROM distributions WHERE content_id = $1`,
      [content],
    );
    return { sovi: late.rows.map((r) => Number(r.ms)), raw: picked };
  } finally {
    await worker.stop();
    await boss.stop({ graceful: false });
    await database.close();
  }
}

export async function calendarBench(server: BenchServer): Promise<Section> {
  const { url, name } = await server.createDatabase();
  await migrateBenchDatabase(url);
  const pool = createPool(
    { url },
    { min: 1, max: 6, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );
  const db = createDb(pool);
  try {
    const niche = await seed(pool, db);
    const sovi = await soviScheduling(db, pool, niche);
    const raw = await rawScheduling(pool);
    const late = await lateness(url, pool, niche);
    const rate = (n: number, ms: number) => n / (ms / 1000);
    const s = { sovi: rate(sovi.planned, sovi.ms), raw: rate(raw.rows, raw.ms) };
    const p = (values: number[], q: number) => (percentile(values, q) / 1000).toFixed(2);
    return {
      title: 'Content calendar: placing posts in slots, and publishing at the slot (bench/calendar.ts)',
      notes: [
        `${ACCOUNTS.toLocaleString('en')} accounts in one niche with eight posting windows a day (at most 6 ` +
          'posts a local day, 90 minutes apart), half by New York’s clock and half by Berlin’s; ' +
          `${PIECES.toLocaleString('en')} pieces planned to 3 accounts each, one transaction per piece. The ` +
          'baseline inserts the same rows (same slots) with one bare INSERT per piece. Lateness: ' +
          `${DUE_TOGETHER} approved posts due at one instant, published by the content worker through the ` +
          `simulator; the baseline is ${DUE_TOGETHER} empty jobs due at one instant on the same job engine.`,
      ],
      rows: [
        {
          what: `scheduling approved posts, posts/s (${sovi.planned.toLocaleString('en')} posts)`,
          sovi: s.sovi.toFixed(0),
          baseline: `${s.raw.toFixed(0)} (bare INSERT of the same rows)`,
          ratio: `${(s.sovi / s.raw).toFixed(2)}×`,
        },
        {
          what: `lateness of ${DUE_TOGETHER} posts due in the same minute, p50 / p99 s`,
          sovi: `${p(late.sovi, 50)} / ${p(late.sovi, 99)}`,
          baseline: `${p(late.raw, 50)} / ${p(late.raw, 99)} (empty jobs, same engine)`,
          ratio: `${(percentile(late.sovi, 99) / Math.max(1, percentile(late.raw, 99))).toFixed(2)}× (p99)`,
        },
      ],
    };
  } finally {
    await pool.end();
    await server.dropDatabase(name);
  }
}

// On its own: `node bench/calendar.ts`.
if (import.meta.filename === process.argv[1]) {
  const { openBenchServer } = await import('./harness.ts');
  const { render } = await import('./report.ts');
  const server = await openBenchServer();
  try {
    console.log(render([await calendarBench(server)], server.label));
  } finally {
    await server.close();
  }
}
