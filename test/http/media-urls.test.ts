// Signed media URLs and GET /media/<key>: a platform fetching a rendered video gets it (whole, or the byte
// range it asks for) while the signature holds; an expired, tampered, unsigned or path-escaping request gets
// the same bare 403, and nothing under /media/ is reachable without a signature. Served from a folder and
// from an S3-compatible bucket (s3rver on 127.0.0.1).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createFileMediaStore } from '../../src/media/file-media-store.ts';
import { openMediaStore, type MediaStore } from '../../src/media/media-store.ts';
import {
  mediaSignatureHolds,
  mediaSigning,
  signedMediaUrl,
  type MediaSigning,
} from '../../src/media/signed-media-url.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startLocalS3, type LocalS3 } from '../helpers/s3-server.ts';
import { keyLine } from '../helpers/accounts.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
const PUBLIC = 'https://sovi.example.test';
const signing: MediaSigning = { publicUrl: PUBLIC, secret: randomBytes(32) };
const video = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
let dir: string;
let api: TestApp;
let store: MediaStore;

/** The request path and query of a signed URL, for inject(). */
const local = (url: string) => url.slice(PUBLIC.length);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-media-urls-'));
  await fs.mkdir(path.join(dir, 'c1'));
  await fs.writeFile(path.join(dir, 'c1', 'video.mp4'), video);
  await fs.writeFile(path.join(dir, 'secret.txt'), 'not for you');
  store = createFileMediaStore(dir);
  api = await startTestApp(t, { media: { store, signing } });
});
afterAll(async () => {
  await api.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'GET', url, headers });

