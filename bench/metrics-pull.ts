// Metric pull throughput: `pullMetrics` (due posts chosen by the cadence, every call taken from the call
// budget, snapshots through ingestSnapshots) against local fakes of TikTok's Display API and Instagram's
// Graph API, compared in the same run with the raw path: the same HTTP calls made directly, one after
// another, and one ingestSnapshots of the same rows. The fakes enforce the platforms' documented limits
// (TikTok 600 calls a minute per endpoint; Instagram 200 calls an hour per token), and the figures say how
// close to them the pull ran. Then the call budget's own cost: one take() (a statement on the budget's row in
// PostgreSQL, shared by every process) against a bare `SELECT 1` round trip on the same pool.
//
//   node bench/metrics-pull.ts [--tiktok-accounts 100] [--instagram-accounts 20] [--print-only]
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.ts';
import { createCallBudget } from '../src/metrics/call-budget.ts';
import { createMetricsPuller } from '../src/metrics/metrics-puller.ts';
import { defaultIngestSettings, ingestSnapshots } from '../src/metrics/snapshot-ingest.ts';
import type { AccessToken } from '../src/plugins/metrics-collector.ts';
import type { Platform } from '../src/platforms.ts';
import { defaultMetricsPullSettings } from '../src/settings/metrics-pull-settings.ts';
import { startFakeInstagram } from '../test/fakes/instagram-graph-api.ts';
import { startFakeTikTok } from '../test/fakes/tiktok-display-api.ts';
import { type BenchServer, logger, migrateBenchDatabase, openBenchServer, type Section } from './harness.ts';
import { renderSection, writeSection } from './report.ts';

interface Fleet {
  accounts: {
    id: string;
    platform: Platform;
    access: AccessToken;
    posts: { id: string; platformPostId: string }[];
  }[];
}

async function seed(
  url: string,
  fakes: {
    tiktok: Awaited<ReturnType<typeof startFakeTikTok>>;
    instagram: Awaited<ReturnType<typeof startFakeInstagram>>;
  },
  sizes: { tiktok: [number, number]; instagram: [number, number] },
): Promise<Fleet> {
  const config = await migrateBenchDatabase(url);
  const database = await openDatabase(config, logger, { applicationName: 'bench pull seed' });
  const fleet: Fleet = { accounts: [] };
  try {
    let n = 0;
    for (const platform of ['tiktok', 'instagram'] as const) {
      const [accounts, postsEach] = sizes[platform];
      for (let a = 0; a < accounts; a++) {
        const userId = `1784${String(++n).padStart(11, '0')}`;
        const { rows } = await database.pool.query<{ id: string }>(
          `INSERT INTO accounts (platform, username, current_state) VALUES ($1, $2, 'active') RETURNING id`,
          [platform, `bench_${platform}_${a}`],
        );
        const accountId = rows[0]!.id;
        const token =
          platform === 'tiktok'
            ? fakes.tiktok.issueToken(userId, { followers: 1000 + a })
            : fakes.instagram.issueToken(userId, { followers: 2000 + a });
        const { rows: posts } = await database.pool.query<{ id: string; platform_post_id: string }>(
          `WITH c AS (INSERT INTO content (topic) SELECT 'bench ' || g FROM generate_series(1, $3::int) g RETURNING id)
           INSERT INTO distributions (content_id, account_id, platform, status, platform_post_id, posted_at)
           SELECT c.id, $1, $2, 'posted', $4 || row_number() OVER (), now() - interval '2 hours' FROM c
           RETURNING id, platform_post_id`,
          [accountId, platform, postsEach, `${platform === 'tiktok' ? '7' : '18'}${userId}`],
        );
        for (const post of posts) {
          const counts = { views: 1000, likes: 50, comments: 5, shares: 3 };
          if (platform === 'tiktok')
            fakes.tiktok.addVideo({
              id: post.platform_post_id,
              openId: userId,
              view_count: counts.views,
              like_count: counts.likes,
              comment_count: counts.comments,
              share_count: counts.shares,
            });
          else fakes.instagram.addMedia({ id: post.platform_post_id, userId, ...counts, saved: 4 });
        }
        fleet.accounts.push({
          id: accountId,
          platform,
          access: { accessToken: token, platformUserId: userId },
          posts: posts.map((p) => ({ id: p.id, platformPostId: p.platform_post_id })),
        });
      }
    }
  } finally {
    await database.close();
  }
  return fleet;
}

