// The official TikTok connector: Direct Post through the Content Posting API, for connected accounts only.
//
//   1. creator_info (https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info): the
//      privacy levels this creator may post with. The distribution's level is used when offered; when the
//      only one offered is SELF_ONLY (an unaudited client), the post goes out private and says so.
//   2. init (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post): post_info from the
//      distribution's options (title, privacy, comments/duet/stitch, branded content, is_aigc), source
//      FILE_UPLOAD with the declared chunking.
//   3. upload (https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide): PUT each chunk
//      with Content-Range; chunks of 5–64 MB, the last taking the remainder; a file under 5 MB
//      is one chunk.
//   4. status (https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status): polled with
//      a growing wait until PUBLISH_COMPLETE or FAILED.
// Each step's outcome is saved (platform_publishes) before the next, so a retried job resumes: a publish
// already initialised is uploaded from the bytes TikTok has, one being processed is polled. Nothing is posted
// until the last chunk arrives, so an initialisation lost to a crash posts nothing and is simply redone.
// Initialisations per account per minute are counted here, under TikTok's limit, before TikTok refuses them.
import fs from 'node:fs/promises';
import { tiktokCall } from '../connections/tiktok-api.ts';
import { PlatformError, platformFetch, unexpectedAnswer } from '../connections/platform-http.ts';
import type { PrivacyLevel } from '../distributions/distribution-model.ts';
import { isFileRejection, rejectedFileAdvice } from '../media/rejected-file.ts';
import { officialPublisher, pollUntil, postText, type PostProgress } from './official-connector.ts';
import {
  PublishError,
  requireVideo,
  type PublishRequest,
  type PublishResult,
  type PublisherContext,
} from './publisher.ts';

const MB = 1024 * 1024;

const tiktokPrivacy: Record<PrivacyLevel, string> = {
  public: 'PUBLIC_TO_EVERYONE',
  followers: 'FOLLOWER_OF_CREATOR',
  friends: 'MUTUAL_FOLLOW_FRIENDS',
  private: 'SELF_ONLY',
};

/** The chunking TikTok's media transfer guide asks for. */
export function tiktokChunks(size: number): { chunkSize: number; totalChunkCount: number } {
  // Under 10 MB: one chunk (a file under 5 MB must be one). Then 5 MB chunks, 64 MB ones past 500 MB; the
  // last chunk takes the remainder, so it is under twice the chunk size (at most 128 MB, as TikTok allows).
  if (size < 10 * MB) return { chunkSize: size, totalChunkCount: 1 };
  const chunkSize = size <= 500 * MB ? 5 * MB : 64 * MB;
  return { chunkSize, totalChunkCount: Math.floor(size / chunkSize) };
}

interface CreatorInfo {
  privacy_level_options?: string[];
  comment_disabled?: boolean;
  duet_disabled?: boolean;
  stitch_disabled?: boolean;
}

interface StatusAnswer {
  status?: string;
  fail_reason?: string;
  publicaly_available_post_id?: (number | string)[];
  uploaded_bytes?: number;
}

