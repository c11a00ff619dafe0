// @no-database
// AES-256-GCM envelopes: round trip, binding to table/column/row, tamper and truncation detection, keys.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import { envelopeKeyId, open, seal, type Binding } from '../../src/vault/envelope.ts';
import { generateKeyLine, loadKeyring, parseKeys } from '../../src/vault/keyring.ts';

const keyLine = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const ring = (...ids: string[]) => parseKeys(ids.map(keyLine).join(','), 'SOVI_VAULT_KEYS');
const binding: Binding = {
  table: 'accounts',
  column: 'password_enc',
  rowId: '6f0c2a1e-2d5b-4a1f-9a59-1d6f7c2b8e01',
};

const fails = (fn: () => unknown): SoviError => {
  try {
    fn();
  } catch (err) {
    return err as SoviError;
  }
  throw new Error('expected an error');
};

describe('envelope', () => {
  it('round-trips and names the sealing key in its header', () => {
    const keys = ring('k1');
    const envelope = seal(keys, 'correct horse battery staple ✓', binding);
    expect(envelope[0]).toBe(1);
    expect(envelopeKeyId(envelope)).toBe('k1');
    expect(open(keys, envelope, binding)).toBe('correct horse battery staple ✓');
    expect(envelope.includes(Buffer.from('correct horse'))).toBe(false);
  });

  it('uses a fresh IV for every value, so equal plaintexts give different ciphertexts', () => {
    const keys = ring('k1');
    expect(seal(keys, 'same', binding).equals(seal(keys, 'same', binding))).toBe(false);
  });

  it('refuses a value copied to another row or another column', () => {
    const keys = ring('k1');
    const envelope = seal(keys, 'secret', binding);
    for (const other of [
      { ...binding, rowId: '00000000-0000-4000-8000-000000000000' },
      { ...binding, column: 'email_enc' },
      { ...binding, table: 'devices' },
    ]) {
      const error = fails(() => open(keys, envelope, other));
      expect(error.code).toBe('integrity');
      expect(error.message).toMatch(/copied from another row or column/);
    }
  });

  it('detects tampering anywhere: header, IV, ciphertext or tag', () => {
    const keys = ring('k1');
    const envelope = seal(keys, 'a secret long enough to flip bytes in', binding);
    for (let i = 2; i < envelope.length; i++) {
      const tampered = Buffer.from(envelope);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      expect(() => open(keys, tampered, binding), `byte ${i}`).toThrow(SoviError);
    }
  });

  it('refuses truncated values and never returns garbage', () => {
    const keys = ring('k1');
    const envelope = seal(keys, 'secret', binding);
    for (const cut of [1, 4, 15, 16, envelope.length - 2]) {
      const error = fails(() => open(keys, envelope.subarray(0, envelope.length - cut), binding));
      expect(error.code).toBe('integrity');
    }
    expect(fails(() => open(keys, Buffer.from([2, 1, 0x41]), binding)).message).toMatch(
      /not a sovi vault value/,
    );
  });

  it('names a key that is not configured instead of failing obscurely', () => {
    const envelope = seal(ring('old'), 'secret', binding);
    const error = fails(() => open(ring('new'), envelope, binding));
    // 503 over HTTP, not a 500: the value is fine, this server lacks its key.
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/encrypted under key "old", which is not configured/);
    expect(fails(() => open(undefined, envelope, binding)).message).toMatch(/key "old"/);
  });

  it('refuses a header relabelled with another configured key id', () => {
    const keys = parseKeys([keyLine('k1'), keyLine('k2')].join(','), 'SOVI_VAULT_KEYS');
    const envelope = seal(keys, 'secret', binding);
    const relabelled = Buffer.from(envelope);
    relabelled.write('k1', 2, 'ascii'); // Sealed under k2 (the newest); now claims k1.
    expect(envelopeKeyId(relabelled)).toBe('k1');
    expect(fails(() => open(keys, relabelled, binding)).code).toBe('integrity');
  });

  // The full 1,000,000-encryption check runs in `npm run bench` (bench/accounts.ts), which reports it.
  it('never repeats an IV in 100,000 encryptions', () => {
    const keys = ring('k1');
    const ivs = new Set<string>();
    const offset = 2 + 2; // version, id length, "k1"
    for (let i = 0; i < 100_000; i++) {
      ivs.add(seal(keys, 'x', binding).toString('latin1', offset, offset + 12));
    }
    expect(ivs.size).toBe(100_000);
  });
});