/** The raw path: the same calls, made directly in sequence, and one ingest of the rows. */
async function raw(
  url: string,
  fleet: Fleet,
  urls: { tiktok: string; instagram: string },
): Promise<{ ms: number; calls: number; rows: number }> {
  const config = await migrateBenchDatabase(url);
  const database = await openDatabase(config, logger, { applicationName: 'bench pull raw' });
  const started = performance.now();
  let calls = 0;
  const rows: Record<string, unknown>[] = [];
  const time = new Date().toISOString();
  for (const account of fleet.accounts) {
    const token = account.access.accessToken;
    let followers: number | undefined;
    const counts = new Map<string, Record<string, number>>();
    if (account.platform === 'tiktok') {
      for (let i = 0; i < account.posts.length; i += 20) {
        const ids = account.posts.slice(i, i + 20).map((p) => p.platformPostId);
        const response = await fetch(
          `${urls.tiktok}/v2/video/query/?fields=id,view_count,like_count,comment_count,share_count,create_time`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ filters: { video_ids: ids } }),
          },
        );
        calls++;
        const body = (await response.json()) as {
          data: {
            videos: {
              id: string;
              view_count: number;
              like_count: number;
              comment_count: number;
              share_count: number;
            }[];
          };
        };
        for (const v of body.data.videos)
          counts.set(v.id, {
            views: v.view_count,
            likes: v.like_count,
            comments: v.comment_count,
            shares: v.share_count,
          });
      }
      const user = await fetch(`${urls.tiktok}/v2/user/info/?fields=open_id,follower_count`, {
        headers: { authorization: `Bearer ${token}` },
      });
      calls++;
      followers = ((await user.json()) as { data: { user: { follower_count: number } } }).data.user
        .follower_count;
    } else {
      for (const post of account.posts) {
        const response = await fetch(
          `${urls.instagram}/v23.0/${post.platformPostId}/insights?metric=views,likes,comments,shares,saved&access_token=${token}`,
        );
        calls++;
        const body = (await response.json()) as { data: { name: string; values: { value: number }[] }[] };
        counts.set(
          post.platformPostId,
          Object.fromEntries(
            body.data.map((m) => [m.name === 'saved' ? 'saves' : m.name, m.values[0]!.value]),
          ),
        );
      }
      const user = await fetch(
        `${urls.instagram}/v23.0/${account.access.platformUserId}?fields=followers_count&access_token=${token}`,
      );
      calls++;
      followers = ((await user.json()) as { followers_count: number }).followers_count;
    }
    for (const post of account.posts)
      rows.push({
        time,
        distribution_id: post.id,
        account_id: account.id,
        ...counts.get(post.platformPostId),
        follower_count_at: followers,
      });
  }
  await ingestSnapshots(database.pool, rows, defaultIngestSettings);
  const ms = performance.now() - started;
  await database.close();
  return { ms, calls, rows: rows.length };
}

/** Milliseconds of each call of `fn`, in order. */
async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn(i);
    ms.push(performance.now() - started);
  }
  return ms;
}

const quantile = (ms: number[], q: number) => [...ms].sort((a, b) => a - b)[Math.floor(q * (ms.length - 1))]!;
const p50p99 = (ms: number[]) => `${quantile(ms, 0.5).toFixed(2)} / ${quantile(ms, 0.99).toFixed(2)}`;

/**
 * take() latency: TikTok's budget (600 a minute) filled call by call, then refused; and a window already
 * holding 10,000 calls (the simulator's budget, the largest sovi declares), each take rewriting that row.
 */
