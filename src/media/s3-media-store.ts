// The media store as an S3-compatible bucket (AWS S3, MinIO, R2…), through the AWS SDK's S3 client.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html , API_HeadObject.html, API_GetObject.html
// (GetObject's Range header is RFC 9110's, so a served byte range reads only those bytes from the bucket).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { SoviError } from '../errors.ts';
import type { MediaStoreSettings } from '../settings/media-settings.ts';
import { contentTypeOf } from './media-keys.ts';
import { checkKey, missingMedia, type MediaStore } from './media-store.ts';

type S3Settings = Extract<MediaStoreSettings, { kind: 's3' }>;

const isMissing = (err: unknown): boolean =>
  err instanceof S3ServiceException &&
  (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404);

export function createS3MediaStore(settings: S3Settings): MediaStore {
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    // Checksums only where S3 requires them: the SDK's default sends a streamed body aws-chunked with a
    // trailing checksum, which many S3-compatible servers store as it came (framing included).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
  const description = `s3://${settings.bucket}/${settings.prefix}`;
  const objectKey = (key: string) => {
    checkKey(key);
    return `${settings.prefix}${key}`;
  };
  // A failure other than a missing object (no bucket, refused credentials, no answer) names the store
  // but never the credentials.
  const unavailable = (what: string, err: unknown) =>
    new SoviError('unavailable', `media store ${description}: ${what} failed: ${(err as Error).name}`, {
      field: 'SOVI_MEDIA_STORE',
    });

  const stat = async (key: string) => {
    const Key = objectKey(key);
    let head;
    try {
      head = await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key }));
    } catch (err) {
      if (isMissing(err)) throw missingMedia(key, description);
      throw unavailable(`reading ${key}`, err);
    }
    return { key, size: head.ContentLength ?? 0, contentType: contentTypeOf(key) };
  };

  return {
    description,
    async put(key, localFile, signal) {
      const Key = objectKey(key);
      const size = (await fsp.stat(localFile)).size;
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: settings.bucket,
            Key,
            Body: fs.createReadStream(localFile),
            ContentLength: size,
            ContentType: contentTypeOf(key),
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        if (signal?.aborted) throw err;
        throw unavailable(`storing ${key}`, err);
      }
      return stat(key);
    },
    stat,
    async read(key, range) {
      const Key = objectKey(key);
      let object;
      try {
        object = await client.send(
          new GetObjectCommand({
            Bucket: settings.bucket,
            Key,
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
      } catch (err) {
        if (isMissing(err)) throw missingMedia(key, description);
        throw unavailable(`reading ${key}`, err);
      }
      if (!(object.Body instanceof Readable)) throw unavailable(`reading ${key}`, new Error('no body'));
      return object.Body;
    },
    close: () => client.destroy(),
  };
}
