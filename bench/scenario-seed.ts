// The scenario's starting point, written with bare SQL (setup is not measured): two hosts of active phones
// with every account on one of them, accounts across the warming states in five niches, a history of posts
// for the metrics to be about, the day's content already produced (rendered, checked) and waiting to be
// distributed, and the day's metric snapshots as CSV files, as a collector would deliver them.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { placeVideos } from './harness.ts';

export interface ScenarioSize {
  accounts: number;
  /** Per host; two hosts. */
  devicesPerHost: number;
  /** The day's content, produced and waiting to be distributed. */
  content: number;
  /** Earlier content, each posted to 5 accounts: the distributions the metric rows are about. */
  pastContent: number;
  metricFiles: number;
  /** Snapshots per past distribution in each file. */
  rowsPerDistributionPerFile: number;
}

export const HOSTS = ['h1', 'h2'] as const;
const HOUR = 3_600_000;

/** A script as the scripting stage leaves it: what distribution planning captions the posts with. */
const SCRIPT = JSON.stringify({
  title: 'A bench video',
  hook: 'Nobody tells you this.',
  beats: [{ narration: 'One thing.', onScreenText: 'One thing' }],
  cta: 'Follow for more.',
  narration: 'Nobody tells you this. One thing.',
  hashtags: ['bench', 'day'],
});

