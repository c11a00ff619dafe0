// @no-database
// Password hashing: scrypt with today's parameters in a self-describing string, checked in constant time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPasswordRules,
  currentParams,
  hashPassword,
  needsRehash,
  parseHash,
  recommendedParams,
  setPasswordCost,
  verifyPassword,
} from '../../src/users/password.ts';
import { loadConfig } from '../../src/config.ts';
import { TEST_PASSWORD_COST } from '../helpers/password-cost.ts';

// The suite hashes at a low cost (test/helpers/password-cost.ts); these tests check the real one.
beforeAll(() => setPasswordCost(recommendedParams.ln));
afterAll(() => setPasswordCost(TEST_PASSWORD_COST));

describe('passwords', () => {
  it('hash with scrypt N=2^17, r=8, p=1, a 16-byte salt and a 64-byte key, and verify', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    const parsed = parseHash(hash)!;
    expect(parsed.params).toEqual(currentParams());
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.key).toHaveLength(64);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(needsRehash(hash)).toBe(false);
    // A fresh salt each time: the same password never hashes the same twice.
    expect(await hashPassword('correct horse battery')).not.toBe(hash);
  });

  it('keep older, weaker hashes verifiable and mark them for a rehash', async () => {
    const weak = await hashPassword('an older passphrase', { ln: 14, r: 8, p: 1 });
    expect(parseHash(weak)?.params).toEqual({ ln: 14, r: 8, p: 1 });
    expect(await verifyPassword('an older passphrase', weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
  });

  it('take their cost from SOVI_PASSWORD_COST: new hashes use it, and hashes made at another still verify', async () => {
    const strong = await hashPassword('a passphrase of old');
    expect(() => loadConfig({ SOVI_PASSWORD_COST: '11' })).toThrow(/SOVI_PASSWORD_COST/);
    expect(() => loadConfig({ SOVI_PASSWORD_COST: '23' })).toThrow(/SOVI_PASSWORD_COST/);
    setPasswordCost(loadConfig({ SOVI_PASSWORD_COST: '14' }).passwordCost!);
    try {
      const cheap = await hashPassword('a passphrase of new');
      expect(parseHash(cheap)?.params).toEqual({ ln: 14, r: 8, p: 1 });
      expect(await verifyPassword('a passphrase of old', strong)).toBe(true);
      expect(needsRehash(strong)).toBe(false);
      expect(needsRehash(cheap)).toBe(false);
    } finally {
      setPasswordCost(recommendedParams.ln);
    }
    expect(loadConfig({}).passwordCost).toBeUndefined();
  });

  it('match nothing against a malformed or absurd hash', async () => {
    for (const bad of ['', 'plain', '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA']) {
      expect(parseHash(bad)).toBeUndefined();
      expect(await verifyPassword('whatever at all', bad)).toBe(false);
    }
  });

  it('need at least 12 characters, with an error saying so', () => {
    expect(() => checkPasswordRules('short')).toThrow(/at least 12 characters/);
    expect(checkPasswordRules('twelve chars')).toBe('twelve chars');
  });
});
