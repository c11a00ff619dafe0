// The vault's keys, from SOVI_VAULT_KEYS ("id:base64,id:base64") or SOVI_VAULT_KEY_FILE (one "id:base64" per
// line, # comments, mode 0600 or stricter, owned by the user sovi runs as or root). The last key listed is the newest: it encrypts; every listed
// key decrypts.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { SoviError } from '../errors.ts';

export interface Keyring {
  readonly keys: ReadonlyMap<string, Buffer>;
  readonly current: { readonly id: string; readonly key: Buffer };
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseKeys(text: string, source: string): Keyring {
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  const keys = new Map<string, Buffer>();
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon).trim() : '';
    const material = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!KEY_ID.test(id)) {
      throw new SoviError(
        'config',
        `${source}: each key must be "id:base64-of-32-bytes" with an id of letters, digits, . _ -`,
        {
          field: source,
        },
      );
    }
    const key = Buffer.from(material, 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(material)) {
      throw new SoviError(
        'config',
        `${source}: key "${id}" must be 32 bytes, base64-encoded (sovi keys generate makes one)`,
        {
          field: source,
        },
      );
    }
    if (keys.has(id))
      throw new SoviError('config', `${source}: key id "${id}" is listed twice`, { field: source });
    keys.set(id, key);
  }
  const last = [...keys.entries()].at(-1);
  if (!last) throw new SoviError('config', `${source} lists no keys`, { field: source });
  return { keys, current: { id: last[0], key: last[1] } };
}

/** Reads the configured keys; undefined when none are configured. */
export function loadKeyring(vault: {
  keys: string | undefined;
  keyFile: string | undefined;
}): Keyring | undefined {
  if (vault.keys !== undefined && vault.keyFile !== undefined) {
    throw new SoviError('config', 'set SOVI_VAULT_KEYS or SOVI_VAULT_KEY_FILE, not both', {
      field: 'SOVI_VAULT_KEYS',
    });
  }
  if (vault.keys !== undefined) return parseKeys(vault.keys, 'SOVI_VAULT_KEYS');
  if (vault.keyFile === undefined) return undefined;
  return parseKeys(readKeyFile(vault.keyFile), 'SOVI_VAULT_KEY_FILE');
}

const keyFileError = (message: string) =>
  new SoviError('config', `SOVI_VAULT_KEY_FILE: ${message}`, { field: 'SOVI_VAULT_KEY_FILE' });

/**
 * The key file's text, once it is known that no one but this user (or root) could have read or replaced it.
 * The checks are made on the descriptor the text is read from, so the file checked is the file read (a path
 * checked and then opened can be swapped in between). A symlink is followed to its target, and it is the
 * target that must pass: a link in a private folder to a world-readable file protects nothing.
 */
function readKeyFile(file: string): string {
  let target = file;
  try {
    if (fs.lstatSync(file).isSymbolicLink()) target = fs.realpathSync(file);
  } catch {
    throw keyFileError(`cannot read ${file}`);
  }
  const shown = target === file ? file : `${file} (a link to ${target})`;
  let fd: number;
  try {
    // O_NOFOLLOW: the resolved path must not have become a link since realpath read it.
    fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    throw keyFileError(`cannot read ${shown}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw keyFileError(`${shown} is not a regular file`);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid && stat.uid !== 0) {
      throw keyFileError(
        `${shown} belongs to uid ${stat.uid}, not to the user sovi runs as (uid ${uid}) or root; chown it`,
      );
    }
    if ((stat.mode & 0o077) !== 0) {
      throw keyFileError(
        `${shown} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** A new key line, "id:base64". The default id sorts by creation date. */
export function generateKeyLine(
  id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}${randomBytes(2).toString('hex')}`,
): string {
  if (!KEY_ID.test(id)) {
    throw new SoviError('invalid_input', '--id: expected letters, digits, . _ - (at most 64)', {
      field: '--id',
    });
  }
  return `${id}:${randomBytes(32).toString('base64')}`;
}
