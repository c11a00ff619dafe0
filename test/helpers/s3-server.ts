// A local S3-compatible server (s3rver) on 127.0.0.1, with one bucket, in a throwaway folder: the media
// store's S3 option is tested against it, never against a host outside this machine.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { MediaStoreSettings } from '../../src/settings/media-settings.ts';

export interface LocalS3 {
  /** Media store settings pointing at it (bucket "media", under the prefix). */
  settings(prefix?: string): Extract<MediaStoreSettings, { kind: 's3' }>;
  endpoint: string;
  close(): Promise<void>;
}

export async function startLocalS3(bucket = 'media'): Promise<LocalS3> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    settings: (prefix = '') => ({
      kind: 's3',
      bucket,
      prefix: prefix === '' ? '' : `${prefix.replace(/\/$/, '')}/`,
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      // s3rver's fixed credentials (it checks the signature made with them).
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
    close: async () => {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
