// RFC 6238 time-based one-time passwords from a stored base32 secret (what authenticator apps use).
import { Secret, TOTP } from 'otpauth';
import { invalidInput } from '../errors.ts';

export interface TotpOptions {
  digits?: number;
  period?: number;
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
}

/** Normalises a base32 secret as people paste it (spaces, lower case, padding); throws when it is not base32. */
export function normaliseTotpSecret(secret: string, field = 'totp_secret'): string {
  const clean = secret.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  if (!/^[A-Z2-7]{16,}$/.test(clean)) {
    throw invalidInput(field, `${field}: expected a base32 secret (letters A–Z and digits 2–7, at least 16)`);
  }
  return clean;
}

export function totpCode(secretBase32: string, at: Date = new Date(), options: TotpOptions = {}): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secretBase32),
    algorithm: options.algorithm ?? 'SHA1',
    digits: options.digits ?? 6,
    period: options.period ?? 30,
    timestamp: at.getTime(),
  });
}

/** Seconds until the current code expires. */
export const totpSecondsLeft = (at: Date = new Date(), period = 30): number =>
  period - (Math.floor(at.getTime() / 1000) % period);
