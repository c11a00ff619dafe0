// What the connector tests share: the two platform fakes, a sovi API configured against them and listening
// (Instagram's fake fetches each video from sovi's own signed media URL, out of the media store), and helpers to connect an account through the real OAuth
// round trip (API → fake's consent → callback) and to publish a distribution through the official publishers.
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { publishDistribution, type PublishOutcome } from '../../src/distributions/publishing.ts';
import { loadPublishers } from '../../src/plugins/load-plugins.ts';
import type { Publisher } from '../../src/plugins/publisher.ts';
import type { ConnectorSettings } from '../../src/settings/connector-settings.ts';
import { createFileMediaStore } from '../../src/media/file-media-store.ts';
import { videoKeyOf } from '../../src/media/media-keys.ts';
import type { MediaStore } from '../../src/media/media-store.ts';
import { signedMediaUrl, type MediaSigning } from '../../src/media/signed-media-url.ts';
import { keyLine, vaultWith } from '../helpers/accounts.ts';
import { registerCanary } from '../helpers/canary.ts';
import { quietLogger, type TestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';
import { startInstagramFake, type InstagramFake } from '../fakes/instagram-api-fake.ts';
import { startTikTokFake, type TikTokFake } from '../fakes/tiktok-api-fake.ts';

export const MB = 1024 * 1024;

/** The store of the running harness: where pendingPost puts each post's video. */
let currentStore: MediaStore | undefined;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Harness {
  tiktok: TikTokFake;
  instagram: InstagramFake;
  api: TestApp;
  mediaDir: string;
  store: MediaStore;
  publisher: Publisher;
  /** The official publishers again, with other connector settings (a shorter SOVI_PLATFORM_TIMEOUT_MS). */
  publisherWith(settings: Partial<ConnectorSettings>): Promise<Publisher>;
  /**
   * What a `sovi worker` needs to publish like the harness does: the connector settings, the vault key, the
   * media store; with the signing key, its signed URLs are the ones the harness's API serves.
   */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A file that looks like an MP4 to the fakes (an ftyp box first), of `size` bytes. */
export function videoFile(dir: string, size: number, valid = true): string {
  const file = path.join(dir, `video-${randomBytes(4).toString('hex')}.mp4`);
  const bytes = Buffer.alloc(size, 7);
  bytes.writeUInt32BE(24, 0);
  bytes.write(valid ? 'ftypisom' : 'notavide', 4, 'latin1');
  fs.writeFileSync(file, bytes);
  return file;
}

/** `extraEnv`: more settings for sovi, over the harness's own. */
export async function startHarness(t: TestDatabase, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const tiktok = await startTikTokFake();
  const instagram = await startInstagramFake();
  const mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-connectors-'));
  const store = createFileMediaStore(path.join(mediaDir, 'store'));
  currentStore = store;
  // sovi listens, so that Instagram's fake can fetch videos from its signed media URLs.
  const port = await freePort();
  const signing: MediaSigning = { publicUrl: `http://127.0.0.1:${port}`, secret: randomBytes(32) };
  const vaultKey = keyLine('k1');
  registerCanary(tiktok.clientSecret);
  registerCanary(instagram.appSecret);
  const env = {
    SOVI_PUBLIC_URL: signing.publicUrl!,
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
    SOVI_PLATFORM_TIMEOUT_MS: '10000',
    ...extraEnv,
  };
  const api = await startTestApp(t, { env, media: { store, signing }, vault: vaultWith(vaultKey) });
  await api.app.listen({ port, host: '127.0.0.1' });
  const publisherWith = (settings: Partial<ConnectorSettings>) =>
    loadPublishers(
      api.config.connectors.publishers,
      { pollFirstMs: 50, pollMaxMs: 200 },
      {
        db: t.db,
        logger: quietLogger,
        vault: api.vault,
        connectors: { ...api.config.connectors, ...settings },
        media: store,
        mediaUrlFor: async (key) => signedMediaUrl(signing, key, 600),
      },
    );
  const publisher = await publisherWith({});
  return {
    tiktok,
    instagram,
    api,
    mediaDir,
    store,
    publisher,
    publisherWith,
    env: {
      ...env,
      SOVI_VAULT_KEYS: vaultKey,
      SOVI_MEDIA_STORE: path.join(mediaDir, 'store'),
      SOVI_MEDIA_SIGNING_KEY: signing.secret.toString('base64'),
    },
    close: async () => {
      await api.close();
      await tiktok.close();
      await instagram.close();
      fs.rmSync(mediaDir, { recursive: true, force: true });
    },
  };
}

let n = 0;

/** Connects a new account through the real round trip; returns the account's id and its platform user id. */
export async function connectAccount(
  h: Harness,
  t: TestDatabase,
  platform: 'tiktok' | 'instagram',
  creator: { unauditedClient?: boolean; privacyLevelOptions?: string[] } = {},
): Promise<{ accountId: string; platformUserId: string; username: string }> {
  const username = `conn_${process.pid}_${++n}`;
  const account = await factories.account(t.pool, { platform, username });
  const accountId = String(account.id);
  const started = await h.api.call('POST', `/api/v1/accounts/${accountId}/connect`);
  expect(started.statusCode, started.body).toBe(201);
  const { url, connectId } = started.json<{ url: string; connectId: string }>();
  let platformUserId: string;
  let back: string;
  if (platform === 'tiktok') {
    platformUserId = `-000${randomBytes(8).toString('hex')}`;
    h.tiktok.creators.set(platformUserId, {
      openId: platformUserId,
      username,
      privacyLevelOptions: creator.privacyLevelOptions ?? [
        'PUBLIC_TO_EVERYONE',
        'MUTUAL_FOLLOW_FRIENDS',
        'SELF_ONLY',
      ],
      unauditedClient: creator.unauditedClient ?? false,
    });
    back = h.tiktok.authorize(url, platformUserId);
  } else {
    platformUserId = String(17_841_400_000_000_000n + BigInt(n));
    back = h.instagram.authorize(url, platformUserId);
  }
  const callback = new URL(back);
  expect(`${callback.origin}${callback.pathname}`).toBe(
    `${h.api.config.connectors.publicUrl}/oauth/callback/${platform}`,
  );
  const page = await h.api.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}` });
  expect(page.statusCode, page.body).toBe(200);
  expect(page.body).toContain('data-outcome="connected"');
  const outcome = await h.api.call('GET', `/api/v1/connections/requests/${connectId}`);
  expect(outcome.json()).toMatchObject({ status: 'connected' });
  return { accountId, platformUserId, username };
}

/** A pending distribution of new content rendered to `videoPath`, for `accountId`. */
export async function pendingPost(
  t: TestDatabase,
  accountId: string,
  platform: 'tiktok' | 'instagram',
  videoPath: string,
  options: Record<string, unknown> = {},
): Promise<string> {
  const content = await factories.content(t.pool, { output_path: videoPath });
  // Rendering puts a finished video in the media store; the publishers read it from there.
  await currentStore!.put(videoKeyOf(String(content.id)), videoPath);
  const d = await factories.distribution(t.pool, {
    content_id: content.id,
    account_id: accountId,
    platform,
    caption: 'A test caption',
    hashtags: ['focus', 'habits'],
    options: JSON.stringify({ privacyLevel: 'public', aiGenerated: true, ...options }),
  });
  return String(d.id);
}

export const publish = (
  h: Harness,
  t: TestDatabase,
  id: string,
  signal = new AbortController().signal,
  maxAttempts = 3,
  publisher = h.publisher,
): Promise<PublishOutcome> =>
  publishDistribution({ db: t.db, publisher, logger: quietLogger, maxAttempts }, id, signal);

export async function eventsOf(t: TestDatabase, type: string, accountId?: string) {
  const { rows } = await t.pool.query<{ message: string; context: Record<string, unknown> }>(
    `SELECT message, context FROM system_events WHERE event_type = $1 AND ($2::uuid IS NULL OR account_id = $2) ORDER BY id`,
    [type, accountId ?? null],
  );
  return rows;
}

export async function distribution(t: TestDatabase, id: string) {
  const { rows } = await t.pool.query<{ status: string; platform_post_id: string | null; attempts: number }>(
    'SELECT status, platform_post_id, attempts FROM distributions WHERE id = $1',
    [id],
  );
  return rows[0]!;
}
