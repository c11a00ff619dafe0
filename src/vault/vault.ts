// The vault as the rest of sovi sees it: seal and open values bound to where they live. Keys are loaded on
// first use, so commands that never touch a secret do not need (or check) them.
import { SoviError } from '../errors.ts';
import { envelopeKeyId, open, seal, type Binding } from './envelope.ts';
import { loadKeyring, type Keyring } from './keyring.ts';

export type { Binding };

export interface Vault {
  /** The id of the key new values are sealed with; throws when no key is configured. */
  currentKeyId(): string;
  isConfigured(): boolean;
  hasKey(id: string): boolean;
  seal(plaintext: string, binding: Binding): Buffer;
  open(envelope: Buffer, binding: Binding): string;
  /** For TEXT columns (proxy_credentials): the same envelope, base64-encoded. */
  sealText(plaintext: string, binding: Binding): string;
  openText(encoded: string, binding: Binding): string;
}

/** How to configure a key: said when a secret cannot be sealed, and by `sovi up` when it starts without one. */
export const noVaultKeyMessage =
  'no vault key is configured, so secrets cannot be stored or revealed: run `sovi keys generate` and put the ' +
  'line it prints in SOVI_VAULT_KEYS (or in a file of mode 0600 named by SOVI_VAULT_KEY_FILE), then restart sovi';

export function createVault(config: { keys: string | undefined; keyFile: string | undefined }): Vault {
  let loaded: { keyring: Keyring | undefined } | undefined;
  const keyring = () => (loaded ??= { keyring: loadKeyring(config) }).keyring;
  const required = (): Keyring => {
    const k = keyring();
    if (!k) {
      // 'unavailable' (HTTP 503, exit 69): the request is fine, this server lacks the key to carry it out.
      throw new SoviError('unavailable', noVaultKeyMessage, { field: 'SOVI_VAULT_KEYS' });
    }
    return k;
  };
  return {
    currentKeyId: () => required().current.id,
    isConfigured: () => keyring() !== undefined,
    hasKey: (id) => keyring()?.keys.has(id) ?? false,
    seal: (plaintext, binding) => seal(required(), plaintext, binding),
    open: (envelope, binding) => open(keyring(), envelope, binding),
    sealText: (plaintext, binding) => seal(required(), plaintext, binding).toString('base64'),
    openText: (encoded, binding) => open(keyring(), Buffer.from(encoded, 'base64'), binding),
  };
}

export { envelopeKeyId };
export const textEnvelopeKeyId = (encoded: string): string | undefined =>
  envelopeKeyId(Buffer.from(encoded, 'base64'));
