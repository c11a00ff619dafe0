// What a media key may be, in one place: the media store, the signed URLs and the route that serves them
// all check keys here. A key is a relative path of plain segments, so it can never name anything outside
// the store (no "..", no absolute path, no hidden file such as a half-written ".x.partial.mp4").
import path from 'node:path';

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const MAX_KEY_LENGTH = 512;
const MAX_SEGMENTS = 8;

export function isMediaKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  const segments = key.split('/');
  return segments.length <= MAX_SEGMENTS && segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
}

/** Where a piece of content's rendered video is kept: the same key in every store. */
export const videoKeyOf = (contentId: string): string => `${contentId}/video.mp4`;

/**
 * The key of a rendered file under the local media folder (its output_path), or undefined for a file that
 * lies elsewhere.
 */
export function mediaKeyOfPath(mediaDir: string, file: string): string | undefined {
  const relative = path.relative(path.resolve(mediaDir), path.resolve(file));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const key = relative.split(path.sep).join('/');
  return isMediaKey(key) ? key : undefined;
}

const TYPES: Readonly<Record<string, string>> = {
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.m4a': 'audio/mp4',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.srt': 'application/x-subrip',
  '.json': 'application/json',
};

/** The Content-Type a key is served with, from its extension. */
export const contentTypeOf = (key: string): string =>
  TYPES[path.extname(key).toLowerCase()] ?? 'application/octet-stream';
