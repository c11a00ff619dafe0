// Where rendered media lives and how it is handed to the platforms, in one place. src/config.ts reads the
// SOVI_MEDIA_* and SOVI_PUBLIC_URL variables into a MediaSettings; src/media takes it as an argument.
import path from 'node:path';
import { SoviError } from '../errors.ts';

/**
 * The media store every sovi process reads: a folder (shared between hosts, e.g. an NFS mount) or an
 * S3-compatible bucket. The host that renders a video is not always the one that serves or uploads it.
 */
export type MediaStoreSettings =
  | { readonly kind: 'file'; readonly dir: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      /** Keys are stored under this prefix ('' or ending in '/'). */
      readonly prefix: string;
      /** An S3-compatible endpoint (MinIO, R2, …); unset: AWS's own for the region. */
      readonly endpoint: string | undefined;
      readonly region: string;
      /** bucket in the path (most S3-compatible servers) rather than in the host name. */
      readonly forcePathStyle: boolean;
      /** Unset: the SDK's own chain (instance role, ~/.aws). */
      readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
    };

export interface MediaSettings {
  readonly store: MediaStoreSettings;
  /** The base URL the platforms reach this sovi at (SOVI_PUBLIC_URL), e.g. https://sovi.example.com. */
  readonly publicUrl: string | undefined;
  /**
   * The key signed media URLs are signed with (SOVI_MEDIA_SIGNING_KEY, base64 of ≥ 32 bytes); unset: derived
   * from the vault's newest key, so a fleet sharing its vault keys shares its signatures.
   */
  readonly signingKey: string | undefined;
  /** How long a signed media URL stays valid by default. */
  readonly urlTtlSeconds: number;
}

export const defaultMediaUrlTtlSeconds = 3_600;

/**
 * SOVI_MEDIA_STORE: unset (the media folder under SOVI_HOME), `file:///path` or a plain path, or
 * `s3://bucket[/prefix]`.
 */
export function parseMediaStore(
  value: string | undefined,
  defaultDir: string,
  cwd: string,
  s3: {
    endpoint: string | undefined;
    region: string;
    forcePathStyle: boolean;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
  },
): MediaStoreSettings {
  const bad = (message: string) =>
    new SoviError(
      'config',
      `SOVI_MEDIA_STORE: ${message} (expected file:///path, a folder, or s3://bucket/prefix)`,
      {
        field: 'SOVI_MEDIA_STORE',
      },
    );
  if (value === undefined) return { kind: 'file', dir: defaultDir };
  if (value.startsWith('s3://')) {
    const rest = value.slice('s3://'.length);
    const [bucket = '', ...parts] = rest.split('/');
    // S3's bucket naming rules: 3–63 lowercase letters, digits, dots and hyphens.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw bad(`"${bucket}" is not a bucket name`);
    const prefix = parts.filter(Boolean).join('/');
    if (prefix.split('/').some((p) => p === '.' || p === '..')) throw bad('the prefix may not hold . or ..');
    if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined)) {
      throw new SoviError(
        'config',
        'set both SOVI_MEDIA_S3_ACCESS_KEY_ID and SOVI_MEDIA_S3_SECRET_ACCESS_KEY, or neither',
        { field: 'SOVI_MEDIA_S3_ACCESS_KEY_ID' },
      );
    }
    return {
      kind: 's3',
      bucket,
      prefix: prefix === '' ? '' : `${prefix}/`,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      credentials:
        s3.accessKeyId !== undefined && s3.secretAccessKey !== undefined
          ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
          : undefined,
    };
  }
  if (value.startsWith('file://')) {
    let dir: string;
    try {
      dir = new URL(value).pathname;
    } catch {
      throw bad(`"${value}" is not a file URL`);
    }
    if (dir === '' || dir === '/') throw bad('a file URL needs a folder');
    return { kind: 'file', dir: path.resolve(decodeURIComponent(dir)) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw bad(`"${value.split(':')[0]}" stores are not supported`);
  return { kind: 'file', dir: path.resolve(cwd, value) };
}

/** SOVI_MEDIA_SIGNING_KEY: base64 of at least 32 random bytes (`sovi keys generate` prints one after "id:"). */
export function parseSigningKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = Buffer.from(value.trim(), 'base64');
  if (key.length < 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value.trim())) {
    throw new SoviError('config', 'SOVI_MEDIA_SIGNING_KEY: expected base64 of at least 32 bytes', {
      field: 'SOVI_MEDIA_SIGNING_KEY',
    });
  }
  return value.trim();
}
