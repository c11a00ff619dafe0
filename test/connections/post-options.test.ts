// What the official connectors pass from a distribution's options (TikTok's post_info), and what they say
// when a platform rejects the file: the render quality check that would have caught it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectedFileAdvice } from '../../src/media/rejected-file.ts';
import { useTestDatabase } from '../helpers/database.ts';
import {
  MB,
  connectAccount,
  eventsOf,
  pendingPost,
  publish,
  startHarness,
  videoFile,
  type Harness,
} from './connector-harness.ts';

const t = useTestDatabase();
let h: Harness;

beforeAll(async () => {
  h = await startHarness(t);
});
afterAll(async () => h?.close());

describe('TikTok post options', () => {
  it('are passed from the distribution: comments, duet, stitch, both brand flags, the AI label', async () => {
    const { accountId, platformUserId } = await connectAccount(h, t, 'tiktok');
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB), {
      allowComments: false,
      allowDuet: false,
      allowStitch: true,
      brandOrganic: true,
      brandedContent: false,
    });
    expect((await publish(h, t, id)).status).toBe('posted');
    const post = [...h.tiktok.publishes.values()].find((p) => p.openId === platformUserId)!;
    expect(post.postInfo).toMatchObject({
      disable_comment: true,
      disable_duet: true,
      disable_stitch: false,
      brand_organic_toggle: true,
      brand_content_toggle: false,
      is_aigc: true,
    });
  });
});

describe('a rejected file', () => {
  it('TikTok’s file_format_check_failed names the video_codec check in the post_failed event', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB, false));
    expect((await publish(h, t, id)).status).toBe('failed');
    const [failed] = await eventsOf(t, 'post_failed', accountId);
    expect(failed!.context).toMatchObject({ platformCode: 'file_format_check_failed' });
    expect(String(failed!.context.advice)).toMatch(/render quality check "video_codec" \(an MP4 with H\.264/);
  });

  it('Instagram’s unsupported codec names the video_codec check too', async () => {
    const { accountId } = await connectAccount(h, t, 'instagram');
    h.instagram.options.failProcessing = 'The video codec is not supported (2207026)';
    try {
      const id = await pendingPost(t, accountId, 'instagram', videoFile(h.mediaDir, 1 * MB));
      expect((await publish(h, t, id)).status).toBe('failed');
    } finally {
      h.instagram.options.failProcessing = undefined;
    }
    const [failed] = await eventsOf(t, 'post_failed', accountId);
    expect(String(failed!.context.advice)).toContain('"video_codec"');
  });

  it('each platform reason maps to its check, or says no check measures it', () => {
    expect(rejectedFileAdvice('duration_check_failed')).toContain('"duration"');
    expect(rejectedFileAdvice('picture_size_check_failed')).toContain('"resolution"');
    expect(rejectedFileAdvice('The video aspect ratio is not supported')).toContain('"resolution"');
    expect(rejectedFileAdvice('frame_rate_check_failed')).toMatch(/frame rate .*no render quality check/);
  });
});
