// The media store as a folder: $SOVI_HOME/media by default, or a folder every host mounts (SOVI_MEDIA_STORE).
// A file is copied in under a hidden temporary name and renamed into place, so a reader on another host
// never sees half of it; a stored file reached through a symbolic link that leads outside the folder is
// treated as missing.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { writeAtomically } from './files.ts';
import { contentTypeOf } from './media-keys.ts';
import { checkKey, missingMedia, type MediaStore, type StoredMedia } from './media-store.ts';

export function createFileMediaStore(dir: string): MediaStore {
  const root = path.resolve(dir);
  const description = `folder ${root}`;
  const pathOf = (key: string) => {
    checkKey(key);
    return path.join(root, ...key.split('/'));
  };
  const locate = async (key: string): Promise<{ file: string; size: number }> => {
    const file = pathOf(key);
    try {
      const [real, realRoot] = await Promise.all([fsp.realpath(file), fsp.realpath(root)]);
      const relative = path.relative(realRoot, real);
      if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
        throw new Error('outside');
      const stat = await fsp.stat(real);
      if (!stat.isFile()) throw new Error('not a file');
      return { file: real, size: stat.size };
    } catch {
      throw missingMedia(key, description);
    }
  };
  const stored = (key: string, size: number): StoredMedia => ({ key, size, contentType: contentTypeOf(key) });

  return {
    description,
    async put(key, localFile, signal) {
      const target = pathOf(key);
      const source = path.resolve(localFile);
      if (source !== target) {
        await writeAtomically(target, async (temp) => {
          signal?.throwIfAborted();
          await fsp.copyFile(source, temp);
        });
      }
      return stored(key, (await locate(key)).size);
    },
    async stat(key) {
      return stored(key, (await locate(key)).size);
    },
    async read(key, range): Promise<Readable> {
      const { file } = await locate(key);
      return fs.createReadStream(file, range ?? {});
    },
  };
}
