// Password hashing: node:crypto's scrypt, memory-hard, with today's recommended parameters (OWASP: N=2^17,
// r=8, p=1). The hash is one self-describing string, `$scrypt$ln=17,r=8,p=1$<salt>$<key>` (base64, no
// padding): the parameters travel with it, so raising them later leaves older hashes verifiable, and
// needsRehash says which ones to upgrade at their next sign-in.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { invalidInput } from '../errors.ts';

export interface ScryptParams {
  /** log2 of the cost N. */
  ln: number;
  r: number;
  p: number;
}

export const recommendedParams: ScryptParams = Object.freeze({ ln: 17, r: 8, p: 1 });
let current: ScryptParams = recommendedParams;

/** The parameters new hashes get: the recommended ones unless SOVI_PASSWORD_COST set another cost. */
export const currentParams = (): ScryptParams => current;

/**
 * Sets scrypt's cost (log2 N) for new hashes, from SOVI_PASSWORD_COST at a process's start. Hashes keep
 * their own parameters, so those made before still verify; needsRehash then compares against this cost.
 */
export function setPasswordCost(ln: number): void {
  current = Object.freeze({ ...recommendedParams, ln });
}
const KEY_BYTES = 64;
const SALT_BYTES = 16;
export const MIN_PASSWORD_LENGTH = 12;
/** Longer passwords buy nothing and cost hashing time an attacker could spend for us. */
export const MAX_PASSWORD_LENGTH = 1024;

/** scrypt needs 128·N·r bytes; Node refuses past maxmem (32 MiB by default), so it is set from the params. */
const optionsFor = ({ ln, r, p }: ScryptParams): ScryptOptions => {
  const N = 2 ** ln;
  return { N, r, p, maxmem: 128 * N * r * 2 };
};

const scrypt = (password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFKC'), salt, length, optionsFor(params), (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** The password's rules: at least 12 characters (a passphrase), at most 1024. */
export function checkPasswordRules(password: string, field = 'password'): string {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw invalidInput(
      field,
      `${field}: at least ${MIN_PASSWORD_LENGTH} characters are needed (a few words make a good one), got ${[...password].length}`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw invalidInput(field, `${field}: at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

export async function hashPassword(password: string, params: ScryptParams = current): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

const HASH_SHAPE =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

/** The parameters, salt and key of a stored hash; undefined when it is not one this module wrote. */
export function parseHash(hash: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = HASH_SHAPE.exec(hash);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds that keep a tampered row from asking for gigabytes or hours.
  if (params.ln < 10 || params.ln > 22 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) {
    return undefined;
  }
  return { params, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

/** Whether `password` matches `hash`, compared in constant time. A malformed hash matches nothing. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed || password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await scrypt(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** A hash made with weaker parameters than today's: rehash it at the next successful sign-in. */
export function needsRehash(hash: string): boolean {
  const parsed = parseHash(hash);
  if (!parsed) return true;
  const { ln, r, p } = parsed.params;
  return ln < current.ln || r < current.r || p < current.p;
}

/**
 * A hash of no one's password, computed once: an unknown name is checked against it, so that a sign-in
 * takes as long for a name that does not exist as for a wrong password.
 */
let decoy: Promise<string> | undefined;
export const decoyHash = (): Promise<string> => (decoy ??= hashPassword(randomBytes(16).toString('hex')));