export async function seedScenario(
  pool: pg.Pool,
  size: ScenarioSize,
  wdaPorts: number[],
  videoFile: string,
  fromScratch: boolean,
  /** The media store folder the sovi processes read (their SOVI_MEDIA_STORE). */
  mediaStore: string,
): Promise<void> {
  const names: string[] = [];
  const hosts: string[] = [];
  for (const host of HOSTS)
    for (let i = 1; i <= size.devicesPerHost; i++) {
      names.push(`bench-${host}-${String(i).padStart(3, '0')}`);
      hosts.push(host);
    }
  await pool.query(
    `INSERT INTO devices (name, udid, status, host, wda_port, connected_since, last_seen_at, model, ios_version)
     SELECT name, 'bench-udid-' || name, 'active', host, port, now(), now(), 'iPhone 13', '17.5.1'
     FROM unnest($1::text[], $2::text[], $3::int[]) AS t(name, host, port)`,
    [names, hosts, wdaPorts],
  );
  // 60% active, 10% in each of created, warming_p1, p2 and p3; every account on a device (round robin over
  // both hosts), in one of the five niches; the warmed ones last warmed yesterday, the active ones last
  // posting two days ago.
  await pool.query(
    `WITH d AS (SELECT array_agg(id ORDER BY name) AS ids, count(*)::int AS n FROM devices),
          nn AS (SELECT array_agg(id ORDER BY slug) AS ids FROM niches)
     INSERT INTO accounts (platform, username, current_state, niche_id, device_id, warming_day_count,
                           last_warmed_at, last_post_at, followers, following, created_at)
     SELECT (ARRAY['tiktok', 'instagram'])[1 + i % 2], 'bench_' || i,
            CASE WHEN i % 10 < 6 THEN 'active'
                 ELSE (ARRAY['created', 'warming_p1', 'warming_p2', 'warming_p3'])[i % 10 - 5] END,
            nn.ids[1 + i % 5], d.ids[1 + i % d.n],
            CASE WHEN i % 10 < 6 THEN 20 WHEN i % 10 = 6 THEN 0 ELSE 1 + (i % 10 - 7) * 4 END,
            CASE WHEN i % 10 = 6 THEN NULL ELSE now() - interval '1 day' END,
            CASE WHEN i % 10 < 6 THEN now() - interval '2 days' END,
            1000 + i % 50000, 150, now() - make_interval(secs => $1::int - i)
     FROM d, nn, generate_series(1, $1::int) i`,
    [size.accounts],
  );
  await pool.query(
    `WITH nn AS (SELECT array_agg(id ORDER BY slug) AS ids FROM niches)
     INSERT INTO content (topic, niche_id, content_format, production_status, quality_score, script_json,
                          output_path, created_at, updated_at)
     SELECT 'past topic ' || i, nn.ids[1 + i % 5], 'faceless', 'complete', 0.9, $2::jsonb, $3,
            now() - interval '4 days', now() - interval '3 days'
     FROM nn, generate_series(1, $1::int) i`,
    [size.pastContent, SCRIPT, videoFile],
  );
  // Each past piece on 5 active accounts of its niche, posted two to three days ago.
  await pool.query(
    `INSERT INTO distributions (content_id, account_id, platform, status, posted_at, caption, hashtags, created_at)
     SELECT c.id, a.id, a.platform, 'posted', now() - interval '2 days' - make_interval(secs => c.k * 7 % 86400),
            'A bench video', ARRAY['bench'], now() - interval '3 days'
     FROM (SELECT id, niche_id, row_number() OVER (PARTITION BY niche_id ORDER BY id) - 1 AS k
           FROM content WHERE production_status = 'complete') c
     JOIN (SELECT id, platform, niche_id, row_number() OVER (PARTITION BY niche_id ORDER BY id) - 1 AS j,
                  count(*) OVER (PARTITION BY niche_id) AS m
           FROM accounts WHERE current_state = 'active') a
       ON a.niche_id = c.niche_id
      AND a.j IN ((c.k * 5) % a.m, (c.k * 5 + 1) % a.m, (c.k * 5 + 2) % a.m, (c.k * 5 + 3) % a.m, (c.k * 5 + 4) % a.m)`,
  );
  // The day's content: new topics for the whole pipeline (scripting on), or, when the workers cannot be
  // given the stub media, scripted, rendered and checked already, for the distributing stage alone.
  await pool.query(
    fromScratch
      ? `WITH nn AS (SELECT array_agg(id ORDER BY slug) AS ids FROM niches)
         INSERT INTO content (topic, niche_id, content_format, production_status)
         SELECT 'day topic ' || i, nn.ids[1 + i % 5], 'faceless', 'scripting'
         FROM nn, generate_series(1, $1::int) i`
      : `WITH nn AS (SELECT array_agg(id ORDER BY slug) AS ids FROM niches)
         INSERT INTO content (topic, niche_id, content_format, production_status, quality_score, script_json,
                              output_path)
         SELECT 'day topic ' || i, nn.ids[1 + i % 5], 'faceless', 'distributing', 0.9, $2::jsonb, $3
         FROM nn, generate_series(1, $1::int) i`,
    fromScratch ? [size.content] : [size.content, SCRIPT, videoFile],
  );
  if (!fromScratch) {
    // Rendered already: each video where rendering would have put it, in the media store publishers read.
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM content WHERE production_status = 'distributing'`,
    );
    placeVideos(
      mediaStore,
      videoFile,
      rows.map((r) => r.id),
    );
  }
  await pool.query('VACUUM ANALYZE');
}

/**
 * The day's snapshots of every past distribution as `metricFiles` CSV files, in time order: file k holds
 * the k-th slice of the 24 hours before `until`, `rowsPerDistributionPerFile` rows per distribution in it,
 * with cumulative counts that grow over the day. Each row names its account, as a collector exporting from
 * its own records would.
 */
export async function writeMetricFiles(
  pool: pg.Pool,
  size: ScenarioSize,
  dir: string,
  until: Date,
): Promise<{ files: string[]; rows: number; from: Date }> {
  const { rows: dists } = await pool.query<{ id: string; account_id: string }>(
    `SELECT id, account_id FROM distributions WHERE status = 'posted' ORDER BY id`,
  );
  const from = new Date(until.getTime() - 24 * HOUR);
  const slice = (24 * HOUR) / size.metricFiles;
  const per = size.rowsPerDistributionPerFile;
  const files: string[] = [];
  let rows = 0;
  fs.mkdirSync(dir, { recursive: true });
  for (let k = 0; k < size.metricFiles; k++) {
    const file = path.join(dir, `metrics-${String(k).padStart(3, '0')}.csv`);
    const out = fs.createWriteStream(file);
    out.write(
      'time,distribution_id,account_id,views,likes,comments,shares,saves,completion_rate,follower_count_at\n',
    );
    for (let j = 0; j < per; j++) {
      const lines: string[] = [];
      for (const [i, d] of dists.entries()) {
        const offset = (j + (i % 97) / 97) / per; // spread within the slice, distributions apart
        const t = new Date(from.getTime() + (k + offset) * slice).toISOString();
        const step = k * per + j;
        const views = 500 + (i % 300) * 10 + step * (20 + (i % 40));
        lines.push(
          `${t},${d.id},${d.account_id},${views},${Math.floor(views / 14)},${Math.floor(views / 250)},` +
            `${Math.floor(views / 160)},${Math.floor(views / 100)},0.${300 + ((i * 7 + step) % 400)},${1000 + (i % 5000) + step}`,
        );
      }
      rows += lines.length;
      if (!out.write(lines.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    files.push(file);
  }
  return { files, rows, from };
}
