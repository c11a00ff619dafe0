// A platform that rejects a rendered file says why in its own words; sovi's render quality checks
// (quality.ts) measure the same things before a post goes out. This maps one to the other, so that a
// rejected post's advice names the check that would have caught it (and says so when none would).
//   TikTok fail_reason: https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
//   Instagram container status and error subcodes (2207026 "unsupported video format"):
//     https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes
import type { QUALITY_WEIGHTS } from './quality.ts';

type CheckName = keyof typeof QUALITY_WEIGHTS;

/** What each check a rejection can point at measures, in a person's words. */
const measures: Partial<Record<CheckName, string>> = {
  video_codec: 'an MP4 with H.264 video',
  duration: 'a length within the platform’s limits',
  resolution: '1080x1920 (9:16)',
  faststart: 'the index (moov) before the media data',
};

/** Platform words → the check, first match wins. TikTok's codes are exact; Instagram's are prose. */
const rules: [RegExp, CheckName][] = [
  [/file_format_check_failed|2207026|codec|format/i, 'video_codec'],
  [/duration_check_failed|duration|too (long|short)/i, 'duration'],
  [/picture_size_check_failed|aspect ratio|resolution|dimension/i, 'resolution'],
  [/moov|faststart|streamable/i, 'faststart'],
];

/** Rejections no render check measures (yet): said so, rather than blaming a check that passed. */
const unchecked: [RegExp, string][] = [[/frame_rate_check_failed|frame rate/i, 'the frame rate (23–60 fps)']];

/** The render quality check that would have caught a file the platform rejected with these words. */
export function qualityCheckFor(platformSaid: string): CheckName | undefined {
  return rules.find(([words]) => words.test(platformSaid))?.[1];
}

/** Whether the platform's words say the file itself was rejected (not the account, not the network). */
export const isFileRejection = (platformSaid: string): boolean =>
  qualityCheckFor(platformSaid) !== undefined || unchecked.some(([words]) => words.test(platformSaid));

/** What to do about a file the platform rejected: the check that would have caught it, then re-render. */
export function rejectedFileAdvice(platformSaid: string): string {
  const check = qualityCheckFor(platformSaid);
  if (check) {
    return (
      `the file was rejected: the render quality check "${check}" (${measures[check]}) would have caught ` +
      'it; see the content’s quality report (sovi content show), re-render it, then retry the post'
    );
  }
  const what = unchecked.find(([words]) => words.test(platformSaid))?.[1];
  return what
    ? `the file was rejected for ${what}, which no render quality check measures yet: re-render it, then retry the post`
    : 'the file was rejected: see the content’s quality report (sovi content show), re-render it, then retry the post';
}