async function takeLatency(url: string) {
  const config = await migrateBenchDatabase(url);
  const database = await openDatabase(config, logger, { applicationName: 'bench pull budget' });
  try {
    const budget = createCallBudget(database.db);
    const tiktok = { calls: 600, windowMs: 60_000 };
    const big = { calls: 10_000, windowMs: 60_000 };
    const select1 = () => sql`SELECT 1`.execute(database.db);
    await timed(200, () => select1());
    await timed(200, (i) => budget.take(`warm-up:${i % 4}`, tiktok));
    const baseline = await timed(1_000, () => select1());
    const granted = await timed(600, () => budget.take('tiktok', tiktok));
    const refused = await timed(400, () => budget.take('tiktok', tiktok));
    await timed(9_000, () => budget.take('simulator', big));
    const large = await timed(1_000, () => budget.take('simulator', big));
    return { baseline, granted, refused, large };
  } finally {
    await database.close();
  }
}

export async function metricsPullBench(
  server: BenchServer,
  options: { tiktokAccounts: number; instagramAccounts: number } = {
    tiktokAccounts: 100,
    instagramAccounts: 20,
  },
): Promise<Section> {
  const [tiktok, instagram] = await Promise.all([startFakeTikTok(), startFakeInstagram()]);
  try {
    const sizes = {
      tiktok: [options.tiktokAccounts, 20] as [number, number],
      instagram: [options.instagramAccounts, 10] as [number, number],
    };
    const seeded = await server.createDatabase();
    const fleet = await seed(seeded.url, { tiktok, instagram }, sizes);
    const copy = async () => (await server.createDatabase(seeded.name)).url;
    const access = new Map(fleet.accounts.map((a) => [a.id, a.access]));
    const urls = { tiktok: tiktok.url, instagram: instagram.url };
    // Each run starts the fakes' windows afresh, as a pull an hour after the last one would.
    const reset = () => {
      tiktok.setRateLimit(600);
      instagram.setUserLimit(200);
    };
    const throughSovi = async (url: string) => {
      const config = await migrateBenchDatabase(url);
      const database = await openDatabase(config, logger, { applicationName: 'bench pull sovi' });
      const puller = await createMetricsPuller({
        db: database.db,
        pool: database.pool,
        logger,
        settings: {
          ...defaultMetricsPullSettings,
          collectors: { tiktok: 'official', instagram: 'official' },
          apiUrls: urls,
        },
        ingest: defaultIngestSettings,
        tokens: {
          accessFor: async (id) => access.get(id) ?? null,
          rejected: async () => undefined,
          succeeded: async () => undefined,
        },
      });
      const before = tiktok.requests.length + instagram.requests.length;
      try {
        const report = await puller.pull();
        if (report.failures.length > 0 || report.deferred > 0)
          throw new Error(
            `the bench pull did not read everything: ${JSON.stringify(report.failures.slice(0, 3))}`,
          );
        return { report, calls: tiktok.requests.length + instagram.requests.length - before };
      } finally {
        await puller.close();
        await database.close();
      }
    };
    // A warm-up of each path on its own copy (JIT, connections), then three measured rounds in alternating
    // order, each run on a fresh copy of the seeded database; the medians are compared.
    await raw(await copy(), fleet, urls);
    reset();
    await throughSovi(await copy());
    const soviRuns: Awaited<ReturnType<typeof throughSovi>>[] = [];
    const rawRuns: Awaited<ReturnType<typeof raw>>[] = [];
    for (const order of [
      ['sovi', 'raw'],
      ['raw', 'sovi'],
      ['sovi', 'raw'],
    ] as const) {
      for (const which of order) {
        reset();
        if (which === 'sovi') soviRuns.push(await throughSovi(await copy()));
        else rawRuns.push(await raw(await copy(), fleet, urls));
      }
    }
    const { report, calls: soviCalls } = soviRuns.sort(
      (a, b) => a.report.durationMs - b.report.durationMs,
    )[1]!;
    const baseline = rawRuns.sort((a, b) => a.ms - b.ms)[1]!;
    const take = await takeLatency(await copy());

    const posts = fleet.accounts.reduce((n, a) => n + a.posts.length, 0);
    const perSecond = (count: number, ms: number) =>
      `${Math.round(count / (ms / 1000)).toLocaleString('en')}/s`;
    const ttCalls = fleet.accounts
      .filter((a) => a.platform === 'tiktok')
      .reduce((n, a) => n + Math.ceil(a.posts.length / 20) + 1, 0);
    const igPerToken = sizes.instagram[1] + 1;
    return {
      title: 'Metric pulls (bench/metrics-pull.ts)',
      notes: [
        `${posts.toLocaleString('en')} posts on ${fleet.accounts.length} accounts (${sizes.tiktok[0]} TikTok × ${sizes.tiktok[1]} posts, ` +
          `${sizes.instagram[0]} Instagram × ${sizes.instagram[1]}), read from local fakes of the Display API and ` +
          'the Graph API and stored as snapshots. Baseline: the same calls made directly in sequence, then one ' +
          'ingestSnapshots of the same rows, into a copy of the same database. Each path ran once to warm ' +
          'up, then three times in alternating order; the medians are compared.',
        `Limits: TikTok's ${ttCalls} calls against 600 a minute per endpoint (the fake enforces it; sovi's budget ` +
          `kept all of them in one window); Instagram's ${igPerToken} calls per token against 200 an hour.`,
        'The budget lives in PostgreSQL (one row per key, shared by every sovi process): each call is one ' +
          'take() statement first, timed below one after another on one connection.',
      ],
      rows: [
        {
          what: 'posts read and stored per second',
          sovi: perSecond(report.read, report.durationMs),
          baseline: perSecond(baseline.rows, baseline.ms),
          ratio: `${(baseline.ms / report.durationMs).toFixed(2)}×`,
        },
        {
          what: 'calls made to the platforms',
          sovi: String(soviCalls),
          baseline: String(baseline.calls),
          ratio: `${(soviCalls / baseline.calls).toFixed(2)}×`,
        },
        {
          what: 'take() granted, p50 / p99 ms (600 a minute, filling)',
          sovi: p50p99(take.granted),
          baseline: `${p50p99(take.baseline)} (SELECT 1)`,
          ratio: `${(quantile(take.granted, 0.5) / quantile(take.baseline, 0.5)).toFixed(2)}× (p50)`,
        },
        {
          what: 'take() refused (window full), p50 / p99 ms',
          sovi: p50p99(take.refused),
          baseline: `${p50p99(take.baseline)} (SELECT 1)`,
          ratio: `${(quantile(take.refused, 0.5) / quantile(take.baseline, 0.5)).toFixed(2)}× (p50)`,
        },
        {
          what: 'take() with 9,000–10,000 calls in the window, p50 / p99 ms',
          sovi: p50p99(take.large),
          baseline: `${p50p99(take.baseline)} (SELECT 1)`,
          ratio: `${(quantile(take.large, 0.5) / quantile(take.baseline, 0.5)).toFixed(2)}× (p50)`,
        },
        {
          what: 'whole pull',
          sovi: `${(report.durationMs / 1000).toFixed(2)} s`,
          baseline: `${(baseline.ms / 1000).toFixed(2)} s`,
          ratio: `${(report.durationMs / baseline.ms).toFixed(2)}× the time`,
        },
      ],
    };
  } finally {
    await Promise.all([tiktok.close(), instagram.close()]);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      'tiktok-accounts': { type: 'string', default: '100' },
      'instagram-accounts': { type: 'string', default: '20' },
      'print-only': { type: 'boolean', default: false },
    },
  });
  const server = await openBenchServer();
  try {
    const section = await metricsPullBench(server, {
      tiktokAccounts: Number(values['tiktok-accounts']),
      instagramAccounts: Number(values['instagram-accounts']),
    });
    process.stdout.write(`${renderSection(section)}\n`);
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
