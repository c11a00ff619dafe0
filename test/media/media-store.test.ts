// @no-database
// The media store, as a folder and as an S3-compatible bucket (s3rver on 127.0.0.1): what goes in comes out
// whole or by range, a key the store lacks is a not_found error naming the key and the store, and a key that
// could reach outside the store is refused before anything is opened.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createFileMediaStore } from '../../src/media/file-media-store.ts';
import { mediaKeyOfPath, videoKeyOf } from '../../src/media/media-keys.ts';
import { openMediaStore, type MediaStore } from '../../src/media/media-store.ts';
import { SoviError } from '../../src/errors.ts';
import { startLocalS3, type LocalS3 } from '../helpers/s3-server.ts';
import { canary, findCanaries } from '../helpers/canary.ts';

let dir: string;
let s3: LocalS3;
let source: string;
const body = 'sovi media bytes 0123456789';

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-media-store-'));
  source = path.join(dir, 'rendered.mp4');
  await fs.writeFile(source, body);
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<MediaStore>][] = [
  ['a shared folder', async () => createFileMediaStore(path.join(dir, 'shared'))],
  ['an S3-compatible bucket', () => openMediaStore(s3.settings('renders'))],
];

describe.each(stores)('the media store as %s', (_name, open) => {
  it('keeps a file under its key, whole and by range', async () => {
    const store = await open();
    const key = videoKeyOf('0b3c43a4-8a4b-4c4e-9d8e-3c2c1c0a0b01');
    await expect(store.put(key, source)).resolves.toEqual({
      key,
      size: body.length,
      contentType: 'video/mp4',
    });
    await expect(store.stat(key)).resolves.toMatchObject({ size: body.length });
    expect(await text(await store.read(key))).toBe(body);
    expect(await text(await store.read(key, { start: 5, end: 9 }))).toBe('media');
    store.close?.();
  });

  it('says which key is missing, and from where, instead of skipping it', async () => {
    const store = await open();
    const err = await store.stat('nobody/video.mp4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SoviError);
    expect((err as SoviError).code).toBe('not_found');
    expect((err as SoviError).message).toContain('media nobody/video.mp4 is not in the media store');
    expect((err as SoviError).message).toContain(store.description);
    await expect(store.read('nobody/video.mp4')).rejects.toMatchObject({ code: 'not_found' });
    store.close?.();
  });

  it('refuses keys that could reach outside it', async () => {
    const store = await open();
    for (const key of [
      '../etc/passwd',
      '/etc/passwd',
      'a/../../b',
      '.hidden/x',
      'a//b',
      '',
      'a/.x.partial.mp4',
    ])
      await expect(store.stat(key), key).rejects.toMatchObject({ code: 'invalid_input' });
    store.close?.();
  });
});

describe('the folder store', () => {
  it('treats a link leading outside the folder as missing', async () => {
    const root = path.join(dir, 'linked');
    await fs.mkdir(path.join(root, 'c1'), { recursive: true });
    await fs.symlink(source, path.join(root, 'c1', 'video.mp4'));
    await expect(createFileMediaStore(root).stat('c1/video.mp4')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('is a no-op for a file already in place, and the default is the media folder', async () => {
    const config = loadConfig({ SOVI_HOME: dir });
    expect(config.media.store).toEqual({ kind: 'file', dir: config.content.mediaDir });
    const file = path.join(config.content.mediaDir, 'c2', 'video.mp4');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, body);
    const store = await openMediaStore(config.media.store);
    expect(mediaKeyOfPath(config.content.mediaDir, file)).toBe('c2/video.mp4');
    await expect(store.put('c2/video.mp4', file)).resolves.toMatchObject({ size: body.length });
  });
});

describe('the store’s and the signing key’s secrets', () => {
  it('never appear in a configuration error or a store error', async () => {
    const secret = canary('s3-secret');
    const signing = canary('signing-key');
    const messages: string[] = [];
    const failure = (fn: () => unknown): string => {
      try {
        fn();
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    };
    messages.push(
      failure(() =>
        loadConfig({ SOVI_MEDIA_STORE: 's3://sovi-media', SOVI_MEDIA_S3_SECRET_ACCESS_KEY: secret }),
      ),
      failure(() => loadConfig({ SOVI_MEDIA_SIGNING_KEY: signing })),
    );
    // A bucket that refuses the credentials: the error names the store, not the key.
    const store = await openMediaStore({
      ...s3.settings(),
      credentials: { accessKeyId: 'NOBODY', secretAccessKey: secret },
    });
    messages.push(
      await store.put('c/x.mp4', source).then(
        () => 'stored',
        (err: unknown) => (err as Error).message,
      ),
    );
    store.close?.();
    expect(messages[0]).toMatch(/SOVI_MEDIA_S3_SECRET_ACCESS_KEY/);
    expect(messages[1]).toMatch(/SOVI_MEDIA_SIGNING_KEY: expected base64/);
    expect(messages[2]).toMatch(/^media store s3:\/\/media\/: storing c\/x\.mp4 failed/);
    expect(findCanaries(messages.join('\n'))).toEqual([]);
  });
});

describe('SOVI_MEDIA_STORE', () => {
  it('takes a file URL, a folder or an S3 bucket, and names itself when wrong', () => {
    expect(loadConfig({ SOVI_MEDIA_STORE: 'file:///srv/sovi-media' }).media.store).toEqual({
      kind: 'file',
      dir: '/srv/sovi-media',
    });
    expect(
      loadConfig({
        SOVI_MEDIA_STORE: 's3://sovi-media/renders',
        SOVI_MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000',
      }).media.store,
    ).toMatchObject({
      kind: 's3',
      bucket: 'sovi-media',
      prefix: 'renders/',
      endpoint: 'http://127.0.0.1:9000',
    });
    expect(() => loadConfig({ SOVI_MEDIA_STORE: 's3://A_B' })).toThrow(
      /SOVI_MEDIA_STORE: "A_B" is not a bucket name/,
    );
    expect(() => loadConfig({ SOVI_MEDIA_STORE: 'ftp://x/y' })).toThrow(/SOVI_MEDIA_STORE/);
    expect(() =>
      loadConfig({ SOVI_MEDIA_STORE: 's3://sovi-media', SOVI_MEDIA_S3_ACCESS_KEY_ID: 'only-the-id' }),
    ).toThrow(/SOVI_MEDIA_S3_SECRET_ACCESS_KEY/);
  });
});