export const createTikTokPublisher = officialPublisher('tiktok', ({ context, deps, poll, timeoutMs }) => {
  const settings = deps.settings.tiktok;

  return async function publish(request: PublishRequest, resumed: PostProgress): Promise<PublishResult> {
    const { signal } = request;
    const { save, session, reload } = resumed;
    let { progress } = resumed;
    const call = <T>(path: string, body: unknown) =>
      session.call((token, limits) => tiktokCall<T>(settings, token, path, body, limits));
    let note: string | null = null;

    if (!progress || progress.stage === 'initialising' || !progress.publishId) {
      const info = await call<CreatorInfo>('/v2/post/publish/creator_info/query/', {});
      const offered = info.privacy_level_options ?? [];
      const wanted = tiktokPrivacy[request.options.privacyLevel];
      let privacy = wanted;
      if (!offered.includes(wanted)) {
        if (offered.length === 1 && offered[0] === 'SELF_ONLY') {
          privacy = 'SELF_ONLY';
          note =
            'TikTok offers this account only private posts (SELF_ONLY): the developer app is not audited yet';
        } else {
          throw new PlatformError(
            'tiktok',
            'rejected',
            'privacy_level_option_mismatch',
            `TikTok does not offer privacy ${wanted} to ${request.account.username} (offered: ${offered.join(', ') || 'none'})`,
          );
        }
      }
      if (context.media) await requireVideo(context.media, request.videoKey);
      const size = await videoSize(context, request);
      const { chunkSize, totalChunkCount } = tiktokChunks(size);
      // TikTok allows a few initialisations a minute per user token: wait for the window rather than be refused.
      const slot = await resumed.stampInitialisation(
        { privacyLevel: privacy, ...(note ? { note } : {}) },
        settings.publishInitsPerMinute,
      );
      if (!slot.stamped) {
        throw new PublishError(
          `sovi keeps TikTok publish initialisations to ${settings.publishInitsPerMinute} a minute per account: deferred`,
          true,
          {
            platformCode: 'rate_limit_exceeded',
            advice: 'sovi waits for the window and tries again',
            deferMs: Math.max(1_000, slot.freeAt.getTime() - Date.now()),
          },
        );
      }
      const init = await call<{ publish_id?: string; upload_url?: string }>('/v2/post/publish/video/init/', {
        post_info: {
          title: postText(request.caption, request.hashtags, 2_200),
          privacy_level: privacy,
          disable_comment: !request.options.allowComments || info.comment_disabled === true,
          disable_duet: !request.options.allowDuet || info.duet_disabled === true,
          disable_stitch: !request.options.allowStitch || info.stitch_disabled === true,
          brand_content_toggle: request.options.brandedContent,
          brand_organic_toggle: request.options.brandOrganic,
          is_aigc: request.options.aiGenerated,
        },
        source_info: {
          source: 'FILE_UPLOAD',
          video_size: size,
          chunk_size: chunkSize,
          total_chunk_count: totalChunkCount,
        },
      });
      if (!init.publish_id || !init.upload_url)
        throw new PlatformError('tiktok', 'transient', 'no_publish_id', 'TikTok init answered no publish_id');
      await save('uploading', {
        publishId: init.publish_id,
        detail: { uploadUrl: init.upload_url, videoSize: size, chunkSize, totalChunkCount },
      });
      progress = await reload();
    }

    const publishId = progress!.publishId!;
    const status = () => call<StatusAnswer>('/v2/post/publish/status/fetch/', { publish_id: publishId });

    if (progress!.stage === 'uploading') {
      const d = progress!.detail as {
        uploadUrl: string;
        videoSize: number;
        chunkSize: number;
        totalChunkCount: number;
      };
      // A resumed upload starts at the first chunk TikTok does not have.
      const uploaded = progress!.detail.resumed === undefined ? 0 : ((await status()).uploaded_bytes ?? 0);
      await save('uploading', { detail: { resumed: true } });
      const video = await openVideo(context, request);
      try {
        for (let i = Math.floor(uploaded / d.chunkSize); i < d.totalChunkCount; i++) {
          const first = i * d.chunkSize;
          const last = i === d.totalChunkCount - 1 ? d.videoSize - 1 : first + d.chunkSize - 1;
          const chunk = await video.read(first, last);
          const res = await platformFetch('tiktok', d.uploadUrl, {
            method: 'PUT',
            headers: {
              'content-type': 'video/mp4',
              'content-range': `bytes ${first}-${last}/${d.videoSize}`,
              'content-length': String(chunk.length),
            },
            body: chunk,
            timeoutMs: Math.max(timeoutMs, 120_000),
            signal,
          });
          if (res.status !== 206 && res.status !== 201)
            throw unexpectedAnswer('tiktok', `upload of chunk ${i + 1}/${d.totalChunkCount}`, res);
        }
      } finally {
        await video.close();
      }
      await save('processing');
    }

    const final = await pollUntil(
      async () => {
        const s = await status();
        return s.status === 'PUBLISH_COMPLETE' || s.status === 'FAILED' ? s : undefined;
      },
      { ...poll, signal },
    );
    await session.succeeded(note ?? (progress?.detail.note as string | undefined) ?? null);
    if (final.status === 'FAILED') {
      const reason = `TikTok failed the post: ${final.fail_reason ?? 'no reason given'}`;
      await save('failed', { detail: { reason, failReason: final.fail_reason ?? null } });
      throw new PublishError(reason, false, {
        platformCode: final.fail_reason ?? 'FAILED',
        advice: adviceFor(final.fail_reason),
      });
    }
    // A private (SELF_ONLY) post has no public id: its publish id names it.
    const postId =
      final.publicaly_available_post_id?.[0] !== undefined
        ? String(final.publicaly_available_post_id[0])
        : publishId;
    await save('published', { platformPostId: postId });
    const done = await reload();
    const limited = typeof done!.detail.note === 'string' ? done!.detail.note : undefined;
    return { platformPostId: postId, postedAt: done!.updatedAt, ...(limited ? { note: limited } : {}) };
  };
});

/** What to do about a processing failure, from TikTok's fail_reason values. */
function adviceFor(reason: string | undefined): string {
  if (!reason) return 'check the video and retry the post';
  if (isFileRejection(reason)) return rejectedFileAdvice(reason);
  if (reason.includes('spam') || reason.includes('banned'))
    return 'TikTok limits this account: wait, then retry';
  return 'check the video and retry the post';
}

/** The video's size: from the media store, or (a publisher given no store, in tests) its local file. */
async function videoSize(context: PublisherContext, request: PublishRequest): Promise<number> {
  if (context.media) return (await context.media.stat(request.videoKey)).size;
  return (await fs.stat(request.videoPath)).size;
}

/** Reads the video a chunk (inclusive byte range) at a time, from the store or the local file. */
async function openVideo(
  context: PublisherContext,
  request: PublishRequest,
): Promise<{ read(first: number, last: number): Promise<Buffer>; close(): Promise<void> }> {
  const media = context.media;
  if (media) {
    return {
      read: async (first, last) => {
        const parts: Buffer[] = [];
        for await (const part of await media.read(request.videoKey, { start: first, end: last }))
          parts.push(part as Buffer);
        return Buffer.concat(parts);
      },
      close: async () => undefined,
    };
  }
  const file = await fs.open(request.videoPath, 'r');
  return {
    read: async (first, last) => {
      const chunk = Buffer.alloc(last - first + 1);
      await file.read(chunk, 0, chunk.length, first);
      return chunk;
    },
    close: () => file.close(),
  };
}
