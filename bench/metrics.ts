// Metrics figures:
//  - ingest: `sovi metrics import` of a CSV file (validated, account_id filled, engagement computed,
//    idempotent) against a raw COPY of the same file into the same table, with the same driver;
//  - refresh: the incremental job after one new hour (100k rows) over 5M raw rows, against a full rebuild of
//    every rollup;
//  - dashboard reads at 5M raw rows: p50/p95 of the three reads through sovi's service, against the bare SQL
//    of the same reads, with their plans.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool, type Db } from '../src/db/pool.ts';
import { accountHourly, nicheDaily, topContent } from '../src/metrics/metrics-reads.ts';
import { backfillRollups, refreshRollups } from '../src/metrics/rollup-refresh.ts';
import { defaultIngestSettings, ingestSnapshotFile } from '../src/metrics/snapshot-ingest.ts';
import { logger, median, percentile, timeIt, type BenchServer, type Row, type Section } from './harness.ts';

const ACCOUNTS = 4_000;
const DISTRIBUTIONS = 20_000;
const RAW_ROWS = 5_000_000;
const DAYS = 30;
const NEW_HOUR_ROWS = 100_000;
const INGEST_ROWS = 1_000_000;
const READS = 300;
const HOUR = 3_600_000;

const openPool = (url: string) =>
  createPool(
    { url },
    { min: 1, max: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );

/** 4,000 accounts over the 5 niches, 4,000 pieces of content, 20,000 posted distributions. */
async function seed(pool: pg.Pool) {
  await pool.query(
    `INSERT INTO accounts (platform, username, current_state, niche_id)
     SELECT (ARRAY['tiktok', 'instagram'])[1 + i % 2], 'bench_' || i, 'active',
            (SELECT id FROM niches ORDER BY slug OFFSET i % 5 LIMIT 1)
     FROM generate_series(1, $1::int) i`,
    [ACCOUNTS],
  );
  await pool.query(
    `INSERT INTO content (topic, niche_id, production_status)
     SELECT 'bench topic ' || i, (SELECT id FROM niches ORDER BY slug OFFSET i % 5 LIMIT 1), 'complete'
     FROM generate_series(1, $1::int) i`,
    [ACCOUNTS],
  );
  await pool.query(
    `INSERT INTO distributions (content_id, account_id, platform, status, posted_at)
     SELECT c.id, a.id, a.platform, 'posted', now() - interval '${DAYS} days'
     FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM content) c
     JOIN (SELECT id, platform, niche_id, row_number() OVER (ORDER BY id) - 1 AS i FROM accounts) a
       ON a.i IN ((c.i * 5) % $1, (c.i * 5 + 1) % $1, (c.i * 5 + 2) % $1, (c.i * 5 + 3) % $1, (c.i * 5 + 4) % $1)`,
    [ACCOUNTS],
  );
  await pool.query('ANALYZE');
}

/**
 * Snapshots of every distribution from `from` for `span` ms, `perDistribution` each, evenly spaced with a
 * per-distribution offset; counts grow with time, as cumulative platform counts do.
 */
const snapshotsSql = (perDistribution: number, spanMs: number) => `
  SELECT $1::timestamptz + make_interval(secs => ((k + (hashtext(d.id::text) & 1023) / 1024.0) * ${spanMs / 1000} / ${perDistribution})) AS time,
         d.id AS distribution_id, d.account_id,
         (extract(epoch FROM $1::timestamptz) / 60)::int % 1000 + k * 40 + (hashtext(d.id::text) & 255) AS views,
         k * 3 AS likes, k AS comments, k / 2 AS shares, k / 3 AS saves,
         0.3 + (hashtext(d.id::text || k) & 255) / 1000.0 AS completion_rate,
         0.02 + (hashtext(k || d.id::text) & 127) / 2000.0 AS engagement_rate,
         1000 + k AS follower_count_at
  FROM distributions d, generate_series(0, ${perDistribution - 1}) k`;

export async function ingestFigures(server: BenchServer): Promise<Row[]> {
  const { url } = await server.createDatabase();
  const pool = openPool(url);
  const files = {
    withAccount: path.join(os.tmpdir(), `sovi-bench-metrics-${process.pid}-a.csv`),
    withoutAccount: path.join(os.tmpdir(), `sovi-bench-metrics-${process.pid}-b.csv`),
  };
  try {
    await migrate({ url }, { logger });
    await seed(pool);
    // Two files of the same 1M rows, 50 per distribution over one day: one names each row's account (so
    // that the bare COPY stores the same rows sovi does), the other leaves it to sovi to fill in.
    const { rows: dists } = await pool.query<{ id: string; account_id: string }>(
      'SELECT id, account_id FROM distributions ORDER BY id',
    );
    const start = Date.UTC(2026, 0, 1);
    const perDistribution = INGEST_ROWS / dists.length;
    for (const [file, account] of [
      [files.withAccount, true],
      [files.withoutAccount, false],
    ] as const) {
      const out = fs.createWriteStream(file);
      out.write(
        `time,distribution_id,${account ? 'account_id,' : ''}views,likes,comments,shares,saves,completion_rate,follower_count_at\n`,
      );
      for (let k = 0; k < perDistribution; k++) {
        const lines: string[] = [];
        const t = new Date(start + k * (86_400_000 / perDistribution)).toISOString();
        for (const [i, d] of dists.entries()) {
          lines.push(
            `${t},${d.id},${account ? `${d.account_id},` : ''}${k * 40 + i},${k * 3},${k},${k >> 1},${k >> 2},0.${(i * 7) % 1000},${1000 + k}`,
          );
        }
        if (!out.write(lines.join('\n') + '\n'))
          await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) =>
        out.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
    }

    const reset = () => pool.query('TRUNCATE metric_snapshots, metric_rollup_changes');
    const rawCopy = (file: string) => async () => {
      const header = fs.readFileSync(file, 'utf8').slice(0, 200).split('\n')[0]!;
      const client = await pool.connect();
      try {
        await pipeline(
          fs.createReadStream(file),
          client.query(
            copyFrom(`COPY metric_snapshots (${header}) FROM STDIN WITH (FORMAT csv, HEADER true)`),
          ),
        );
      } finally {
        client.release();
      }
    };
    const soviImport = (file: string) => async () => {
      const report = await ingestSnapshotFile(pool, file, defaultIngestSettings);
      if (report.inserted !== INGEST_ROWS) throw new Error(`bench: ingested ${report.inserted}`);
    };
    // Alternating rounds from the same empty table, so that neither path gets the warmer cache.
    const measure = async (file: string, rounds: number) => {
      const times = { raw: [] as number[], sovi: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        await reset();
        times.raw.push(await timeIt(rawCopy(file)));
        await reset();
        times.sovi.push(await timeIt(soviImport(file)));
      }
      return { raw: rate(median(times.raw)), sovi: rate(median(times.sovi)) };
    };
    const rate = (ms: number) => INGEST_ROWS / (ms / 1000);
    const same = await measure(files.withAccount, 3);
    const replay = rate(
      await timeIt(() => ingestSnapshotFile(pool, files.withAccount, defaultIngestSettings)),
    );
    const filled = await measure(files.withoutAccount, 2);
    const million = `${(INGEST_ROWS / 1e6).toFixed(0)}M`;
    return [
      {
        what: `CSV import, rows/s (${million} rows naming their account; checked, engagement computed)`,
        sovi: same.sovi.toFixed(0),
        baseline: `${same.raw.toFixed(0)} (COPY of the file)`,
        ratio: `${(same.sovi / same.raw).toFixed(2)}×`,
        goal: '≥ 0.7×',
      },
      {
        what: 'the same file again (a replay: every row already stored), rows/s',
        sovi: replay.toFixed(0),
        baseline: `${same.raw.toFixed(0)} (COPY of the file)`,
        ratio: `${(replay / same.raw).toFixed(2)}×`,
      },
      {
        what: `CSV import without account_id (sovi fills it; the bare COPY leaves it NULL), rows/s`,
        sovi: filled.sovi.toFixed(0),
        baseline: `${filled.raw.toFixed(0)} (COPY of the file)`,
        ratio: `${(filled.sovi / filled.raw).toFixed(2)}×`,
      },
    ];
  } finally {
    await pool.end();
    for (const file of Object.values(files)) fs.rmSync(file, { force: true });
  }
}

async function explain(pool: pg.Pool, text: string, params: unknown[]): Promise<string[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) ${text}`,
    params,
  );
  return rows.map((r) => r['QUERY PLAN']);
}

async function timeReads(
  runs: number,
  sovi: (i: number) => Promise<unknown>,
  raw: (i: number) => Promise<unknown>,
): Promise<{ sovi: number[]; raw: number[] }> {
  const out = { sovi: [] as number[], raw: [] as number[] };
  for (let i = 0; i < 20; i++) {
    await sovi(i);
    await raw(i);
  }
  for (let i = 0; i < runs; i++) {
    out.raw.push(await timeIt(() => raw(i)));
    out.sovi.push(await timeIt(() => sovi(i)));
  }
  return out;
}

export async function rollupFigures(server: BenchServer): Promise<{ rows: Row[]; notes: string[] }> {
  const { url } = await server.createDatabase();
  const pool = openPool(url);
  const db: Db = createDb(pool);
  try {
    await migrate({ url }, { logger });
    await seed(pool);
    const now = new Date();
    const thisHour = new Date(Math.floor(now.getTime() / HOUR) * HOUR);
    const from = new Date(thisHour.getTime() - DAYS * 24 * HOUR);
    const perDistribution = RAW_ROWS / DISTRIBUTIONS;
    // 5M rows over the 30 days before this hour, in 10 statements.
    const spanMs = DAYS * 24 * HOUR - HOUR;
    for (let part = 0; part < 10; part++) {
      const partFrom = new Date(from.getTime() + (part * spanMs) / 10);
      await pool.query(
        `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, comments, shares, saves,
                                       completion_rate, engagement_rate, follower_count_at)
         ${snapshotsSql(perDistribution / 10, spanMs / 10)}`,
        [partFrom],
      );
    }
    await pool.query('VACUUM ANALYZE metric_snapshots');
    const rawRows = Number(
      (await pool.query<{ n: string }>('SELECT count(*) AS n FROM metric_snapshots')).rows[0]!.n,
    );

    // The full rebuild: every rollup of every day, as `sovi metrics refresh --from … --to …` does.
    const rebuildMs = await timeIt(() => backfillRollups(pool, from, new Date(thisHour.getTime() + HOUR)));
    await pool.query('DELETE FROM metric_rollup_changes');
    await pool.query('VACUUM ANALYZE');
    const groupByMs = await timeIt(() =>
      pool.query(
        `SELECT distribution_id, date_bin('1 hour', time, TIMESTAMPTZ '2000-01-01Z'), count(*), max(views),
                avg(engagement_rate) FROM metric_snapshots GROUP BY 1, 2`,
      ),
    );

    // One new hour: 100k rows, 5 per distribution, in this hour.
    await pool.query(
      `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, comments, shares, saves,
                                     completion_rate, engagement_rate, follower_count_at)
       ${snapshotsSql(NEW_HOUR_ROWS / DISTRIBUTIONS, HOUR - 1_000)}
       ON CONFLICT DO NOTHING`,
      [thisHour],
    );
    const incremental = await refreshRollups(pool, { lateWindowHours: 72 }, () => now);
    if (incremental.rows !== NEW_HOUR_ROWS) throw new Error(`bench: refresh folded ${incremental.rows} rows`);
    const incrementalMs = incremental.durationMs;
    const idle = await refreshRollups(pool, { lateWindowHours: 72 }, () => now);

    // Reads.
    const { rows: accountIds } = await pool.query<{ id: string }>(
      'SELECT id FROM accounts ORDER BY id LIMIT 200',
    );
    const { rows: nicheIds } = await pool.query<{ id: string }>('SELECT id FROM niches ORDER BY slug');
    const monthAgo = new Date(thisHour.getTime() - 30 * 24 * HOUR);
    const untilHour = new Date(thisHour.getTime() + HOUR);
    const tomorrow = new Date(thisHour.getTime() + 24 * HOUR).toISOString().slice(0, 10);
    const ninetyAgo = new Date(thisHour.getTime() - 90 * 24 * HOUR).toISOString().slice(0, 10);
    const account = (i: number) => accountIds[i % accountIds.length]!.id;
    const niche = (i: number) => nicheIds[i % nicheIds.length]!.id;

    const accountSql = `SELECT bucket, count(*), sum(samples), sum(views), sum(likes), sum(comments), sum(shares),
        sum(saves), sum(engagement_rate * engagement_samples) / nullif(sum(engagement_samples), 0), max(follower_count_at)
      FROM metrics_hourly WHERE account_id = $1 AND bucket >= $2 AND bucket < $3 GROUP BY bucket ORDER BY bucket`;
    const nicheSql = `SELECT * FROM niche_metrics_daily WHERE niche_id = $1 AND day >= $2::date AND day < $3::date ORDER BY day`;
    const topSql = `SELECT t.content_id, c.topic, t.niche_id, t.views_gained, t.likes_gained, t.views
      FROM (SELECT content_id, niche_id, views_gained, likes_gained, views FROM content_metrics_week
            ORDER BY views_gained DESC, content_id LIMIT $1) t
      JOIN content c ON c.id = t.content_id ORDER BY t.views_gained DESC, t.content_id`;
    // What the account read would cost without the rollup: the same figures from the raw rows.
    const accountFromRawSql = `SELECT date_bin('1 hour', time, TIMESTAMPTZ '2000-01-01Z') AS bucket, count(*), sum(views)
      FROM metric_snapshots WHERE account_id = $1 AND time >= $2 AND time < $3 GROUP BY 1 ORDER BY 1`;

    const reads = {
      account: await timeReads(
        READS,
        (i) => accountHourly(db, account(i), monthAgo, untilHour),
        (i) => pool.query(accountSql, [account(i), monthAgo, untilHour]),
      ),
      niche: await timeReads(
        READS,
        (i) => nicheDaily(db, niche(i), ninetyAgo, tomorrow),
        (i) => pool.query(nicheSql, [niche(i), ninetyAgo, tomorrow]),
      ),
      top: await timeReads(
        READS,
        () => topContent(db, { days: 7, limit: 20, now }),
        () => pool.query(topSql, [20]),
      ),
      accountFromRaw: (
        await timeReads(
          60,
          async () => undefined,
          (i) => pool.query(accountFromRawSql, [account(i), monthAgo, untilHour]),
        )
      ).raw,
    };
    const plans = {
      account: await explain(pool, accountSql, [account(0), monthAgo, untilHour]),
      niche: await explain(pool, nicheSql, [niche(0), ninetyAgo, tomorrow]),
      top: await explain(pool, topSql, [20]),
    };
    const p = (values: number[]) =>
      `${percentile(values, 50).toFixed(2)} / ${percentile(values, 95).toFixed(2)}`;
    const readRow = (what: string, r: { sovi: number[]; raw: number[] }): Row => ({
      what: `${what}, p50 / p95 ms`,
      sovi: p(r.sovi),
      baseline: `${p(r.raw)} (bare SQL)`,
      ratio: `${(percentile(r.sovi, 95) / percentile(r.raw, 95)).toFixed(2)}× the time; p95 ${percentile(r.sovi, 95) <= 20 ? '≤' : '>'} 20 ms`,
      goal: 'p95 ≤ 20 ms',
    });
    const hourlyRows = Number(
      (await pool.query<{ n: string }>('SELECT count(*) AS n FROM metrics_hourly')).rows[0]!.n,
    );
    return {
      rows: [
        {
          what: `refresh after one new hour (${NEW_HOUR_ROWS / 1000}k rows) over ${(rawRows / 1e6).toFixed(1)}M raw rows, ms`,
          sovi: `${incrementalMs} (incremental job)`,
          baseline: `${rebuildMs.toFixed(0)} (full rebuild of every rollup)`,
          ratio: `${(rebuildMs / incrementalMs).toFixed(1)}× faster`,
          goal: '≥ 10×',
        },
        {
          what: 'refresh with nothing new, ms',
          sovi: String(idle.durationMs),
          baseline: `${rebuildMs.toFixed(0)} (full rebuild)`,
          ratio: `${(rebuildMs / Math.max(1, idle.durationMs)).toFixed(0)}× faster`,
        },
        {
          what: 'for scale: one hourly GROUP BY over all raw rows, ms',
          sovi: '—',
          baseline: groupByMs.toFixed(0),
          ratio: '—',
        },
        readRow('one account × 30 days, hourly', reads.account),
        readRow('one niche × 90 days, daily', reads.niche),
        readRow('top 20 content by views gained this week', reads.top),
        {
          what: 'for scale: the account read from the raw rows ((account_id, time) index), p50 / p95 ms',
          sovi: '—',
          baseline: p(reads.accountFromRaw),
          ratio: '—',
        },
      ],
      notes: [
        `${(rawRows / 1e6).toFixed(1)}M raw snapshots of ${DISTRIBUTIONS.toLocaleString('en')} distributions ` +
          `(${ACCOUNTS.toLocaleString('en')} accounts, ${ACCOUNTS.toLocaleString('en')} pieces of content, 5 niches) ` +
          `over ${DAYS} days; ${hourlyRows.toLocaleString('en')} hourly rollup rows. The incremental refresh ` +
          're-aggregates the changed hour, its day, and the day tables of yesterday and today; the rebuild ' +
          'recomputes every hour and day. Reads: sovi’s service (Kysely, rows mapped) against the same SQL sent ' +
          `bare through pg; ${READS} reads each after 20 warm-up reads.`,
        '',
        'Plans (EXPLAIN ANALYZE, one account × 30 days; one niche × 90 days; top 20 this week):',
        '',
        '```',
        ...plans.account,
        '',
        ...plans.niche,
        '',
        ...plans.top,
        '```',
      ],
    };
  } finally {
    await db.destroy();
  }
}

export async function metricsBench(server: BenchServer): Promise<Section> {
  const ingest = await ingestFigures(server);
  const rollups = await rollupFigures(server);
  return {
    title: 'Metrics: ingest, rollup refresh, dashboard reads',
    notes: [
      `Ingest: a ${(INGEST_ROWS / 1e6).toFixed(0)}M-row CSV file through \`sovi metrics import\`'s service ` +
        '(COPY into a staging table; then a COPY … TO STDOUT that casts, checks, fills account_id and ' +
        'engagement_rate, streamed into COPY metric_snapshots on a second session) against a bare COPY of the ' +
        'same file into metric_snapshots with the same driver; median of 3 (2) alternating rounds from an ' +
        'empty table. Storing account_id costs a foreign-key check and real index entries per row, which is ' +
        'why the file without it is cheaper for the bare COPY (which then stores no account).',
      '',
      ...rollups.notes,
    ],
    rows: [...ingest, ...rollups.rows],
  };
}
