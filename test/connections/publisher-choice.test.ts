// The publisher per platform: the simulator stays the default for both (one shared instance), 'official'
// gives a platform its connector, and a bad module path is refused naming the platform's variable.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { loadPublishers } from '../../src/plugins/load-plugins.ts';
import { SoviError } from '../../src/errors.ts';
import { vaultWith, keyLine } from '../helpers/accounts.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const load = (env: Record<string, string>) => {
  const config = loadConfig(env);
  return loadPublishers(
    config.connectors.publishers,
    {},
    {
      db: t.db,
      logger: quietLogger,
      vault: vaultWith(keyLine('k1')),
      connectors: config.connectors,
    },
  );
};

describe('choosing publishers per platform', () => {
  it('keeps the simulator for both platforms by default', async () => {
    expect((await load({})).name).toBe('simulator');
  });

  it('routes each platform to its own publisher', async () => {
    const p = await load({ SOVI_PUBLISHER_TIKTOK: 'official' });
    expect(p.name).toBe('tiktok:tiktok-official,instagram:simulator');
    expect(typeof p.status).toBe('function');
  });

  it('refuses a module that cannot be loaded, naming the platform’s variable', async () => {
    const err = await load({ SOVI_PUBLISHER_INSTAGRAM: './no/such/publisher.mjs' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SoviError);
    expect((err as SoviError).details.field).toBe('SOVI_PUBLISHER_INSTAGRAM');
    expect((err as SoviError).message).toMatch(/^SOVI_PUBLISHER_INSTAGRAM: /);
  });

  it('refuses half an app pair and a connector key file open to others, naming them', () => {
    expect(() => loadConfig({ SOVI_TIKTOK_CLIENT_KEY: 'k' })).toThrow(/SOVI_TIKTOK_CLIENT_SECRET is not set/);
    expect(() => loadConfig({ SOVI_PUBLIC_URL: 'not a url' })).toThrow(
      /SOVI_PUBLIC_URL: expected an http\(s\) URL/,
    );
    expect(() => loadConfig({ SOVI_CONNECTOR_KEY_FILE: '/nonexistent/keys.json' })).toThrow(
      /SOVI_CONNECTOR_KEY_FILE: cannot read/,
    );
  });
});
