// The media store: where rendered videos go so that every sovi process can read them. With several hosts,
// the host that rendered a video is not always the one that serves or uploads it. A shared folder is the
// default (file-media-store.ts); an S3-compatible bucket is the option (s3-media-store.ts). A key that is
// not there is a clear not_found error naming the key and the store, never a silent skip.
import type { Readable } from 'node:stream';
import { SoviError } from '../errors.ts';
import type { MediaStoreSettings } from '../settings/media-settings.ts';
import { createFileMediaStore } from './file-media-store.ts';
import { isMediaKey } from './media-keys.ts';

export interface StoredMedia {
  key: string;
  size: number;
  contentType: string;
}

export interface MediaStore {
  /** Where it keeps media, for messages: "folder /srv/media" or "s3://bucket/prefix/". */
  readonly description: string;
  /** Copies a finished local file in under `key` (whole or not at all); a no-op when it is already there. */
  put(key: string, localFile: string, signal?: AbortSignal): Promise<StoredMedia>;
  /** The stored object's size and type; not_found when it is missing. */
  stat(key: string): Promise<StoredMedia>;
  /** Its bytes, or the inclusive range start–end of them; not_found when it is missing. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  close?(): void;
}

/** The error for a key a store does not hold. */
export const missingMedia = (key: string, store: string): SoviError =>
  new SoviError('not_found', `media ${key} is not in the media store (${store})`, { field: 'key', key });

export function checkKey(key: string): void {
  if (!isMediaKey(key)) {
    throw new SoviError('invalid_input', `key: "${key.slice(0, 80)}" is not a media key (a/b.mp4, no ..)`, {
      field: 'key',
    });
  }
}

/** The store the settings name. The S3 client is loaded only when a bucket is configured. */
export async function openMediaStore(settings: MediaStoreSettings): Promise<MediaStore> {
  if (settings.kind === 'file') return createFileMediaStore(settings.dir);
  const { createS3MediaStore } = await import('./s3-media-store.ts');
  return createS3MediaStore(settings);
}
