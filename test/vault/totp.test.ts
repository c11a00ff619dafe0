// @no-database
// RFC 6238 TOTP, checked against the RFC's own test vectors (Appendix B, SHA-1).
import { describe, expect, it } from 'vitest';
import { normaliseTotpSecret, totpCode, totpSecondsLeft } from '../../src/vault/totp.ts';

// The RFC's SHA-1 seed is the ASCII "12345678901234567890"; in base32:
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('at T=%i the 8-digit SHA-1 code is %s', (seconds, code) => {
    expect(totpCode(RFC_SECRET, new Date(seconds * 1000), { digits: 8 })).toBe(code);
  });

  it('gives the usual 6-digit code by default (the last six digits of the RFC vector)', () => {
    expect(totpCode(RFC_SECRET, new Date(59_000))).toBe('287082');
  });

  it('accepts secrets as people paste them, and refuses what is not base32', () => {
    expect(normaliseTotpSecret('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toBe(RFC_SECRET);
    expect(() => normaliseTotpSecret('not-a-secret-1890')).toThrow(/totp_secret: expected a base32 secret/);
  });

  it('says how long the current code stays valid', () => {
    expect(totpSecondsLeft(new Date(59_000))).toBe(1);
    expect(totpSecondsLeft(new Date(60_000))).toBe(30);
  });
});
