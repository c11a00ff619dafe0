// AES-256-GCM envelopes for secrets at rest:
//
//   version (1 byte) | key id length (1 byte) | key id (ASCII) | IV (12 random bytes) | ciphertext | tag (16 bytes)
//
// The associated data is the header (everything before the ciphertext) plus where the value lives: table,
// column and row id. A ciphertext copied to another row or column, or re-labelled with another key id,
// fails to authenticate instead of decrypting.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SoviError } from '../errors.ts';
import type { Keyring } from './keyring.ts';

export interface Binding {
  table: string;
  column: string;
  rowId: string;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const where = (b: Binding) => `${b.table}.${b.column} of ${b.rowId}`;
const aad = (header: Buffer, b: Binding) =>
  Buffer.concat([header, Buffer.from(`sovi/${b.table}/${b.column}/${b.rowId}`, 'utf8')]);

export function seal(keyring: Keyring, plaintext: string, binding: Binding): Buffer {
  const { id, key } = keyring.current;
  const keyId = Buffer.from(id, 'ascii');
  const iv = randomBytes(IV_BYTES);
  const header = Buffer.concat([Buffer.from([VERSION, keyId.length]), keyId, iv]);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(header, binding));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([header, ciphertext, cipher.getAuthTag()]);
}

interface Parsed {
  keyId: string;
  header: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parse(envelope: Buffer): Parsed | undefined {
  if (envelope.length < 2 || envelope[0] !== VERSION) return undefined;
  const idLength = envelope[1] ?? 0;
  const headerLength = 2 + idLength + IV_BYTES;
  if (idLength === 0 || envelope.length < headerLength + TAG_BYTES) return undefined;
  return {
    keyId: envelope.subarray(2, 2 + idLength).toString('ascii'),
    header: envelope.subarray(0, headerLength),
    iv: envelope.subarray(2 + idLength, headerLength),
    ciphertext: envelope.subarray(headerLength, envelope.length - TAG_BYTES),
    tag: envelope.subarray(envelope.length - TAG_BYTES),
  };
}

/** The id of the key that sealed an envelope, or undefined if it is not a sovi envelope. */
export function envelopeKeyId(envelope: Buffer): string | undefined {
  return parse(envelope)?.keyId;
}

export function open(keyring: Keyring | undefined, envelope: Buffer, binding: Binding): string {
  const parsed = parse(envelope);
  if (!parsed) {
    throw new SoviError(
      'integrity',
      `${where(binding)} is not a sovi vault value (unknown version or truncated)`,
    );
  }
  const key = keyring?.keys.get(parsed.keyId);
  if (!key) {
    // 'unavailable' (HTTP 503): the stored value is fine; this server lacks its key.
    throw new SoviError(
      'unavailable',
      `${where(binding)} is encrypted under key "${parsed.keyId}", which is not configured: add it to SOVI_VAULT_KEYS or SOVI_VAULT_KEY_FILE and restart sovi`,
      { field: 'SOVI_VAULT_KEYS', keyId: parsed.keyId },
    );
  }
  // An explicit 16-byte tag length: without it Node accepts truncated tags, which weakens authentication.
  const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad(parsed.header, binding));
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SoviError(
      'integrity',
      `${where(binding)} does not authenticate under key "${parsed.keyId}": it was altered, or copied from another row or column`,
    );
  }
}
