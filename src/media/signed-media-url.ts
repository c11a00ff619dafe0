// Signed media URLs: how a platform fetches a rendered video from sovi (Instagram's Reels container takes a
// video_url) without a token. The URL names the key, an expiry (Unix seconds) and an HMAC-SHA256 over the
// path and the expiry; `sovi up` serves it (src/http/media-routes.ts) only while the signature holds and the
// expiry is ahead. The signing key is SOVI_MEDIA_SIGNING_KEY, or else derived (HKDF) from the vault's newest
// key, so every host of a fleet that shares its vault keys signs alike, and the vault key itself is never used
// as a MAC key directly.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { SoviError } from '../errors.ts';
import type { MediaSettings } from '../settings/media-settings.ts';
import { loadKeyring } from '../vault/keyring.ts';
import { isMediaKey } from './media-keys.ts';

export interface MediaSigning {
  /** SOVI_PUBLIC_URL, without a trailing slash. */
  readonly publicUrl: string | undefined;
  readonly secret: Buffer;
}

/** The path every signed media URL is under. */
export const MEDIA_PATH = '/media/';

/** The signing key the settings give; undefined when neither a signing key nor a vault key is configured. */
export function mediaSigning(
  media: Pick<MediaSettings, 'publicUrl' | 'signingKey'>,
  vault: { keys: string | undefined; keyFile: string | undefined },
): MediaSigning | undefined {
  if (media.signingKey !== undefined)
    return { publicUrl: media.publicUrl, secret: Buffer.from(media.signingKey, 'base64') };
  const keyring = loadKeyring(vault);
  if (!keyring) return undefined;
  const secret = Buffer.from(
    hkdfSync('sha256', keyring.current.key, Buffer.from('sovi'), Buffer.from('signed media urls'), 32),
  );
  return { publicUrl: media.publicUrl, secret };
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

const signatureOf = (secret: Buffer, key: string, expires: number): Buffer =>
  createHmac('sha256', secret)
    .update(`GET\n${MEDIA_PATH}${encodeKey(key)}\n${expires}`)
    .digest();

/** A URL under SOVI_PUBLIC_URL serving `key` for `ttlSeconds` from `now`. */
export function signedMediaUrl(
  signing: MediaSigning | undefined,
  key: string,
  ttlSeconds: number,
  now: Date = new Date(),
): string {
  if (!signing) {
    throw new SoviError(
      'config',
      'signed media URLs need a signing key: set SOVI_MEDIA_SIGNING_KEY, or a vault key (SOVI_VAULT_KEYS or SOVI_VAULT_KEY_FILE)',
      { field: 'SOVI_MEDIA_SIGNING_KEY' },
    );
  }
  if (!signing.publicUrl) {
    throw new SoviError(
      'config',
      'signed media URLs need SOVI_PUBLIC_URL: the address the platforms reach sovi at',
      {
        field: 'SOVI_PUBLIC_URL',
      },
    );
  }
  if (!isMediaKey(key))
    throw new SoviError('invalid_input', `key: "${key.slice(0, 80)}" is not a media key`, { field: 'key' });
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 7 * 86_400) {
    throw new SoviError(
      'invalid_input',
      `ttlSeconds: expected 1 to ${7 * 86_400} seconds, got ${ttlSeconds}`,
      {
        field: 'ttlSeconds',
      },
    );
  }
  const expires = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const signature = signatureOf(signing.secret, key, expires).toString('base64url');
  return `${signing.publicUrl}${MEDIA_PATH}${encodeKey(key)}?expires=${expires}&signature=${signature}`;
}

/**
 * Whether a request for `key` carries a valid, unexpired signature. The comparison takes the same time
 * wherever the signatures differ; every refusal is the same answer, so a caller learns nothing from it.
 */
export function mediaSignatureHolds(
  signing: MediaSigning | undefined,
  key: string,
  query: { expires?: unknown; signature?: unknown },
  now: Date = new Date(),
): boolean {
  if (!signing || !isMediaKey(key)) return false;
  const { expires, signature } = query;
  if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires)) return false;
  if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return false;
  const expected = signatureOf(signing.secret, key, Number(expires));
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  return Number(expires) * 1000 > now.getTime();
}
