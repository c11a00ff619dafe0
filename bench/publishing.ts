// Publishing through the official connectors, against the local fakes of TikTok's and Instagram's APIs:
// sovi's time per post (connect once, then for TikTok creator_info, init, the chunked upload and the status
// polls; for Instagram the publishing limit, the container, its polls and media_publish, each step saved
// beside the distribution) against the fake's own processing delay, which is the floor no publisher can
// beat. The overhead is what sovi adds per post beyond that delay.
// As in production, each video is in the media store under its content's key: TikTok's publisher reads the
// chunks from the store, and Instagram's fake fetches the video from sovi's own signed /media/ URL, served by
// the API app (buildApp) from the store, so the signature check and the store's read are measured too.
// `node bench/publishing.ts` runs it on its own and prints the section.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { finishConnect, startConnect } from '../src/connections/connections-service.ts';
import { createDb, createPool } from '../src/db/pool.ts';
import { publishDistribution } from '../src/distributions/publishing.ts';
import { buildApp } from '../src/http/app.ts';
import { createFileMediaStore } from '../src/media/file-media-store.ts';
import { videoKeyOf } from '../src/media/media-keys.ts';
import { signedMediaUrl, type MediaSigning } from '../src/media/signed-media-url.ts';
import { loadPublishers } from '../src/plugins/load-plugins.ts';
import { loadPolicies } from '../src/policies.ts';
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
  const store = createFileMediaStore(path.join(dir, 'store'));
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
  // sovi's API serves the store's videos at signed URLs; the fake fetches them from it.
  const secret = randomBytes(32);
  const app = await buildApp({
    db,
    pool,
    logger,
    vault,
    config,
    policies: loadPolicies(config),
    media: { store, signing: { publicUrl: undefined, secret } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const signing: MediaSigning = {
    publicUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    secret,
  };
  // The polls start at 50 ms and double to at most 200 ms: a post is noticed at most ~200 ms after it is done.
  const publisher = await loadPublishers(
    config.connectors.publishers,
    { pollFirstMs: 50, pollMaxMs: 200 },
    {
      db,
      logger,
      vault,
      connectors: config.connectors,
      media: store,
      mediaUrlFor: async (key) => signedMediaUrl(signing, key, 600),
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
        // Rendering puts the finished video in the store under its content's key (src/content/pipeline.ts).
        await store.put(videoKeyOf(content.rows[0]!.id), file);
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
      const p95 = percentile(times[platform], 95);
      return {
        what,
        sovi: `${Math.round(p50)} ms per post (p95 ${Math.round(p95)} ms)`,
        baseline: `${PROCESSING_MS} ms (the fake's processing)`,
        ratio: `${(p50 / PROCESSING_MS).toFixed(2)}× (overhead ${Math.round(p50 - PROCESSING_MS)} ms, p95 ${Math.round(p95 - PROCESSING_MS)} ms)`,
      };
    };
    return {
      title: 'Publishing through the official connectors (bench/publishing.ts)',
      notes: [
        `${POSTS} posts per platform, one per connected account, one at a time, each video in a folder media store; TikTok: a 12 MB file read from the store in two chunks; Instagram: a 2 MB file the fake fetches from sovi's signed /media/ URL.`,
        'The overhead includes the status polls’ granularity (50 ms doubling to 200 ms), the upload over loopback and every step saved in platform_publishes.',
      ],
      rows: [
        row('tiktok', 'TikTok: creator_info, init, chunked upload, status until complete'),
        row('instagram', 'Instagram: limit, REELS container, status, media_publish'),
      ],
    };
  } finally {
    await publisher.close?.();
    await app.close();
    store.close?.();
    await db.destroy();
    await tiktok.close();
    await instagram.close();
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
