// Publishing through the official connectors, against the local fakes of TikTok's and Instagram's APIs:
// sovi's time per post (connect once, then for TikTok creator_info, init, the chunked upload and the status
// polls; for Instagram the publishing limit, the container, its polls and media_publish, each step saved
// beside the distribution) against the fake's own processing delay, which is the floor no publisher can
// beat. The overhead is what sovi adds per post beyond that delay.
// `node bench/publishing.ts` runs it on its own and prints the section.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { finishConnect, startConnect } from '../src/connections/connections-service.ts';
import { createDb, createPool } from '../src/db/pool.ts';
import { publishDistribution } from '../src/distributions/publishing.ts';
import { loadPublishers } from '../src/plugins/load-plugins.ts';
import { createVault } from '../src/vault/vault.ts';
import { loadConfig } from '../src/config.ts';
import { randomBytes } from 'node:crypto';
import { startInstagramFake } from '../test/fakes/instagram-api-fake.ts';
import { startTikTokFake } from '../test/fakes/tiktok-api-fake.ts';
import {
  logger,
  median,
  migrateBenchDatabase,
  percentile,
  type BenchServer,
  type Section,
} from './harness.ts';

const POSTS = 20;
const PROCESSING_MS = 300;
const MB = 1024 * 1024;

export async function publishingBench(server: BenchServer): Promise<Section> {
  const { name, url } = await server.createDatabase();
  await migrateBenchDatabase(url);
  const tiktok = await startTikTokFake();
  const instagram = await startInstagramFake();
  tiktok.options.processingMs = PROCESSING_MS;
  instagram.options.processingMs = PROCESSING_MS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-bench-publish-'));
  const media = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(req.url ?? '/'));
    res.writeHead(200, { 'content-type': 'video/mp4' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  const mediaUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  const config = loadConfig({
    DATABASE_URL: url,
    SOVI_PUBLIC_URL: 'http://sovi.bench',
    SOVI_TIKTOK_CLIENT_KEY: tiktok.clientKey,
    SOVI_TIKTOK_CLIENT_SECRET: tiktok.clientSecret,
    SOVI_TIKTOK_AUTH_URL: `${tiktok.url}/v2/auth/authorize/`,
    SOVI_TIKTOK_API_URL: tiktok.url,
    SOVI_META_APP_ID: instagram.appId,
    SOVI_META_APP_SECRET: instagram.appSecret,
    SOVI_INSTAGRAM_AUTH_URL: `${instagram.url}/oauth/authorize`,
    SOVI_INSTAGRAM_TOKEN_URL: `${instagram.url}/oauth/access_token`,
    SOVI_INSTAGRAM_GRAPH_URL: instagram.url,
    SOVI_PUBLISHER_TIKTOK: 'official',
    SOVI_PUBLISHER_INSTAGRAM: 'official',
  });
  const pool = createPool(
    { url },
    { min: 0, max: 5, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );
  const db = createDb(pool);
  const vault = createVault({ keys: `k1:${randomBytes(32).toString('base64')}`, keyFile: undefined });
  const deps = { db, vault, settings: config.connectors, logger };
  // The polls start at 50 ms and double to at most 200 ms: a post is noticed at most ~200 ms after it is done.
  const publisher = await loadPublishers(
    config.connectors.publishers,
    { pollFirstMs: 50, pollMaxMs: 200 },
    {
      db,
      logger,
      vault,
      connectors: config.connectors,
      mediaUrlFor: async (p) => `${mediaUrl}/${path.basename(p)}`,
    },
  );
  const video = (size: number) => {
    const file = path.join(dir, `v-${randomBytes(4).toString('hex')}.mp4`);
    const bytes = Buffer.alloc(size, 1);
    bytes.write('\0\0\0\x18ftypisom', 0, 'latin1');
    fs.writeFileSync(file, bytes);
    return file;
  };
  try {
    const times: Record<'tiktok' | 'instagram', number[]> = { tiktok: [], instagram: [] };
    for (const platform of ['tiktok', 'instagram'] as const) {
      for (let i = 0; i < POSTS; i++) {
        const username = `bench_${platform}_${i}`;
        const { rows } = await pool.query<{ id: string }>(
          `INSERT INTO accounts (platform, username) VALUES ($1, $2) RETURNING id`,
          [platform, username],
        );
        const accountId = rows[0]!.id;
        const started = await startConnect(deps, accountId, { actor: 'bench', userId: null });
        const userId = platform === 'tiktok' ? `-000bench${i}` : String(17_841_000_000 + i);
        if (platform === 'tiktok')
          tiktok.creators.set(userId, {
            openId: userId,
            username,
            privacyLevelOptions: ['PUBLIC_TO_EVERYONE', 'SELF_ONLY'],
            unauditedClient: false,
          });
        const back = new URL(
          platform === 'tiktok'
            ? tiktok.authorize(started.url, userId)
            : instagram.authorize(started.url, userId),
        );
        const done = await finishConnect(deps, platform, Object.fromEntries(back.searchParams));
        if (!done.ok) throw new Error(done.message);
        const file = video(platform === 'tiktok' ? 12 * MB : 2 * MB);
        const content = await pool.query<{ id: string }>(
          `INSERT INTO content (topic, output_path) VALUES ('bench', $1) RETURNING id`,
          [file],
        );
        const d = await pool.query<{ id: string }>(
          `INSERT INTO distributions (content_id, account_id, platform, caption, hashtags) VALUES ($1, $2, $3, 'bench', '{bench}') RETURNING id`,
          [content.rows[0]!.id, accountId, platform],
        );
        const t0 = performance.now();
        const outcome = await publishDistribution(
          { db, publisher, logger, maxAttempts: 3 },
          d.rows[0]!.id,
          new AbortController().signal,
        );
        times[platform].push(performance.now() - t0);
        if (outcome.status !== 'posted')
          throw new Error(`bench post ${platform} ${i}: ${JSON.stringify(outcome)}`);
      }
    }
    const row = (platform: 'tiktok' | 'instagram', what: string) => {
      const p50 = median(times[platform]);
      return {
        what,
        sovi: `${Math.round(p50)} ms per post (p95 ${Math.round(percentile(times[platform], 95))} ms)`,
        baseline: `${PROCESSING_MS} ms (the fake's processing)`,
        ratio: `${(p50 / PROCESSING_MS).toFixed(2)}× (overhead ${Math.round(p50 - PROCESSING_MS)} ms)`,
      };
    };
    return {
      title: 'Publishing through the official connectors (local fakes)',
      notes: [
        `${POSTS} posts per platform, one per connected account, one at a time; TikTok: a 12 MB file in two chunks; Instagram: a 2 MB file fetched by the fake from a local server.`,
        'The overhead includes the status polls’ granularity (50 ms doubling to 200 ms), the upload over loopback and every step saved in platform_publishes.',
      ],
      rows: [
        row('tiktok', 'TikTok: creator_info, init, chunked upload, status until complete'),
        row('instagram', 'Instagram: limit, REELS container, status, media_publish'),
      ],
    };
  } finally {
    await publisher.close?.();
    await db.destroy();
    await tiktok.close();
    await instagram.close();
    await new Promise<void>((resolve) => media.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
    await server.dropDatabase(name);
  }
}

// On its own: `node bench/publishing.ts`.
if (import.meta.filename === process.argv[1]) {
  const { openBenchServer } = await import('./harness.ts');
  const { render } = await import('./report.ts');
  const server = await openBenchServer();
  try {
    console.log(render([await publishingBench(server)], server.label));
  } finally {
    await server.close();
  }
}