describe('a signed media URL', () => {
  it('serves the whole file with its type and length, and HEAD without the body', async () => {
    const url = signedMediaUrl(signing, 'c1/video.mp4', 600);
    expect(url).toMatch(
      /^https:\/\/sovi\.example\.test\/media\/c1\/video\.mp4\?expires=\d+&signature=[\w-]{43}$/,
    );
    const response = await get(local(url));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('video/mp4');
    expect(response.headers['content-length']).toBe('1000');
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.rawPayload.equals(video)).toBe(true);
    const head = await api.app.inject({ method: 'HEAD', url: local(url) });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('1000');
    expect(head.rawPayload.length).toBe(0);
  });

  it('serves byte ranges (206) and refuses one past the end (416)', async () => {
    const url = local(signedMediaUrl(signing, 'c1/video.mp4', 600));
    const first = await get(url, { range: 'bytes=0-99' });
    expect(first.statusCode).toBe(206);
    expect(first.headers['content-range']).toBe('bytes 0-99/1000');
    expect(first.headers['content-length']).toBe('100');
    expect(first.rawPayload.equals(video.subarray(0, 100))).toBe(true);
    const open = await get(url, { range: 'bytes=990-' });
    expect(open.headers['content-range']).toBe('bytes 990-999/1000');
    expect(open.rawPayload.equals(video.subarray(990))).toBe(true);
    const suffix = await get(url, { range: 'bytes=-10' });
    expect(suffix.rawPayload.equals(video.subarray(990))).toBe(true);
    const past = await get(url, { range: 'bytes=1000-1010' });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */1000');
  });

  it('stops working when it expires', async () => {
    const then = new Date(Date.now() - 3_600_000);
    const url = local(signedMediaUrl(signing, 'c1/video.mp4', 60, then));
    const response = await get(url);
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain('c1');
    expect(
      mediaSignatureHolds(signing, 'c1/video.mp4', queryOf(url), new Date(then.getTime() + 59_000)),
    ).toBe(true);
  });

  it('is refused when tampered with: another key, a later expiry, a changed signature, another secret', async () => {
    const url = local(signedMediaUrl(signing, 'c1/video.mp4', 600));
    const { expires, signature } = queryOf(url);
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    const other = signedMediaUrl({ publicUrl: PUBLIC, secret: randomBytes(32) }, 'c1/video.mp4', 600);
    for (const bad of [
      `/media/secret.txt?expires=${expires}&signature=${signature}`,
      `/media/c1/video.mp4?expires=${Number(expires) + 1}&signature=${signature}`,
      `/media/c1/video.mp4?expires=${expires}&signature=${flipped}`,
      `/media/c1/video.mp4?expires=${expires}&signature=${signature}x`,
      `/media/c1/video.mp4?expires=${expires}`,
      `/media/c1/video.mp4?signature=${signature}`,
      `/media/c1/video.mp4`,
      local(other),
    ]) {
      const response = await get(bad);
      expect(response.statusCode, bad).toBe(403);
      expect(response.json().error.message).toBe('this media link is not valid or has expired');
    }
  });

  it('reaches nothing outside the store, nor anything unsigned under /media/', async () => {
    const signedFor = (key: string) => queryOf(local(signedMediaUrl(signing, 'c1/video.mp4', 600)), key);
    for (const url of [
      '/media/../secret.txt',
      '/media/c1/../secret.txt',
      '/media/%2e%2e/secret.txt',
      '/media/c1%2f..%2f..%2fsecret.txt',
      '/media/',
      '/media/secret.txt',
      `/media/..%2F..%2Fetc%2Fpasswd?${new URLSearchParams(signedFor('x')).toString()}`,
    ]) {
      const response = await get(url);
      expect([403, 404], url).toContain(response.statusCode);
      expect(response.body, url).not.toContain('not for you');
      expect(response.body, url).not.toContain(dir);
    }
    // Signed, but the store has no such key: a bare 404 that names neither the folder nor the key.
    const missing = await get(local(signedMediaUrl(signing, 'c9/video.mp4', 600)));
    expect(missing.statusCode).toBe(404);
    expect(missing.body).not.toContain(dir);
    expect(missing.json().error.message).toBe('no such media');
  });

  it('is signed with SOVI_MEDIA_SIGNING_KEY, or a key derived from the vault key, and says what is missing', () => {
    const base = { SOVI_PUBLIC_URL: `${PUBLIC}/` };
    const withKey = loadConfig({ ...base, SOVI_MEDIA_SIGNING_KEY: randomBytes(32).toString('base64') });
    expect(mediaSigning(withKey.media, withKey.vault)?.publicUrl).toBe(PUBLIC);
    const line = keyLine('k1');
    const fromVault = loadConfig({ ...base, SOVI_VAULT_KEYS: line });
    const derived = mediaSigning(fromVault.media, fromVault.vault)!;
    expect(derived.secret.equals(Buffer.from(line.split(':')[1]!, 'base64'))).toBe(false);
    expect(mediaSigning(fromVault.media, fromVault.vault)!.secret.equals(derived.secret)).toBe(true);
    const none = loadConfig(base);
    expect(mediaSigning(none.media, none.vault)).toBeUndefined();
    expect(() => signedMediaUrl(undefined, 'c1/video.mp4', 60)).toThrow(/SOVI_MEDIA_SIGNING_KEY/);
    expect(() => signedMediaUrl({ ...derived, publicUrl: undefined }, 'c1/video.mp4', 60)).toThrow(
      /SOVI_PUBLIC_URL/,
    );
    expect(() => signedMediaUrl(derived, '../x', 60)).toThrow(/not a media key/);
    expect(() => loadConfig({ SOVI_MEDIA_SIGNING_KEY: 'c2hvcnQ=' })).toThrow(
      /SOVI_MEDIA_SIGNING_KEY: expected base64/,
    );
  });
});

describe('a signed media URL over an S3-backed store', () => {
  let s3: LocalS3;
  let s3Store: MediaStore;
  let served: TestApp;
  let base: string;
  beforeAll(async () => {
    s3 = await startLocalS3();
    s3Store = await openMediaStore(s3.settings('renders'));
    await s3Store.put('c1/video.mp4', path.join(dir, 'c1', 'video.mp4'));
    served = await startTestApp(t, { media: { store: s3Store, signing } });
    base = await served.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await served.close();
    s3Store.close?.();
    await s3.close();
  });

  it('streams the object, and its ranges, over real HTTP', async () => {
    const url = base + local(signedMediaUrl(signing, 'c1/video.mp4', 600));
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await whole.arrayBuffer()).equals(video)).toBe(true);
    const part = await fetch(url, { headers: { range: 'bytes=500-749' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 500-749/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(video.subarray(500, 750))).toBe(true);
    expect((await fetch(url, { headers: { range: 'bytes=2000-' } })).status).toBe(416);
    expect((await fetch(base + local(signedMediaUrl(signing, 'c2/video.mp4', 600)))).status).toBe(404);
    expect((await fetch(`${base}/media/c1/video.mp4`)).status).toBe(403);
  });
});

function queryOf(url: string, _key?: string): { expires: string; signature: string } {
  const params = new URL(url, PUBLIC).searchParams;
  return { expires: params.get('expires') ?? '', signature: params.get('signature') ?? '' };
}