describe('keys', () => {
  it('encrypts with the last key listed and decrypts with any', () => {
    const older = parseKeys(keyLine('k1'), 'SOVI_VAULT_KEYS');
    const both = parseKeys(
      `${[...older.keys].map(([id, k]) => `${id}:${k.toString('base64')}`).join('')},${keyLine('k2')}`,
      'SOVI_VAULT_KEYS',
    );
    expect(both.current.id).toBe('k2');
    const sealedEarlier = seal(older, 'from before', binding);
    expect(open(both, sealedEarlier, binding)).toBe('from before');
  });

  it.each([
    ['k1', /each key must be "id:base64-of-32-bytes"/],
    ['k1:abc', /key "k1" must be 32 bytes/],
    [`bad id!:${randomBytes(32).toString('base64')}`, /each key must be/],
    [`${keyLine('k1')},${keyLine('k1')}`, /key id "k1" is listed twice/],
    ['', /lists no keys/],
  ])('refuses %s, naming the variable and never echoing key material', (text, message) => {
    const error = fails(() => parseKeys(text, 'SOVI_VAULT_KEYS'));
    expect(error.code).toBe('config');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/SOVI_VAULT_KEYS/);
    const material = text.split(':')[1]?.split(',')[0];
    if (material && material.length > 8) expect(error.message).not.toContain(material);
  });

  it('reads a key file only when other users cannot', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-keys-'));
    const file = path.join(dir, 'vault.keys');
    await fs.writeFile(file, `# sovi vault keys\n${keyLine('k1')}\n${keyLine('k2')}\n`, { mode: 0o644 });
    expect(() => loadKeyring({ keys: undefined, keyFile: file })).toThrow(
      /open to other users \(mode 644\); chmod 600 it/,
    );
    await fs.chmod(file, 0o600);
    expect(loadKeyring({ keys: undefined, keyFile: file })?.current.id).toBe('k2');
    expect(() => loadKeyring({ keys: keyLine('k3'), keyFile: file })).toThrow(/not both/);
    await fs.rm(dir, { recursive: true });
  });

  describe('the key file', () => {
    const keyText = `${keyLine('k1')}\n`;
    async function keyFile(mode: number): Promise<{ dir: string; file: string }> {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-keys-'));
      const file = path.join(dir, 'vault.keys');
      await fs.writeFile(file, keyText);
      await fs.chmod(file, mode);
      return { dir, file };
    }
    const load = (file: string) => loadKeyring({ keys: undefined, keyFile: file });

    it('follows a symlink to a private file', async () => {
      const { dir, file } = await keyFile(0o600);
      const link = path.join(dir, 'link.keys');
      await fs.symlink(file, link);
      expect(load(link)?.current.id).toBe('k1');
      await fs.rm(dir, { recursive: true });
    });

    it('refuses a symlink whose target others can read, naming the target', async () => {
      const { dir, file } = await keyFile(0o644);
      const link = path.join(dir, 'link.keys');
      await fs.symlink(file, link);
      // The link itself is 0777 and a stat through it sees 0644: the check must be on the target read.
      expect(() => load(link)).toThrow(
        /link\.keys \(a link to .*vault\.keys\) is open to other users \(mode 644\)/,
      );
      await fs.rm(dir, { recursive: true });
    });

    it('refuses a group-readable file', async () => {
      const { dir, file } = await keyFile(0o640);
      expect(() => load(file)).toThrow(/open to other users \(mode 640\); chmod 600 it/);
      await fs.rm(dir, { recursive: true });
    });

    it.runIf(process.getuid?.() === 0)(
      'refuses a file another user owns (the test runs as root)',
      async () => {
        const { dir, file } = await keyFile(0o600);
        await fs.chown(file, 54321, 54321);
        const asOther = () => load(file);
        // Root may use a file root owns; here the owner is someone else, who could replace the keys.
        expect(asOther).toThrow(
          /belongs to uid 54321, not to the user sovi runs as \(uid 0\) or root; chown it/,
        );
        await fs.rm(dir, { recursive: true });
      },
    );

    it('refuses a directory and a missing file by variable', async () => {
      const { dir } = await keyFile(0o600);
      expect(() => load(dir)).toThrow(/SOVI_VAULT_KEY_FILE: .* is not a regular file/);
      expect(() => load(path.join(dir, 'missing'))).toThrow(/SOVI_VAULT_KEY_FILE: cannot read/);
      await fs.rm(dir, { recursive: true });
    });
  });

  it('generates key lines the keyring accepts', () => {
    const line = generateKeyLine('k2027');
    expect(parseKeys(line, 'SOVI_VAULT_KEYS').current.id).toBe('k2027');
    expect(parseKeys(generateKeyLine(), 'SOVI_VAULT_KEYS').current.id).toMatch(/^k\d{8}[0-9a-f]{4}$/);
  });
});
