// The official Instagram connector: Reels through the Instagram API's content publishing, for connected
// accounts only (https://developers.facebook.com/docs/instagram-platform/content-publishing).
//
//   1. content_publishing_limit (https://developers.facebook.com/docs/instagram-platform/reference/ig-user/content_publishing_limit):
//      read first; an account at its 24-hour quota is deferred, never sent past it.
//   2. POST /<ig-user-id>/media with media_type=REELS and a video_url Instagram fetches (sovi's signed media
//      URL, from the context's mediaUrlFor): a container.
//   3. GET /<container-id>?fields=status_code,status, polled with a growing wait until FINISHED (or ERROR /
//      EXPIRED: the post fails with Instagram's words).
//   4. POST /<ig-user-id>/media_publish with creation_id: the media id.
// Each step is saved (platform_publishes): a retried job polls the container it made. A job that died
// between media_publish and recording its answer finds the container PUBLISHED and fails for a person to
// check rather than publish again (the container API does not say the media id).
import { graphCall } from '../connections/instagram-api.ts';
import { PlatformError } from '../connections/platform-http.ts';
import { isFileRejection, rejectedFileAdvice } from '../media/rejected-file.ts';
import { platformRules } from '../platforms.ts';
import { officialPublisher, pollUntil, postText, type PostProgress } from './official-connector.ts';
import { PublishError, requireVideo, type PublishRequest, type PublishResult } from './publisher.ts';

interface Limit {
  data?: { quota_usage?: number; config?: { quota_total?: number; quota_duration?: number } }[];
}

export const createInstagramPublisher = officialPublisher('instagram', ({ context, deps, poll }) => {
  const settings = deps.settings.instagram;

  return async function publish(request: PublishRequest, resumed: PostProgress): Promise<PublishResult> {
    const { save, session, reload } = resumed;
    let { progress } = resumed;
    const graph = <T>(method: 'GET' | 'POST', path: string, params: Record<string, string>) =>
      session.call((token, limits) => graphCall<T>(settings, token, method, path, params, limits));
    const userId = session.access.platformUserId;

    const checkLimit = async () => {
      const limit = (
        await graph<Limit>('GET', `/${userId}/content_publishing_limit`, { fields: 'quota_usage,config' })
      ).data?.[0];
      const used = limit?.quota_usage ?? 0;
      const total = limit?.config?.quota_total ?? platformRules.instagram.maxPostsPerDay;
      if (used >= total) {
        throw new PublishError(
          `Instagram account ${request.account.username} has used its ${total} posts for the last 24 hours: deferred`,
          true,
          {
            platformCode: 'content_publishing_limit',
            advice: 'sovi waits for the 24-hour window and tries again',
            deferMs: 3_600_000,
          },
        );
      }
    };

    if (!progress || progress.stage === 'initialising' || !progress.publishId) {
      await checkLimit();
      if (!context.mediaUrlFor) {
        throw new PublishError(
          'Instagram fetches the video from a URL, and this sovi has no media URLs: set SOVI_PUBLIC_URL',
          false,
          {
            platformCode: 'no_media_url',
            advice: 'set SOVI_PUBLIC_URL so that Instagram can fetch rendered videos',
          },
        );
      }
      if (context.media) await requireVideo(context.media, request.videoKey);
      const videoUrl = await context.mediaUrlFor(request.videoKey);
      await save('initialising', { initialised: true });
      const container = await graph<{ id?: string }>('POST', `/${userId}/media`, {
        media_type: 'REELS',
        video_url: videoUrl,
        caption: postText(request.caption, request.hashtags, platformRules.instagram.captionMaxChars),
        share_to_feed: 'true',
      });
      if (!container.id)
        throw new PlatformError(
          'instagram',
          'transient',
          'no_container_id',
          'Instagram answered no container id',
        );
      await save('processing', { publishId: container.id });
      progress = await reload();
    }
    const containerId = progress!.publishId!;

    const state = await pollUntil(
      async () => {
        const s = await graph<{ status_code?: string; status?: string }>('GET', `/${containerId}`, {
          fields: 'status_code,status',
        });
        return s.status_code === 'IN_PROGRESS' || s.status_code === undefined ? undefined : s;
      },
      { ...poll, signal: request.signal },
    );
    if (state.status_code === 'ERROR' || state.status_code === 'EXPIRED') {
      const reason = `Instagram could not process the video (${state.status_code}): ${state.status ?? 'no reason given'}`;
      await save('failed', { detail: { reason } });
      await session.succeeded();
      throw new PublishError(reason, false, {
        platformCode: state.status_code,
        advice: isFileRejection(reason)
          ? rejectedFileAdvice(reason)
          : 'Instagram could not process the video: check that its URL is reachable, then retry the post',
      });
    }
    if (state.status_code === 'PUBLISHED') {
      const reason = `Instagram container ${containerId} is already published but sovi did not record the media id: check the account before retrying`;
      await save('failed', { detail: { reason } });
      throw new PublishError(reason, false, {
        platformCode: 'PUBLISHED',
        advice: 'check the account; the post is there',
      });
    }
    await checkLimit();
    await save('publishing');
    const media = await graph<{ id?: string }>('POST', `/${userId}/media_publish`, {
      creation_id: containerId,
    });
    if (!media.id)
      throw new PlatformError('instagram', 'transient', 'no_media_id', 'Instagram answered no media id');
    await save('published', { platformPostId: media.id });
    await session.succeeded();
    const done = await reload();
    return { platformPostId: media.id, postedAt: done!.updatedAt };
  };
});
