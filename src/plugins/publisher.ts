// The publisher contract: the one interface between sovi's distribution and whatever posts a video to a
// platform. sovi ships the simulator (simulator-publisher.ts) and the official connectors (tiktok-publisher.ts,
// instagram-publisher.ts); each platform chooses one (SOVI_PUBLISHER_TIKTOK, SOVI_PUBLISHER_INSTAGRAM), and
// any other is a plug-in loaded by module path.
import type { Platform } from '../platforms.ts';
import type { PostOptions } from '../distributions/distribution-model.ts';
import type { Db } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { SoviError } from '../errors.ts';
import type { MediaStore } from '../media/media-store.ts';
import type { ConnectorSettings } from '../settings/connector-settings.ts';
import type { Vault } from '../vault/vault.ts';

export interface PublishRequest {
  /**
   * The same for every attempt at one distribution. A publisher must honour it: a second call with a key it
   * has already posted returns that post instead of posting again (a worker may die after the platform
   * took the post and before sovi recorded it).
   */
  idempotencyKey: string;
  platform: Platform;
  account: { id: string; username: string };
  videoPath: string;
  /**
   * The video's key in the media store (src/media/media-store.ts), which every host can read: a publisher
   * uploads from there (store.read) or hands the platform a signed URL of it (signed-media-url.ts).
   */
  videoKey: string;
  caption: string;
  hashtags: string[];
  /**
   * The platform options to post with: privacy level, whether comments, duets and stitches are allowed, the
   * branded-content disclosure and the AI-generated content label (on for everything sovi produced).
   */
  options: PostOptions;
  /** The slot the post was scheduled for (null: as soon as possible); the job runs at it. */
  scheduledAt: Date | null;
  signal: AbortSignal;
}

export interface PublishResult {
  platformPostId: string;
  postedAt: Date;
  /** What the platform limited about the post (e.g. posted privately: the app is unaudited). */
  note?: string;
}

/** What a publisher knows of a platform's refusal, for the event: the platform's code and what to do. */
export interface PublishErrorInfo {
  platformCode?: string;
  /** What a person should do about it (reconnect, change the privacy option…). */
  advice?: string;
  /** A rate limit: the post waits (at least this long) and is tried again, without using up an attempt. */
  deferMs?: number;
}

/** A failed publish. `retryable`: worth trying again later (rate limit, network); otherwise final. */
export class PublishError extends Error {
  readonly retryable: boolean;
  readonly info: PublishErrorInfo;
  constructor(message: string, retryable: boolean, info: PublishErrorInfo = {}) {
    super(message);
    this.name = 'PublishError';
    this.retryable = retryable;
    this.info = info;
  }
}

export type PostStatus = 'live' | 'removed' | 'unknown';

export interface Publisher {
  readonly name: string;
  publish(request: PublishRequest): Promise<PublishResult>;
  /** Whether a post is still up; a publisher that cannot tell omits it. */
  status?(post: { platform: string; platformPostId: string }): Promise<PostStatus>;
  close?(): Promise<void>;
}

export interface PublisherContext {
  db: Db;
  logger: Logger;
  /** The media store rendered videos are read from (request.videoKey); absent in some tests. */
  media?: MediaStore;
  /** The official connectors': where connections' tokens are opened. */
  vault?: Vault;
  /** The official connectors' settings (API URLs, app credentials, rate limits). */
  connectors?: ConnectorSettings;
  /**
   * A URL the platform can fetch a stored video from (Instagram pulls a REELS video from a URL): sovi's signed
   * media URL under SOVI_PUBLIC_URL (src/media/signed-media-url.ts). Absent when no public URL is configured.
   */
  mediaUrlFor?: (videoKey: string) => Promise<string>;
}

/**
 * Checks that the video to post is in the media store, for a publisher to call once it knows it has not
 * posted the request's key already: a missing video is a final PublishError naming the key and the store
 * (never a silent skip); a store that cannot answer is worth a retry.
 */
export async function requireVideo(media: MediaStore, key: string): Promise<void> {
  try {
    await media.stat(key);
  } catch (err) {
    if (err instanceof SoviError && err.code === 'not_found')
      throw new PublishError(`the rendered video is missing: ${err.message}`, false);
    throw new PublishError(err instanceof Error ? err.message : String(err), true);
  }
}

/** What a plug-in module exports. `options` is SOVI_PUBLISHER_OPTIONS. */
export type PublisherFactory = (
  options: Readonly<Record<string, unknown>>,
  context: PublisherContext,
) => Publisher | Promise<Publisher>;
